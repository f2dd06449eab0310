/**
 * A target card's outTrackId says everything a click needs (docs/domain.md "Card actions"): which target, which version, whose
 * chat. It is also the card's outbox idempotency key, so the same card is never sent twice and a new version
 * gets a new card. Format: `tgt.<targetId>.v<version>.<userId>` (≤ 128 characters for uuids and DingTalk ids).
 */
export const TARGET_CARD_PREFIX = "tgt.";

export function targetCardId(targetId: string, version: number, userId: string): string {
  return `${TARGET_CARD_PREFIX}${targetId}.v${version}.${userId}`;
}

export function parseTargetCardId(outTrackId: string): { targetId: string; version: number; userId: string } | null {
  const m = /^tgt\.([0-9a-f-]{36})\.v(\d+)\.(.+)$/.exec(outTrackId);
  return m?.[1] && m[2] && m[3] ? { targetId: m[1], version: Number(m[2]), userId: m[3] } : null;
}
