// biome-ignore-all lint/suspicious/noTemplateCurlyInString: "${name}" is the DingTalk template placeholder syntax, not a JS template.
import { z } from "zod";
import { formatAmountShort } from "../src/domain/format-amount.ts";
import { ZAmountValue } from "../src/domain/z-amount.ts";
import type { CardFormField, CardParams } from "./card-definition.ts";
import { defineCard } from "./card-definition.ts";
import type { TPerson } from "./card-input.ts";
import { formatPeriodResult, ZOptionalText, ZPeriodResult, ZPerson, ZText } from "./card-input.ts";
import type { PublicValues } from "./card-params.ts";
import { encodeCardParams } from "./card-params.ts";
import { fitList, MAX_VALUE_BYTES, oneLine, truncateUtf8 } from "./fit-text.ts";
import { DEFAULT_TIME_ZONE, formatChange, formatDateTime, formatDelta } from "./format.ts";

const PENDING = "status == 'pending' && canAct";
const commentForm: readonly CardFormField[] = [{ name: "comment", label: "审批意见", type: "text", required: false }];

/** One approval step of a target change request (docs/domain.md "Change approval"). */
export const approvalCard = defineCard({
  id: "approval",
  title: "目标变更审批",
  templateIdConfigKey: "DINGTALK_CARD_TEMPLATE_APPROVAL",
  heading: "${headline}",
  variables: {
    headline: { type: "string", scope: "public", description: "如「目标变更审批 · 李娜」" },
    targetText: { type: "string", scope: "public", description: "被变更的目标，如「华东 · 李娜 · 2026 销售额」" },
    diffText: { type: "string", scope: "public", description: "旧 → 新（Δ%），如「420万 → 380万（-9.5%）」" },
    parentText: { type: "string", scope: "public", description: "对上级目标的影响" },
    reserveText: { type: "string", scope: "public", description: "对上级未分配预留的影响；不涉及时为空" },
    siblingsText: { type: "markdown", scope: "public", description: "受影响的同级目标，每行一个；不涉及时为空" },
    reasonText: { type: "string", scope: "public", description: "变更原因" },
    requesterText: { type: "string", scope: "public", description: "申请人" },
    attainmentText: { type: "string", scope: "public", description: "负责人近期达成，如「W14 62% · W15 未填报」" },
    stepText: { type: "string", scope: "public", description: "审批进度，如「第1步/共2步」" },
    historyText: { type: "markdown", scope: "public", description: "之前各步的审批结果；第一步时为空" },
    status: {
      type: "string",
      scope: "public",
      description: "状态：pending | approved | rejected | stale | reassigned | withdrawn",
    },
    statusText: { type: "string", scope: "public", description: "状态说明，如「已同意 · 张伟 11月23日 10:32」" },
    canAct: { type: "boolean", scope: "private", description: "仅当前步骤的审批人为 true：显示 同意 / 驳回" },
    noticeText: { type: "string", scope: "private", description: "仅点击者可见的一行提示：操作为何未生效，或已处理过" },
  },
  layout: [
    { text: "目标：${targetText}" },
    { text: "变更：**${diffText}**" },
    { text: "上级：${parentText}" },
    { text: "预留：${reserveText}" },
    { text: "同级：\n${siblingsText}" },
    { text: "原因：${reasonText}" },
    { text: "申请人：${requesterText}" },
    { text: "近期达成：${attainmentText}" },
    { text: "${stepText}" },
    { text: "${historyText}" },
    { text: "${statusText}" },
    { text: "${noticeText}" },
  ],
  buttons: [
    { id: "approve", label: "同意", actionParams: { action: "approve" }, form: commentForm, visibleWhen: PENDING },
    { id: "reject", label: "驳回", actionParams: { action: "reject" }, form: commentForm, visibleWhen: PENDING },
  ],
  links: [],
  states: {
    pending: { label: "待审批", description: "等待当前步骤的审批人处理" },
    approved: { label: "已同意", description: "此步骤已同意" },
    rejected: { label: "已驳回", description: "已驳回，申请结束" },
    stale: { label: "已失效", description: "目标在申请后又有变更，申请失效" },
    reassigned: { label: "已转交", description: "超时未处理，已转交上一级审批" },
    withdrawn: { label: "已撤回", description: "申请人撤回了申请，或申请人已离职" },
  },
});

