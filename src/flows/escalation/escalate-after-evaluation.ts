import { randomUUID } from "node:crypto";
import type { AppDeps } from "../../app-deps.ts";
import type { Tx } from "../../db/database.ts";
import type { PeriodResult } from "../../domain/escalation-reason.ts";
import { type StreakStep, streakStep } from "../../domain/miss-streak.ts";
import { nextEscalationAddressee } from "../../domain/next-escalation-addressee.ts";
import type { Staff } from "../../generated/prisma/client.ts";
import { managerChains } from "../../org/manager-chains.ts";
import type { PeriodEvaluated, StoredEvaluation } from "../evaluation/period-evaluated.ts";
import { closeForLeavers } from "./close-for-leavers.ts";
import { addresseesRecoveredText, ownerEscalatedText, ownerRecoveredText } from "./escalation-messages.ts";
import { currentLevel, drawCard, levelRow, loadEscalationViews, redrawUpdates } from "./escalation-view.ts";
import { sendPaceWarnings } from "./pace-warnings.ts";

export { raiseOverdueEscalations } from "./raise-overdue-escalations.ts";

/** Counts of what an evaluation did to escalations and warnings (the evaluate job's result). */
export interface EscalationCounts {
  opened: number;
  raised: number;
  resolved: number;
  closed: number;
  warnings: number;
}

type Deps = Pick<AppDeps, "outbound" | "config">;
type Stepped = { ev: StoredEvaluation; step: StreakStep };

/**
 * Acts on a plan-period's new evaluations inside the evaluation's transaction (docs/domain.md "Evaluation and
 * escalation"), so each happens exactly once with the evaluation or not at all:
 * - open escalations of owners who left close (人员离职);
 * - each evaluation's streakStep: OPEN (card to the first addressee up the manager chain, a private message to
 *   the owner), RAISE (one level up, a new card; earlier cards redraw as 已上报), RESOLVE (all cards redraw as
 *   已恢复; the owner and everyone reached are told, one message per person listing every owner);
 * - pace warnings (风险预警), one per owner and period, never to someone on leave and not to an owner whose
 *   escalation opened in this period (their message already carries the gap and the run-rate).
 *
 * Set-based where the numbers are: one query for the plan's open escalations, one for the manager chains, one
 * for the streaks' misses, batch inserts; per-escalation work only for the few that change.
 */
export async function escalateAfterEvaluation(tx: Tx, deps: Deps, e: PeriodEvaluated): Promise<EscalationCounts> {
  const closed = await closeForLeavers(tx, deps, { planId: e.plan.id, period: e.period, at: e.at });
  // Locked, so a click or an overdue raise on one of them waits for this evaluation (and sees its outcome).
  await tx.$queryRawUnsafe(
    "SELECT id FROM escalation WHERE plan_id = $1 AND status = 'OPEN' ORDER BY id FOR UPDATE",
    e.plan.id,
  );
  const open = await tx.escalation.findMany({
    where: { planId: e.plan.id, status: "OPEN" },
    include: { levels: { select: { addresseeUserId: true } } },
  });
  const openBy = new Map(open.map((o) => [o.ownerUserId, o]));
  const stepped: Stepped[] = e.evaluations.map((ev) => ({
    ev,
    step: streakStep({
      previousStreak: ev.previousStreak,
      status: ev.status,
      escalateAfter: e.plan.escalateAfter,
      escalationOpen: openBy.has(ev.userId),
    }),
  }));
  const of = (kind: StreakStep["escalation"]) => stepped.filter((s) => s.step.escalation === kind);
  const opened = await openEscalations(tx, deps, e, of("OPEN"));
  const raised = await raiseEscalations(tx, deps, e, of("RAISE"), openBy);
  const resolved = await resolveEscalations(
    tx,
    deps,
    e,
    of("RESOLVE").map((s) => ({ id: openBy.get(s.ev.userId)!.id, ev: s.ev })),
  );
  // An owner whose escalation is open after this evaluation hears about it from the escalation (the message when
  // it opens, its manager's follow-up): a weekly pace warning on top would be noise.
  const resolvedOwners = new Set(of("RESOLVE").map((s) => s.ev.userId));
  const escalated = new Set([...opened.owners, ...[...openBy.keys()].filter((u) => !resolvedOwners.has(u))]);
  const warnings = await sendPaceWarnings(tx, deps, e, stepped, escalated);
  return { opened: opened.count, raised, resolved, closed, warnings };
}

