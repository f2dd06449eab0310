import { randomUUID } from "node:crypto";
import type { Tx } from "../../db/database.ts";
import { assertPlanConserved } from "../../plans/check-plan-conservation.ts";
import { type LedgerEntry, writeLedger } from "../../plans/ledger.ts";
import { rephaseIfPhased } from "../../plans/phase-plan.ts";
import type { TPhasingProfile } from "../../plans/plan-input.ts";
import { sendNewVersionCards } from "../confirm/index.ts";
import type { Effect } from "./change-effects.ts";
import type { Deps } from "./change-request-service.ts";
import type { RequestDetail } from "./request-detail.ts";

/** The key of a parent's 待分配 child among its siblings. */
export const RESERVE_KEY = "__reserve__";

/**
 * Applies an approved change in the caller's transaction (docs/domain.md "Change approval"): a new version of
 * every target in `effects` (planned under lock, just checked not stale), the 待分配 reserve created on first use,
 * the plan total in PARENT mode, the changed leaves re-phased into months, one ledger entry per target linked to
 * the request, the conservation invariant checked in SQL over the whole plan (a violation rolls everything
 * back), and a new target card for each owner whose amount changed (their confirmation re-opens; nobody else's).
 */
export async function applyChange(
  deps: Deps,
  tx: Tx,
  d: RequestDetail,
  a: { effects: Effect[]; total: { from: bigint; to: bigint } | null; actor: string },
): Promise<{ newCards: number; changedTargetIds: string[] }> {
  const { plan, target } = d;
  const existing = a.effects.filter((e) => e.id !== null);
  const updated = await tx.$queryRawUnsafe<{ id: string; version: number }[]>(
    `UPDATE target t SET amount = x.amount, version = t.version + 1, updated_at = now()
       FROM unnest($1::text[], $2::int8[]) AS x(id, amount)
      WHERE t.id = x.id
      RETURNING t.id, t.version`,
    existing.map((e) => e.id),
    existing.map((e) => e.to),
  );
  const versions = new Map(updated.map((u) => [u.id, u.version]));
  const ledger: LedgerEntry[] = existing.map((e) => ({
    planId: plan.id,
    targetId: e.id as string,
    version: versions.get(e.id as string) ?? e.version + 1,
    kind: "AMOUNT",
    actor: a.actor,
    reason: d.request.reason,
    oldAmount: BigInt(e.from),
    newAmount: BigInt(e.to),
    changeRequestId: d.request.id,
  }));
  const newReserve = a.effects.find((e) => e.role === "RESERVE" && e.id === null);
  if (newReserve && target.parentId) {
    const id = randomUUID();
    await tx.target.create({
      data: {
        id,
        planId: plan.id,
        parentId: target.parentId,
        dimension: target.dimension,
        key: RESERVE_KEY,
        label: "待分配",
        depth: target.depth,
        amount: BigInt(newReserve.to),
        reserve: true,
        state: "PUBLISHED",
        publishedAt: target.publishedAt,
      },
    });
    ledger.push({
      planId: plan.id,
      targetId: id,
      version: 1,
      kind: "CREATE",
      actor: a.actor,
      reason: d.request.reason,
      newAmount: BigInt(newReserve.to),
      changeRequestId: d.request.id,
    });
  }
  if (a.total) await tx.plan.update({ where: { id: plan.id }, data: { total: a.total.to } });
  const leaves = existing.filter((e) => e.role === "TARGET" || e.role === "SIBLING").map((e) => e.id as string);
  const phasing = plan.phasing as TPhasingProfile | null;
  await rephaseIfPhased(tx, {
    plan: { ...plan, total: a.total?.to ?? plan.total, phasing },
    targetIds: leaves,
    actor: a.actor,
    calendar: deps.calendar,
  });
  await writeLedger(tx, ledger);
  await assertPlanConserved(tx, plan.id);
  const newCards = await sendNewVersionCards(tx, deps.outbound, leaves);
  return { newCards, changedTargetIds: leaves };
}