const ZChange = z.object({ name: ZText, oldAmount: ZAmountValue, newAmount: ZAmountValue });

export const ZApprovalCardInput = z
  .object({
    /** The approver of the current step: the only person who sees the buttons. */
    approver: ZPerson,
    requester: ZPerson,
    owner: ZPerson,
    targetLabel: ZText,
    oldAmount: ZAmountValue,
    newAmount: ZAmountValue,
    reason: ZText,
    /** The parent target before and after (it changes only when the plan total does). */
    parent: ZChange,
    /** The parent's unallocated reserve, when the difference goes there (the default). */
    reserve: z.object({ oldAmount: ZAmountValue, newAmount: ZAmountValue }).optional(),
    /** Siblings that absorb the difference, when it is spread over them. */
    siblings: z.array(ZChange),
    /** The owner's latest periods, oldest first. */
    recentAttainment: z.array(ZPeriodResult),
    step: z.object({ index: z.number().int().min(1), total: z.number().int().min(1) }),
    previousDecisions: z.array(z.object({ approver: ZPerson, comment: ZOptionalText, at: z.date() })),
    /** Further lines under the history: approvers skipped and why, a step moved up from someone who did not act. */
    notes: z.array(ZText).default([]),
  })
  .refine((a) => a.step.index <= a.step.total, { path: ["step", "index"], message: "step beyond the last step" });
export type TApprovalCardInput = z.input<typeof ZApprovalCardInput>;
type ApprovalCardValues = z.output<typeof ZApprovalCardInput>;

export type ApprovalDecision = "approve" | "reject";

const name = (p: { name: string }, max = 90) => truncateUtf8(oneLine(p.name), max);

function change(before: bigint, after: bigint): string {
  const delta = after === before ? "不变" : formatDelta(before, after);
  return `${formatAmountShort(before)} → ${formatAmountShort(after)}（${delta}）`;
}

function history(a: ApprovalCardValues, timeZone: string): string {
  const lines = a.previousDecisions.map((d, i) => {
    const comment = d.comment ? `：${truncateUtf8(oneLine(d.comment), 150)}` : "";
    return `第${i + 1}步 ${name(d.approver)} 已同意（${formatDateTime(d.at, timeZone)}）${comment}`;
  });
  return fitList([...lines, ...a.notes.map((n) => truncateUtf8(oneLine(n), 200))], { separator: "\n" });
}

function publicValues(a: ApprovalCardValues, status: string, statusText: string, timeZone: string) {
  const values: PublicValues<typeof approvalCard.variables> = {
    headline: `目标变更审批 · ${name(a.owner)}`,
    targetText: truncateUtf8(oneLine(a.targetLabel), 300),
    diffText: `${formatAmountShort(a.oldAmount)} → ${formatAmountShort(a.newAmount)}（${formatChange(a.oldAmount, a.newAmount)}）`,
    parentText: `${name(a.parent, 120)} ${change(a.parent.oldAmount, a.parent.newAmount)}`,
    reserveText: a.reserve ? change(a.reserve.oldAmount, a.reserve.newAmount) : "",
    siblingsText: fitList(
      a.siblings.map((s) => `${name(s)} ${change(s.oldAmount, s.newAmount)}`),
      { separator: "\n" },
    ),
    reasonText: truncateUtf8(oneLine(a.reason), MAX_VALUE_BYTES),
    requesterText: name(a.requester),
    attainmentText:
      a.recentAttainment.length > 0
        ? fitList(a.recentAttainment.map(formatPeriodResult), { separator: " · " })
        : "暂无",
    stepText: `第${a.step.index}步/共${a.step.total}步`,
    historyText: history(a, timeZone),
    status,
    statusText,
  };
  return values;
}

