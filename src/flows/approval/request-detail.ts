import type { TApprovalCardInput } from "../../../cards/approval.ts";
import type { Tx } from "../../db/database.ts";
import type { SkippedApprover } from "../../domain/approval-route.ts";
import type { ApprovalStep, ChangeRequest, Plan, Staff, Target } from "../../generated/prisma/client.ts";
import { targetPathSql } from "../confirm/index.ts";
import { recentResults } from "../evaluation/index.ts";
import { type Effect, storedEffects } from "./change-effects.ts";

export type StepWithApprover = ApprovalStep & { approver: Staff };

/** A change request with everything its cards, messages and API answer say. */
export interface RequestDetail {
  request: ChangeRequest;
  plan: Plan;
  target: Target & { owner: Staff | null };
  requester: Staff;
  steps: StepWithApprover[];
  effects: Effect[];
  /** 华东 / 工业品 / 线下 / 李娜: the target's place in the tree (the root left out). */
  targetPath: string;
}

/** Skipped approvers as stored with the request (the column is written only by submitChangeRequest). */
export interface StoredSkip extends SkippedApprover {
  name: string | null;
}

/**
 * Reads a request and all it shows. With `lock`, the request row is locked first (FOR UPDATE): decisions,
 * withdrawals and reminders on one request happen one after another, even from two processes.
 */
export async function loadRequest(tx: Tx, id: string, opts: { lock?: boolean } = {}): Promise<RequestDetail | null> {
  if (opts.lock) {
    const locked = await tx.$queryRawUnsafe<{ id: string }[]>(
      "SELECT id FROM change_request WHERE id = $1 FOR UPDATE",
      id,
    );
    if (locked.length === 0) return null;
  }
  const [detail] = await loadRequests(tx, { id });
  return detail ?? null;
}

/**
 * Reads the requests matching `where`, newest first, each with all it shows: three statements whatever their
 * number (the requests with plan, target and steps; their requesters; their targets' paths) — the API's list
 * reads a plan's requests at once instead of one request at a time.
 */
export async function loadRequests(
  tx: Tx,
  where: { id?: string; planId?: string; status?: ChangeRequest["status"] },
  opts: { take?: number } = {},
): Promise<RequestDetail[]> {
  const requests = await tx.changeRequest.findMany({
    where,
    include: {
      plan: true,
      target: { include: { owner: true } },
      steps: { include: { approver: true }, orderBy: { level: "asc" } },
    },
    orderBy: [{ createdAt: "desc" }, { id: "asc" }],
    ...(opts.take === undefined ? {} : { take: opts.take }),
  });
  if (requests.length === 0) return [];
  const requesterIds = [...new Set(requests.map((r) => r.requesterUserId))];
  const targetIds = [...new Set(requests.map((r) => r.targetId))];
  const [requesters, places] = [
    await tx.staff.findMany({ where: { userId: { in: requesterIds } } }),
    await tx.$queryRawUnsafe<{ id: string; path: string | null }[]>(
      `SELECT t.id, ${targetPathSql("t")} AS path FROM target t WHERE t.id = ANY($1::text[])`,
      targetIds,
    ),
  ];
  const requesterById = new Map(requesters.map((s) => [s.userId, s]));
  const pathById = new Map(places.map((p) => [p.id, p.path]));
  return requests.map((request) => {
    const { plan, target, steps, ...rest } = request;
    const requester = requesterById.get(request.requesterUserId);
    // change_request.requester_user_id references staff: a missing row is a broken database, not bad input.
    if (!requester) throw new Error(`change request ${request.id}: requester ${request.requesterUserId} not in staff`);
    const path = [pathById.get(request.targetId), target.label].filter((p): p is string => !!p).join(" / ");
    return {
      request: rest as ChangeRequest,
      plan,
      target,
      requester,
      steps,
      effects: storedEffects(request.effects),
      targetPath: path.replaceAll(" · ", " / "),
    };
  });
}

/** The step whose approver may act now; undefined once the request is decided or ended. */
export function currentStep(d: RequestDetail): StepWithApprover | undefined {
  return d.request.status === "PENDING" ? d.steps.find((s) => s.status === "PENDING") : undefined;
}

/** The approval card's data for one step (its approver is the only one who may see buttons). */
export async function approvalCardInput(tx: Tx, d: RequestDetail, step: StepWithApprover): Promise<TApprovalCardInput> {
  const person = (s: Staff) => ({ userId: s.userId, name: s.name });
  const owner = d.target.owner ?? d.requester;
  const recent = await recentResults(tx, { planId: d.plan.id, userId: owner.userId, take: 4 });
  const parentEffect = d.effects.find((e) => e.role === "PARENT");
  const parent = await parentOf(tx, d, parentEffect);
  const reserve = d.effects.find((e) => e.role === "RESERVE");
  const skipped = d.request.skipped as unknown as StoredSkip[];
  const notes = [
    ...skipped.map((s) => `已跳过 ${s.name ?? s.userId ?? "（缺失的上级）"}：${s.reason}`),
    ...(step.handedOver as { name: string }[]).map(
      (h) => `${h.name} 超过3个工作日未处理，已转交 ${step.approver.name}`,
    ),
  ];
  return {
    approver: person(step.approver),
    requester: person(d.requester),
    owner: person(owner),
    targetLabel: d.targetPath,
    oldAmount: d.request.currentAmount,
    newAmount: d.request.proposedAmount,
    reason: d.request.reason,
    parent,
    ...(reserve ? { reserve: { oldAmount: BigInt(reserve.from), newAmount: BigInt(reserve.to) } } : {}),
    siblings: d.effects
      .filter((e) => e.role === "SIBLING")
      .map((e) => ({ name: e.label, oldAmount: BigInt(e.from), newAmount: BigInt(e.to) })),
    recentAttainment: recent.periods.map((p) => ({
      period: p.period,
      target: p.target,
      actual: p.actual,
      ...(p.excused ? { excused: true } : {}),
    })),
    step: { index: step.level, total: d.steps.length },
    previousDecisions: d.steps
      .filter((s) => s.level < step.level && s.status === "APPROVED" && s.decidedAt)
      .map((s) => ({ approver: person(s.approver), comment: s.comment ?? undefined, at: s.decidedAt as Date })),
    notes,
  };
}

async function parentOf(tx: Tx, d: RequestDetail, effect: Effect | undefined) {
  if (effect) return { name: effect.label, oldAmount: BigInt(effect.from), newAmount: BigInt(effect.to) };
  const parent = d.target.parentId ? await tx.target.findUnique({ where: { id: d.target.parentId } }) : null;
  const label = parent?.label ?? d.plan.name;
  const amount = parent?.amount ?? d.plan.total;
  return { name: label, oldAmount: amount, newAmount: amount };
}