/** Staff rows by id (owners and the plan owner): who is active, for the ladder. */
async function staffById(tx: Tx, ids: Iterable<string>): Promise<Map<string, Staff>> {
  const rows = await tx.staff.findMany({ where: { userId: { in: [...new Set(ids)] } } });
  return new Map(rows.map((s) => [s.userId, s]));
}

const figures = (ev: StoredEvaluation) => ({
  streak: ev.streak,
  lastPeriod: ev.period,
  ytdActual: ev.ytdActual,
  ytdTarget: ev.ytdTarget,
  annualTarget: ev.annualTarget,
  requiredRunRate: ev.requiredRunRate,
});

async function openEscalations(
  tx: Tx,
  deps: Deps,
  e: PeriodEvaluated,
  opening: Stepped[],
): Promise<{ count: number; owners: Set<string> }> {
  if (opening.length === 0) return { count: 0, owners: new Set() };
  const ownerIds = opening.map((s) => s.ev.userId);
  const people = await staffById(tx, [...ownerIds, e.plan.ownerUserId]);
  // Someone who already left is not escalated (their open escalations close instead).
  const active = opening.filter((s) => people.get(s.ev.userId)?.active);
  const chains = await managerChains(
    tx,
    active.map((s) => s.ev.userId),
  );
  const misses = await streakMisses(tx, e, active);
  const planOwner = { userId: e.plan.ownerUserId, active: people.get(e.plan.ownerUserId)?.active ?? false };
  const created = active.map(({ ev }) => {
    const id = randomUUID();
    const to = nextEscalationAddressee({
      ownerId: ev.userId,
      chain: chains.get(ev.userId) ?? [],
      planOwner,
      addressed: [],
    });
    return { id, ev, to };
  });
  await tx.escalation.createMany({
    data: created.map(({ id, ev, to }) => ({
      id,
      planId: e.plan.id,
      ownerUserId: ev.userId,
      missedPeriods: (misses.get(ev.userId) ?? [ev]).map((m) => m.period),
      openedPeriod: e.period,
      ladderEndedAt: to ? null : e.at,
      ...figures(ev),
    })),
  });
  await tx.escalationLevel.createMany({
    data: created.flatMap(({ id, to }) =>
      to ? [levelRow({ escalationId: id, level: 1, to, cause: "OPENED", period: e.period, sentAt: e.at })] : [],
    ),
  });
  const views = await loadEscalationViews(
    tx,
    created.map((c) => c.id),
  );
  // Two statements for all of them, however many open at once (bench:evaluate opens thousands).
  const cards = views.flatMap((v) => {
    const level = currentLevel(v);
    return level
      ? [{ card: "escalation" as const, to: level.addresseeUserId, key: level.outTrackId, params: drawCard(v, level) }]
      : [];
  });
  await deps.outbound.sendCards(tx, cards);
  const texts = views.map((v) => {
    const level = currentLevel(v);
    const text = ownerEscalatedText({
      ownerName: v.owner.name,
      planName: e.plan.name,
      streak: v.streak,
      misses: v.missedPeriods.map((p) => v.results.get(p) ?? { period: p, target: 0n, actual: null }),
      figures: { metric: e.plan.metric, ...v },
      period: e.period,
      managerName: level?.addressee.name ?? null,
    });
    return { to: [v.ownerUserId], key: `esc.${v.id}.owner`, text };
  });
  await deps.outbound.sendTexts(tx, texts);
  return { count: created.length, owners: new Set(created.map((c) => c.ev.userId)) };
}

/** The misses of each owner's current streak, oldest first: their last `streak` MISSED evaluations. */
async function streakMisses(tx: Tx, e: PeriodEvaluated, owners: Stepped[]): Promise<Map<string, PeriodResult[]>> {
  const rows = await tx.periodEvaluation.findMany({
    where: {
      planId: e.plan.id,
      userId: { in: owners.map((s) => s.ev.userId) },
      status: "MISSED",
      period: { lte: e.period },
    },
    select: { userId: true, period: true, target: true, actual: true },
    orderBy: { period: "desc" },
  });
  const streak = new Map(owners.map((s) => [s.ev.userId, s.ev.streak]));
  const out = new Map<string, PeriodResult[]>();
  for (const r of rows) {
    const list = out.get(r.userId) ?? [];
    if (list.length < (streak.get(r.userId) ?? 0)) list.unshift(r);
    out.set(r.userId, list);
  }
  return out;
}

