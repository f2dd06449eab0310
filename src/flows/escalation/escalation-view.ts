import type { CardParams } from "../../../cards/card-definition.ts";
import type { TPeriodResult } from "../../../cards/card-input.ts";
import {
  buildEscalationCard,
  type EscalationAction,
  escalationCardClosed,
  escalationCardHandled,
  escalationCardRaised,
  escalationCardResolved,
  type TEscalationCardInput,
} from "../../../cards/escalation.ts";
import type { Tx } from "../../db/database.ts";
import type { Outbound } from "../../dingtalk/outbound.ts";
import { raisedText } from "../../domain/escalation-reason.ts";
import type {
  EscalationAction as ActionRow,
  Escalation,
  EscalationActionKind,
  EscalationLevel,
  Staff,
} from "../../generated/prisma/client.ts";
import { escalationCardId } from "./escalation-card-id.ts";

/*
 * An escalation as its cards and the API show it: the row, its levels with their addressees, the action at each
 * level, and the evaluated periods it names. Loaded for a handful of escalations at a time (one query each
 * for the rows and the periods, whatever their number).
 */

export interface LevelView extends EscalationLevel {
  addressee: Staff;
  action: (ActionRow & { user: Staff }) | null;
}

export interface EscalationView extends Escalation {
  owner: Staff & { dept: { name: string } };
  plan: { name: string; timezone: string; cadence: string };
  /** Oldest first. */
  levels: LevelView[];
  /** The evaluated periods it names (the misses and the recovery), by period. */
  results: Map<string, TPeriodResult & { attainment: number | null; reason: string | null; status: string }>;
}

export const ACTION_KIND: Record<EscalationAction, EscalationActionKind> = {
  coach: "COACH",
  adjust: "ADJUST",
  ack: "ACK",
};
const ACTION_OF: Record<EscalationActionKind, EscalationAction> = { COACH: "coach", ADJUST: "adjust", ACK: "ack" };
export const ACTION_TEXT: Record<EscalationActionKind, string> = {
  COACH: "安排辅导",
  ADJUST: "发起目标调整",
  ACK: "已知悉",
};

export async function loadEscalationViews(tx: Tx, ids: readonly string[]): Promise<EscalationView[]> {
  if (ids.length === 0) return [];
  const rows = await tx.escalation.findMany({
    where: { id: { in: [...ids] } },
    include: {
      owner: { include: { dept: { select: { name: true } } } },
      plan: { select: { name: true, timezone: true, cadence: true } },
      levels: { include: { addressee: true, actions: { include: { user: true } } }, orderBy: { level: "asc" } },
    },
    orderBy: { createdAt: "asc" },
  });
  // Three IN lists rather than one OR branch per escalation: an evaluation may open thousands at once, and a
  // query with thousands of OR branches takes seconds to build and plan. Rows of a combination not asked for
  // are filtered out below (by owner and plan; periods not named are never looked up).
  const periods = await tx.periodEvaluation.findMany({
    where: {
      planId: { in: [...new Set(rows.map((r) => r.planId))] },
      userId: { in: [...new Set(rows.map((r) => r.ownerUserId))] },
      period: {
        in: [...new Set(rows.flatMap((r) => [...r.missedPeriods, ...(r.closedPeriod ? [r.closedPeriod] : [])]))],
      },
    },
  });
  return rows.map((r) => {
    const results = new Map(
      periods
        .filter((p) => p.planId === r.planId && p.userId === r.ownerUserId)
        .map((p) => [
          p.period,
          {
            period: p.period,
            target: p.target,
            actual: p.actual,
            excused: p.status === "EXCUSED",
            attainment: p.attainment,
            reason: p.reason,
            status: p.status,
          },
        ]),
    );
    const levels = r.levels.map(({ actions, ...l }) => ({ ...l, action: actions[0] ?? null }));
    return { ...r, levels, results };
  });
}

/** The level that holds the escalation now (the last one reached); undefined when the ladder ended at once. */
export const currentLevel = (v: EscalationView): LevelView | undefined => v.levels.at(-1);

