import { randomUUID } from "node:crypto";
import { buildApprovalCard } from "../../../cards/approval.ts";
import type { AppDeps } from "../../app-deps.ts";
import type { Tx } from "../../db/database.ts";
import {
  type ApprovalRoute,
  type ApprovalTier,
  approvalSteps,
  approvalTier,
  DEFAULT_APPROVAL_THRESHOLDS,
} from "../../domain/approval-route.ts";
import { formatAmountShort } from "../../domain/format-amount.ts";
import type { RebalanceMode } from "../../domain/rebalance-change.ts";
import type { Plan, Staff, Target } from "../../generated/prisma/client.ts";
import { AppError, validationError } from "../../lib/errors.ts";
import { managerChains } from "../../org/manager-chains.ts";
import { stepCardKey } from "./approval-card-id.ts";
import { openStepTodo } from "./approval-todo.ts";
import { type PlannedChange, planChange } from "./change-effects.ts";
import {
  approvalCardInput,
  loadRequest,
  type RequestDetail,
  type StepWithApprover,
  type StoredSkip,
} from "./request-detail.ts";

export type Deps = Pick<AppDeps, "outbound" | "config" | "calendar" | "log">;

/** Where a request was asked: the chat, the target card's 有异议, an escalation card's 发起目标调整, the admin API. */
export type RequestSource = "CHAT" | "CARD" | "ESCALATION" | "API";

export interface ChangeRequestInput {
  targetId: string;
  requesterUserId: string;
  proposedAmount: bigint;
  reason: string;
  rebalance: RebalanceMode;
  source: RequestSource;
  kind: "DISPUTE" | "CHANGE";
}

export const MAX_REASON_CHARS = 500;

/** A request checked and planned, not yet stored: what the chat echoes before 「确认」. */
export interface PreparedRequest {
  input: ChangeRequestInput & { reason: string };
  plan: Plan;
  target: Target & { owner: Staff };
  requester: Staff;
  planned: PlannedChange;
  tier: ApprovalTier;
  route: ApprovalRoute;
  approvers: Map<string, Staff>;
}

/**
 * Checks a change request and plans it, writing nothing (docs/domain.md "Change approval"): a reason of 1–500
 * characters; a new amount above 0 and different from the current one; a published, live leaf target of a
 * published plan; a requester who is active and owns it, manages its owner (anywhere up the chain) or owns the
 * plan; no other pending request for it; a change possible in the rebalance mode; and a route someone can
 * approve. Every refusal says why in Chinese.
 *
 * @throws AppError VALIDATION, NOT_FOUND or CONFLICT
 */