async function raiseEscalations(
  tx: Tx,
  deps: Deps,
  e: PeriodEvaluated,
  raising: Stepped[],
  openBy: Map<
    string,
    { id: string; ladderEndedAt: Date | null; missedPeriods: string[]; levels: { addresseeUserId: string }[] }
  >,
): Promise<number> {
  if (raising.length === 0) return 0;
  const people = await staffById(tx, [e.plan.ownerUserId]);
  const planOwner = { userId: e.plan.ownerUserId, active: people.get(e.plan.ownerUserId)?.active ?? false };
  const chains = await managerChains(
    tx,
    raising.map((s) => s.ev.userId),
  );
  const newLevels: { id: string; level: number }[] = [];
  for (const { ev } of raising) {
    const esc = openBy.get(ev.userId)!;
    const addressed = esc.levels.map((l) => l.addresseeUserId);
    const to = esc.ladderEndedAt
      ? null
      : nextEscalationAddressee({ ownerId: ev.userId, chain: chains.get(ev.userId) ?? [], planOwner, addressed });
    await tx.escalation.update({
      where: { id: esc.id },
      data: {
        ...figures(ev),
        missedPeriods: esc.missedPeriods.includes(ev.period) ? esc.missedPeriods : [...esc.missedPeriods, ev.period],
        // The ladder ended (the plan owner had it, or nobody was left): it stays where it is, no loop.
        ladderEndedAt: to ? null : (esc.ladderEndedAt ?? e.at),
      },
    });
    if (!to) continue;
    const level = addressed.length + 1;
    await tx.escalationLevel.create({
      data: levelRow({ escalationId: esc.id, level, to, cause: "MISSED_AGAIN", period: e.period, sentAt: e.at }),
    });
    newLevels.push({ id: esc.id, level });
  }
  const views = await loadEscalationViews(
    tx,
    raising.map((s) => openBy.get(s.ev.userId)!.id),
  );
  // Two statements for every raised escalation: the new cards, then the redraws of the earlier ones.
  const fresh = views.flatMap((v) => {
    const raisedTo = newLevels.find((n) => n.id === v.id);
    const level = raisedTo && v.levels.find((l) => l.level === raisedTo.level);
    return level ? [{ v, level }] : [];
  });
  await deps.outbound.sendCards(
    tx,
    fresh.map(({ v, level }) => ({
      card: "escalation" as const,
      to: level.addresseeUserId,
      key: level.outTrackId,
      params: drawCard(v, level),
    })),
  );
  await deps.outbound.updateCards(
    tx,
    views.flatMap((v) => redrawUpdates(v, newLevels.find((n) => n.id === v.id)?.level)),
  );
  return newLevels.length;
}

async function resolveEscalations(
  tx: Tx,
  deps: Deps,
  e: PeriodEvaluated,
  resolving: { id: string; ev: StoredEvaluation }[],
): Promise<number> {
  if (resolving.length === 0) return 0;
  await tx.escalation.updateMany({
    where: { id: { in: resolving.map((r) => r.id) }, status: "OPEN" },
    data: {
      status: "RESOLVED",
      closeReason: "RECOVERED",
      closedPeriod: e.period,
      closedAt: e.at,
      lastPeriod: e.period,
    },
  });
  const views = await loadEscalationViews(
    tx,
    resolving.map((r) => r.id),
  );
  const told = new Map<string, { name: string; recovery: PeriodResult }[]>();
  const ownerTexts = views.map((v) => {
    const ev = resolving.find((r) => r.id === v.id)!.ev;
    const recovery = { period: ev.period, target: ev.target, actual: ev.actual };
    for (const l of v.levels)
      told.set(l.addresseeUserId, [...(told.get(l.addresseeUserId) ?? []), { name: v.owner.name, recovery }]);
    const text = ownerRecoveredText({ ownerName: v.owner.name, planName: e.plan.name, recovery });
    return { to: [v.ownerUserId], key: `esc.${v.id}.recovered`, text };
  });
  await deps.outbound.updateCards(
    tx,
    views.flatMap((v) => redrawUpdates(v)),
  );
  await deps.outbound.sendTexts(tx, ownerTexts);
  // News: one message per person and evaluation, listing every owner of theirs who recovered.
  await deps.outbound.sendTexts(
    tx,
    [...told].map(([userId, owners]) => ({
      to: [userId],
      key: `esc.recovered.${e.plan.id}.${e.period}.${userId}`,
      text: addresseesRecoveredText(e.plan.name, owners),
    })),
  );
  return views.length;
}
