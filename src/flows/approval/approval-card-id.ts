/**
 * An approval card's outTrackId: which request, which step, and which attempt of it (a step left 3 workdays moves
 * up to the approver's manager as a new attempt, with a new card). It is also the card's outbox key, so each
 * attempt's card is sent once. Format: `apr.<requestId>.L<level>.A<attempt>`.
 */
export const APPROVAL_CARD_PREFIX = "apr.";

export function approvalCardId(requestId: string, level: number, attempt: number): string {
  return `${APPROVAL_CARD_PREFIX}${requestId}.L${level}.A${attempt}`;
}

export function parseApprovalCardId(outTrackId: string): { requestId: string; level: number; attempt: number } | null {
  const m = /^apr\.([0-9a-f-]{36})\.L(\d{1,2})\.A(\d{1,3})$/.exec(outTrackId);
  return m?.[1] && m[2] && m[3] ? { requestId: m[1], level: Number(m[2]), attempt: Number(m[3]) } : null;
}

/** The card of a step's current attempt. */
export function stepCardKey(requestId: string, step: { level: number; attempt: number }): string {
  return approvalCardId(requestId, step.level, step.attempt);
}