export async function prepareChangeRequest(
  tx: Tx,
  input: ChangeRequestInput,
  /** The stored request being routed now (routeUnroutedRequest): it is not "another pending request". */
  self?: string,
): Promise<PreparedRequest> {
  const reason = input.reason.trim();
  if (reason.length === 0) {
    throw validationError("请填写调整原因", [{ field: "reason", message: "原因不能为空" }]);
  }
  if ([...reason].length > MAX_REASON_CHARS) {
    throw validationError(`调整原因最多${MAX_REASON_CHARS}字，现在有${[...reason].length}字`, [
      { field: "reason", message: `最多${MAX_REASON_CHARS}字` },
    ]);
  }
  if (input.proposedAmount <= 0n) {
    throw validationError("调整后的目标必须大于0", [{ field: "proposedAmount", message: "必须大于0" }]);
  }
  const target = await tx.target.findUnique({ where: { id: input.targetId }, include: { owner: true, plan: true } });
  if (!target || target.state === "ARCHIVED") throw new AppError("NOT_FOUND", `目标 ${input.targetId} 不存在`);
  const { plan } = target;
  if (plan.status !== "PUBLISHED" || target.state !== "PUBLISHED") {
    throw new AppError("CONFLICT", `目标“${target.label}”尚未发布：发布前请直接修改计划，无需审批`);
  }
  if (target.reserve || !target.owner) {
    throw new AppError("CONFLICT", `“${target.label}”不是具体负责人的目标，不能申请调整`);
  }
  const requester = await tx.staff.findUnique({ where: { userId: input.requesterUserId } });
  if (!requester?.active) {
    throw new AppError("NOT_FOUND", `申请人 ${input.requesterUserId} ${requester ? "已离职或停用" : "不在通讯录中"}`);
  }
  const chain = (await managerChains(tx, [target.owner.userId])).get(target.owner.userId) ?? [];
  const manages = chain.some((l) => l?.userId === requester.userId);
  if (requester.userId !== target.owner.userId && !manages && requester.userId !== plan.ownerUserId) {
    throw new AppError(
      "CONFLICT",
      `你既不是“${target.label}”的负责人，也不是${target.owner.name}的上级，不能申请调整这个目标`,
    );
  }
  if (input.proposedAmount === target.amount) {
    throw validationError("申请的目标与当前目标相同，无需调整", [
      { field: "proposedAmount", message: "与当前目标相同" },
    ]);
  }
  const pending = await tx.changeRequest.findFirst({
    where: { targetId: target.id, status: "PENDING", ...(self ? { id: { not: self } } : {}) },
  });
  if (pending) {
    throw new AppError("CONFLICT", `“${target.label}”已有一项待审批的调整申请，请等待结果，或由申请人先撤回`);
  }
  const planned = await planChange(tx, {
    planId: plan.id,
    planTotal: plan.total,
    targetId: target.id,
    proposed: input.proposedAmount,
    mode: input.rebalance,
  });
  const tier = approvalTier({
    currentAmount: target.amount,
    proposedAmount: input.proposedAmount,
    changesPlanTotal: planned.changesPlanTotal,
    thresholds: (plan.approvalThresholds as number[] | null) ?? DEFAULT_APPROVAL_THRESHOLDS,
  });
  const planOwner = await tx.staff.findUnique({ where: { userId: plan.ownerUserId } });
  const route = approvalSteps({
    requesterId: requester.userId,
    ownerId: target.owner.userId,
    chain,
    planOwner: { userId: plan.ownerUserId, active: planOwner?.active ?? false },
    tier,
  });
  if (!route.complete) {
    throw new AppError(
      "CONFLICT",
      `找不到可以审批这项调整的人（${target.owner.name}的上级或计划负责人已离职、停用或未设置）。请管理员在通讯录中设置上级后再申请`,
    );
  }
  const ids = [...route.steps.map((s) => s.userId), ...route.skipped.flatMap((s) => (s.userId ? [s.userId] : []))];
  const approvers = new Map((await tx.staff.findMany({ where: { userId: { in: ids } } })).map((s) => [s.userId, s]));
  return {
    input: { ...input, reason },
    plan,
    target: target as Target & { owner: Staff },
    requester,
    planned,
    tier,
    route,
    approvers,
  };
}

/**
 * Stores a prepared request with its steps (the first one pending from `at`) and sends the first approver the
 * approval card and a 待办. A second pending request for the target (a race the check above missed) is refused
 * by the database and nothing is stored.
 */
export async function submitChangeRequest(
  deps: Deps,
  tx: Tx,
  input: ChangeRequestInput,
  at: Date,
): Promise<RequestDetail> {
  const p = await prepareChangeRequest(tx, input);
  const skipped = skippedWithNames(p);
  const inserted = await tx.$queryRawUnsafe<{ id: string }[]>(
    `INSERT INTO change_request (id, plan_id, target_id, target_version, kind, requester_user_id, reason,
                                 current_amount, proposed_amount, rebalance, source, tier, skipped, effects,
                                 created_at, updated_at)
     VALUES ($15, $1, $2, $3, $4::"ChangeRequestKind", $5, $6, $7, $8, $9::"RebalanceMode",
             $10, $11, $12::jsonb, $13::jsonb, $14, $14)
     ON CONFLICT (target_id) WHERE status = 'PENDING' DO NOTHING
     RETURNING id`,
    p.plan.id,
    p.target.id,
    p.target.version,
    p.input.kind,
    p.requester.userId,
    p.input.reason,
    p.target.amount,
    p.input.proposedAmount,
    p.input.rebalance,
    p.input.source,
    p.tier,
    JSON.stringify(skipped),
    JSON.stringify(p.planned.effects),
    at,
    randomUUID(),
  );
  const id = inserted[0]?.id;
  if (!id) throw new AppError("CONFLICT", `“${p.target.label}”已有一项待审批的调整申请，请等待结果，或由申请人先撤回`);
  return startSteps(deps, tx, id, p, at);
}

