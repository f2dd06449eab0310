import type { AppDeps } from "../../app-deps.ts";
import type { Tx } from "../../db/database.ts";
import { addresseesOwnerLeftText } from "./escalation-messages.ts";
import { loadEscalationViews, redrawCards } from "./escalation-view.ts";

/**
 * An owner who left the company (staff.active false) cannot recover: their open escalations close as 人员离职
 * (OWNER_LEFT), the cards redraw, and everyone they reached hears it in one message per plan listing the
 * people who left. The target itself already shows its owner inactive (target tree `owner.active`, readiness
 * INACTIVE_OWNER 「需要重新分配」). Returns how many closed.
 */
export async function closeForLeavers(
  tx: Tx,
  deps: Pick<AppDeps, "outbound">,
  a: { planId: string | null; period: string | null; at: Date },
): Promise<number> {
  const rows = await tx.$queryRawUnsafe<{ id: string }[]>(
    `UPDATE escalation e
        SET status = 'CLOSED', close_reason = 'OWNER_LEFT', closed_at = $2, closed_period = $3, updated_at = $2
       FROM staff s
      WHERE s.user_id = e.owner_user_id AND NOT s.active AND e.status = 'OPEN'
        AND ($1::text IS NULL OR e.plan_id = $1)
      RETURNING e.id`,
    a.planId,
    a.at,
    a.period,
  );
  if (rows.length === 0) return 0;
  const views = await loadEscalationViews(
    tx,
    rows.map((r) => r.id),
  );
  // addressee → plan → names (and the first escalation id, which makes the message's key unique: each closes once)
  const told = new Map<string, { planName: string; names: string[]; key: string }>();
  for (const v of views) {
    await redrawCards(tx, deps.outbound, v);
    for (const l of v.levels) {
      const k = `${v.planId}|${l.addresseeUserId}`;
      const entry = told.get(k) ?? { planName: v.plan.name, names: [], key: `esc.left.${v.id}.${l.addresseeUserId}` };
      if (!entry.names.includes(v.owner.name)) entry.names.push(v.owner.name);
      told.set(k, entry);
    }
  }
  for (const [k, m] of told) {
    const to = k.split("|")[1]!;
    await deps.outbound.sendText(tx, { to: [to], key: m.key, text: addresseesOwnerLeftText(m.planName, m.names) });
  }
  return rows.length;
}
