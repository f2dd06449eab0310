import { isPeriodKey } from "../../domain/period-key.ts";

/**
 * A progress prompt card's outTrackId says what a click needs (docs/domain.md "Card actions"): which plan, which period, whose
 * prompt. It is also the card's outbox idempotency key, so one person gets one prompt per plan and period.
 * Format: `prg.<planId>.<period>.<userId>` (period as "2026-W14", "2026-04" or "2026-Q2").
 */
export const PROGRESS_CARD_PREFIX = "prg.";

export function progressCardId(planId: string, period: string, userId: string): string {
  return `${PROGRESS_CARD_PREFIX}${planId}.${period}.${userId}`;
}

export function parseProgressCardId(outTrackId: string): { planId: string; period: string; userId: string } | null {
  const m = /^prg\.([0-9a-f-]{36})\.([^.]+)\.(.+)$/.exec(outTrackId);
  return m?.[1] && m[3] && isPeriodKey(m[2]) ? { planId: m[1], period: m[2], userId: m[3] } : null;
}