function skippedWithNames(p: PreparedRequest): StoredSkip[] {
  return p.route.skipped.map((s) => ({ ...s, name: s.userId ? (p.approvers.get(s.userId)?.name ?? null) : null }));
}

/** The route's steps, the first pending from `at`, and the first approver's card and 待办. */
async function startSteps(deps: Deps, tx: Tx, id: string, p: PreparedRequest, at: Date): Promise<RequestDetail> {
  await tx.approvalStep.createMany({
    data: p.route.steps.map((s) => ({
      requestId: id,
      level: s.level,
      role: s.role,
      approverUserId: s.userId,
      status: s.level === 1 ? "PENDING" : "WAITING",
      pendingSince: s.level === 1 ? at : null,
    })),
  });
  const d = (await loadRequest(tx, id))!;
  await sendStepCard(deps, tx, d, d.steps[0]!);
  return d;
}

/**
 * A pending request stored before routing existed (no steps: a 有异议 from then): routed now as if submitted
 * today — checked and planned against the target as it is, its steps started, the first approver's card sent —
 * and its requester told. One that can no longer be routed (the target changed since, the amount now equals it,
 * nobody can approve) is withdrawn and the requester told why, so it never waits for nobody.
 */
export async function routeUnroutedRequest(deps: Deps, tx: Tx, d: RequestDetail, at: Date): Promise<boolean> {
  const r = d.request;
  const what = `「${d.targetPath}」${formatAmountShort(r.currentAmount)} → ${formatAmountShort(r.proposedAmount)}`;
  const tell = (key: string, text: string) =>
    deps.outbound.sendText(tx, { to: [r.requesterUserId], key: `apr.${r.id}.${key}`, text });
  let p: PreparedRequest;
  try {
    if (d.target.version !== r.targetVersion) throw new AppError("CONFLICT", "目标在申请后已有新版本");
    const input = { ...r, rebalance: r.rebalance, source: r.source as RequestSource };
    p = await prepareChangeRequest(tx, input, r.id);
  } catch (err) {
    if (!(err instanceof AppError)) throw err;
    await tx.changeRequest.update({
      where: { id: r.id },
      data: { status: "WITHDRAWN", statusNote: `无法送审：${err.userMessage}`, decidedAt: at },
    });
    await tell(
      "unrouted",
      `你之前提交的目标调整申请${what}无法送审（${err.userMessage}），已撤回。如仍需调整，请重新申请。`,
    );
    return false;
  }
  await tx.changeRequest.update({
    where: { id: r.id },
    data: {
      tier: p.tier,
      skipped: JSON.parse(JSON.stringify(skippedWithNames(p))),
      effects: JSON.parse(JSON.stringify(p.planned.effects)),
    },
  });
  const routed = await startSteps(deps, tx, r.id, p, at);
  await tell("routed", `你之前提交的目标调整申请${what}已送审，等待${routed.steps[0]?.approver.name}审批。`);
  return true;
}

/** The pending step's card (with 同意 / 驳回 for its approver only) and its 待办. */
export async function sendStepCard(deps: Deps, tx: Tx, d: RequestDetail, step: StepWithApprover): Promise<void> {
  const input = await approvalCardInput(tx, d, step);
  const key = stepCardKey(d.request.id, step);
  await deps.outbound.sendCard(tx, {
    card: "approval",
    to: step.approverUserId,
    key,
    params: buildApprovalCard(input, d.plan.timezone),
  });
  await openStepTodo(deps, tx, d, step);
}
