import { approvalCardDecided, approvalCardStale } from "../../../cards/approval.ts";
import { ZApprovalCardAction } from "../../../cards/card-action.ts";
import { formatDateTime } from "../../../cards/format.ts";
import { type CardContext, type CardUpdate, cardParamsUpdate } from "../../dingtalk/bot.ts";
import { AppError } from "../../lib/errors.ts";
import { applyChange } from "./apply-change.ts";
import { parseApprovalCardId } from "./approval-card-id.ts";
import { closeStepTodo } from "./approval-todo.ts";
import type { PlannedChange } from "./change-effects.ts";
import type { Deps } from "./change-request-service.ts";
import { sendStepCard } from "./change-request-service.ts";
import { changeText, effectText } from "./change-request-text.ts";
import { endRequest, replanIfCurrent } from "./end-request.ts";
import { approvalCardInput, loadRequest, type RequestDetail, type StepWithApprover } from "./request-detail.ts";

const STATUS_WORD = { APPROVED: "已通过", REJECTED: "已驳回", STALE: "已失效", WITHDRAWN: "已撤回" } as const;

/**
 * 同意 / 驳回 on an approval card (docs/domain.md "Change approval"). The request row is locked first, so two
 * clicks — two approvers, two processes, a replay — decide one after another and the later one finds the step
 * decided. Only the current step's approver, on the card of the current attempt, of a pending request, may act;
 * anyone else is told why and nothing changes. A stale request ends as STALE and nothing is applied.
 */
export async function handleApprovalCardAction(deps: Deps, ctx: CardContext, at: Date): Promise<CardUpdate> {
  const ids = parseApprovalCardId(ctx.event.outTrackId);
  if (!ids) throw new AppError("VALIDATION", "无法识别这张审批卡片");
  const parsed = ZApprovalCardAction.safeParse(ctx.event.params);
  if (!parsed.success) throw new AppError("VALIDATION", parsed.error.issues[0]?.message ?? "按钮参数无效");
  const d = await loadRequest(ctx.tx, ids.requestId, { lock: true });
  const step = d?.steps.find((s) => s.level === ids.level);
  if (!d || !step) throw new AppError("NOT_FOUND", "这项调整申请已不存在");
  refuseUnlessCurrent(d, step, ids.attempt, ctx.event.userId);
  const input = () => approvalCardInput(ctx.tx, d, step);
  const planned = await replanIfCurrent(ctx.tx, d);
  if (!planned) {
    await endRequest(deps, ctx.tx, d, "STALE", at);
    ctx.log.info({ requestId: d.request.id }, "change request stale at decision; nothing applied");
    return cardParamsUpdate(approvalCardStale(await input(), d.plan.timezone), ctx.event.userId);
  }
  const { action, comment } = parsed.data;
  if (action === "reject" && !comment) throw new AppError("VALIDATION", "驳回需要填写审批意见，请说明原因");
  await ctx.tx.approvalStep.update({
    where: { requestId_level: { requestId: d.request.id, level: step.level } },
    data: { status: action === "approve" ? "APPROVED" : "REJECTED", decidedAt: at, comment: comment ?? null },
  });
  await closeStepTodo(deps, ctx.tx, d.request.id, step);
  const card = cardParamsUpdate(
    approvalCardDecided(await input(), action, comment, at, d.plan.timezone),
    ctx.event.userId,
  );
  if (action === "reject") {
    await reject(deps, ctx, d, step, comment ?? "", at);
    return card;
  }
  const next = d.steps.find((s) => s.level > step.level && s.status === "WAITING");
  if (next) {
    await ctx.tx.approvalStep.update({
      where: { requestId_level: { requestId: d.request.id, level: next.level } },
      data: { status: "PENDING", pendingSince: at },
    });
    // Read again: the next card shows this decision in its history.
    const fresh = (await loadRequest(ctx.tx, d.request.id))!;
    await sendStepCard(deps, ctx.tx, fresh, fresh.steps.find((s) => s.level === next.level)!);
    const text = `你的目标调整申请「${d.targetPath}」${changeText(d.request.currentAmount, d.request.proposedAmount)}：${step.approver.name}已同意，等待${next.approver.name}审批（第${next.level}步/共${d.steps.length}步）。`;
    await deps.outbound.sendText(ctx.tx, {
      to: [d.requester.userId],
      key: `apr.${d.request.id}.L${step.level}.ok`,
      text,
    });
    return card;
  }
  await approve(deps, ctx, d, step, planned, at);
  return card;
}

