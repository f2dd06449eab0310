/**
 * An escalation card's outTrackId: which escalation and which level (so which addressee) a click is about. It
 * is also the card's outbox key, so each level's card is sent once. Format: `esc.<escalationId>.L<level>`.
 */
export const ESCALATION_CARD_PREFIX = "esc.";

export function escalationCardId(escalationId: string, level: number): string {
  return `${ESCALATION_CARD_PREFIX}${escalationId}.L${level}`;
}

export function parseEscalationCardId(outTrackId: string): { escalationId: string; level: number } | null {
  const m = /^esc\.([0-9a-f-]{36})\.L(\d{1,3})$/.exec(outTrackId);
  return m?.[1] && m[2] ? { escalationId: m[1], level: Number(m[2]) } : null;
}