/** The card input for the addressee of `level`. */
function cardInput(v: EscalationView, level: LevelView): TEscalationCardInput {
  const misses = v.missedPeriods.map((p) => v.results.get(p) ?? { period: p, target: 0n, actual: null });
  const previous = v.levels.find((l) => l.level === level.level - 1);
  let levelNote: string | undefined;
  if (level.cause === "OVERDUE" && previous) {
    levelNote = raisedText({ kind: "OVERDUE", previousName: previous.addressee.name });
  } else if (level.cause === "MISSED_AGAIN") {
    const miss = v.results.get(level.period) ?? { period: level.period, target: 0n, actual: null };
    levelNote = raisedText({ kind: "MISSED_AGAIN", miss });
  }
  return {
    manager: { userId: level.addressee.userId, name: level.addressee.name },
    owner: { userId: v.owner.userId, name: v.owner.name },
    ownerUnit: v.owner.dept.name,
    level: level.level,
    streak: Math.max(1, v.streak),
    misses: misses.map(({ period, target, actual }) => ({ period, target, actual })),
    annualTarget: v.annualTarget,
    ytdActual: v.ytdActual,
    ytdTarget: v.ytdTarget,
    requiredRunRate: v.requiredRunRate,
    levelNote,
  };
}

/** What the addressee of `level` sees now: open, their choice, passed over (已上报), 已恢复, or 人员离职. */
export function drawCard(v: EscalationView, level: LevelView): CardParams {
  const input = cardInput(v, level);
  if (v.status === "RESOLVED") {
    const r = v.closedPeriod ? v.results.get(v.closedPeriod) : undefined;
    return escalationCardResolved(input, r ?? { period: v.lastPeriod, target: 0n, actual: null });
  }
  if (v.status === "CLOSED") return escalationCardClosed(input);
  const top = currentLevel(v)!;
  if (top.level > level.level) {
    const own = level.action ? `你已选择「${ACTION_TEXT[level.action.action]}」；` : "";
    const theirs = top.action ? ` · ${top.addressee.name} ${ACTION_TEXT[top.action.action]}` : "";
    return escalationCardRaised(input, `${own}已上报至${top.addressee.name}${theirs}`);
  }
  if (level.action) {
    return escalationCardHandled(input, ACTION_OF[level.action.action], level.action.actedAt, v.plan.timezone);
  }
  return buildEscalationCard(input);
}

/**
 * Redraws every card of the escalation but level `except`'s (just sent, or answered by the click itself). The
 * update key names the state (levels, actions, status, streak), so each state is drawn once per card however
 * often this runs.
 */
export function redrawCards(tx: Tx, outbound: Outbound, v: EscalationView, except?: number): Promise<number> {
  return outbound.updateCards(tx, redrawUpdates(v, except));
}

/** The updates {@link redrawCards} queues, for callers that queue many escalations' redraws in one statement. */
export function redrawUpdates(v: EscalationView, except?: number) {
  const actions = v.levels.filter((l) => l.action).length;
  const stamp = `${v.levels.length}.${actions}.${v.status}.${v.streak}`;
  return v.levels
    .filter((level) => level.level !== except)
    .map((level) => ({
      card: level.outTrackId,
      to: level.addresseeUserId,
      key: `${level.outTrackId}:r${stamp}`,
      params: drawCard(v, level),
    }));
}

/** A new level's row: who has the escalation now, why, for which period, and its card's outTrackId. */
export function levelRow(a: {
  escalationId: string;
  level: number;
  to: { userId: string; planOwner: boolean };
  cause: "OPENED" | "OVERDUE" | "MISSED_AGAIN";
  period: string;
  sentAt: Date;
}) {
  return {
    escalationId: a.escalationId,
    level: a.level,
    addresseeUserId: a.to.userId,
    planOwner: a.to.planOwner,
    cause: a.cause,
    period: a.period,
    sentAt: a.sentAt,
    outTrackId: escalationCardId(a.escalationId, a.level),
  };
}