/**
 * Who may click this card, and whether it is still theirs to decide: the card of an earlier attempt belonged
 * to the approver the step moved up from.
 */
function refuseUnlessCurrent(d: RequestDetail, step: StepWithApprover, attempt: number, userId: string): void {
  const handedOver = step.handedOver as { userId: string; name: string }[];
  const cardOwner = attempt === step.attempt ? step.approver : handedOver[attempt - 1];
  if (!cardOwner) throw new AppError("NOT_FOUND", "这张审批卡片已失效");
  if (userId !== cardOwner.userId) {
    throw new AppError("CONFLICT", `只有审批人${cardOwner.name}可以处理这张卡片，你的操作未生效`);
  }
  const { status } = d.request;
  if (status !== "PENDING") throw new AppError("CONFLICT", `这项申请${STATUS_WORD[status]}，无需再操作`);
  if (attempt !== step.attempt) {
    throw new AppError("CONFLICT", `此步骤已超时转交${step.approver.name}审批，你的操作未生效`);
  }
  if (step.status === "APPROVED" || step.status === "REJECTED") {
    const when = step.decidedAt ? formatDateTime(step.decidedAt, d.plan.timezone) : "";
    throw new AppError("CONFLICT", `你已于${when}${step.status === "APPROVED" ? "同意" : "驳回"}，无需重复操作`);
  }
  if (step.status !== "PENDING") throw new AppError("CONFLICT", "还没有轮到这一步审批");
}

async function reject(
  deps: Deps,
  ctx: CardContext,
  d: RequestDetail,
  step: StepWithApprover,
  comment: string,
  at: Date,
) {
  await ctx.tx.changeRequest.update({ where: { id: d.request.id }, data: { status: "REJECTED", decidedAt: at } });
  await ctx.tx.approvalStep.updateMany({
    where: { requestId: d.request.id, status: "WAITING" },
    data: { status: "CLOSED" },
  });
  const text =
    `你的目标调整申请「${d.targetPath}」${changeText(d.request.currentAmount, d.request.proposedAmount)}被${step.approver.name}驳回，` +
    `意见：${comment}。目标保持不变。`;
  await deps.outbound.sendText(ctx.tx, { to: [d.requester.userId], key: `apr.${d.request.id}.rejected`, text });
  ctx.log.info({ requestId: d.request.id, level: step.level }, "change request rejected");
}

async function approve(
  deps: Deps,
  ctx: CardContext,
  d: RequestDetail,
  step: StepWithApprover,
  planned: PlannedChange,
  at: Date,
) {
  const applied = await applyChange(deps, ctx.tx, d, {
    effects: planned.effects,
    total: planned.total,
    actor: step.approverUserId,
  });
  await ctx.tx.changeRequest.update({ where: { id: d.request.id }, data: { status: "APPROVED", decidedAt: at } });
  const change = `「${d.targetPath}」${changeText(d.request.currentAmount, d.request.proposedAmount)}`;
  const where = effectText(planned.effects, planned.parent?.label ?? null);
  const ownerCard =
    d.target.ownerUserId === d.requester.userId ? "新的目标卡片已发给你，请确认。" : "新的目标卡片已发给负责人确认。";
  await deps.outbound.sendText(ctx.tx, {
    to: [d.requester.userId],
    key: `apr.${d.request.id}.approved`,
    text: `你的目标调整申请${change}已审批通过并生效。${where ? `${where}。` : ""}${ownerCard}`,
  });
  const approvers = [...new Set(d.steps.map((s) => s.approverUserId))].filter((u) => u !== d.requester.userId);
  if (approvers.length > 0) {
    await deps.outbound.sendText(ctx.tx, {
      to: approvers,
      key: `apr.${d.request.id}.done`,
      text: `${d.requester.name}的目标调整申请${change}已全部审批通过并生效（最后一步：${step.approver.name}）。`,
    });
  }
  ctx.log.info({ requestId: d.request.id, newCards: applied.newCards }, "change request approved and applied");
}