function build(a: ApprovalCardValues, status: string, statusText: string, timeZone: string): CardParams {
  return encodeCardParams(approvalCard, publicValues(a, status, statusText, timeZone), {
    [a.approver.userId]: { canAct: true, noticeText: "" },
  });
}

/** The card for the current step's approver. */
export function buildApprovalCard(input: TApprovalCardInput, timeZone = DEFAULT_TIME_ZONE): CardParams {
  const a = ZApprovalCardInput.parse(input);
  return build(a, "pending", `等待 ${name(a.approver)} 审批`, timeZone);
}

/** After 同意 / 驳回: "已同意 · 张伟 11月23日 10:32（意见：…）". */
export function approvalCardDecided(
  input: TApprovalCardInput,
  decision: ApprovalDecision,
  comment: string | undefined,
  at: Date,
  timeZone = DEFAULT_TIME_ZONE,
): CardParams {
  const a = ZApprovalCardInput.parse(input);
  const d = z.enum(["approve", "reject"]).parse(decision);
  const note = comment?.trim() ? `（意见：${truncateUtf8(oneLine(comment), 400)}）` : "";
  const text = `${d === "approve" ? "已同意" : "已驳回"} · ${name(a.approver)} ${formatDateTime(at, timeZone)}${note}`;
  return build(a, d === "approve" ? "approved" : "rejected", text, timeZone);
}

/** The target changed after the request was made; nobody can act on this request any more. */
export function approvalCardStale(input: TApprovalCardInput, timeZone = DEFAULT_TIME_ZONE): CardParams {
  const a = ZApprovalCardInput.parse(input);
  return build(a, "stale", "目标在申请后已变更，此申请已失效，请重新发起", timeZone);
}

/** The requester withdrew the request, or left the company: nobody needs to act any more. */
export function approvalCardWithdrawn(
  input: TApprovalCardInput,
  why: string,
  timeZone = DEFAULT_TIME_ZONE,
): CardParams {
  const a = ZApprovalCardInput.parse(input);
  return build(a, "withdrawn", truncateUtf8(oneLine(why), 300), timeZone);
}

/** No decision within 3 workdays: the step moved to the approver's manager (never auto-approved). */
export function approvalCardReassigned(
  input: TApprovalCardInput,
  to: TPerson,
  timeZone = DEFAULT_TIME_ZONE,
): CardParams {
  const a = ZApprovalCardInput.parse(input);
  const next = ZPerson.parse(to);
  return build(a, "reassigned", `超过3个工作日未处理，已转交 ${name(next)} 审批`, timeZone);
}

/** 李娜 asks to lower her 420万 to 380万; the 40万 goes to 华东's reserve; step 1 of 2 is 张伟's. */
export const approvalCardFixture: TApprovalCardInput = {
  approver: { userId: "zhangwei10", name: "张伟" },
  requester: { userId: "lina01", name: "李娜" },
  owner: { userId: "lina01", name: "李娜" },
  targetLabel: "华东 · 李娜 · 2026 销售额",
  oldAmount: 4_200_000n,
  newAmount: 3_800_000n,
  reason: "大客户华润的二期项目推迟到2027年，预计减少40万",
  parent: { name: "华东", oldAmount: 36_000_000n, newAmount: 36_000_000n },
  reserve: { oldAmount: 0n, newAmount: 400_000n },
  siblings: [],
  recentAttainment: [
    { period: "2026-W12", target: 80_000n, actual: 76_000n },
    { period: "2026-W13", target: 80_000n, actual: 70_400n },
    { period: "2026-W14", target: 70_000n, actual: 43_400n },
    { period: "2026-W15", target: 90_000n, actual: null },
  ],
  step: { index: 1, total: 2 },
  previousDecisions: [],
};
