import type { AppDeps } from "../../app-deps.ts";
import type { ClaimProbe, Intent, TextContext } from "../../dingtalk/bot.ts";
import type { ApprovalStep } from "../../domain/approval-route.ts";
import { formatAmountShort } from "../../domain/format-amount.ts";
import { type ChangeChat, parseChangeChat } from "../../domain/parse-change-request.ts";
import type { ChangeDraft } from "../../generated/prisma/client.ts";
import { AppError } from "../../lib/errors.ts";
import { managerChains } from "../../org/manager-chains.ts";
import { CONFIRM_WORDS, heldInChatSince } from "../progress/index.ts";
import {
  type PreparedRequest,
  prepareChangeRequest,
  type RequestSource,
  submitChangeRequest,
} from "./change-request-service.ts";
import { changeText, effectText, routeText } from "./change-request-text.ts";
import { withdrawChangeRequest } from "./withdraw-request.ts";

export type ApprovalChatDeps = Pick<AppDeps, "db" | "config" | "calendar" | "outbound" | "log" | "now">;

/** How long the bot waits for 「确认」 or a number after asking. */
export const CONFIRM_TTL_MS = 30 * 60_000;
/** How long the bot waits for the new amount after a manager's 发起目标调整. */
export const AMOUNT_TTL_MS = 24 * 60 * 60_000;

export const APPROVAL_HELP = [
  "申请调整目标，例如：",
  "· 申请把目标调整为150万，原因：大客户流失",
  "· 目标改成150万 因为华南大客户流失",
  "· 把李娜的目标改成150万，原因：……（经理为下属申请）",
  "提交前我会列出调整前后、差额去向和审批人，回复“确认”即提交；审批中可回复“撤回申请”。",
].join("\n");

const inOneToOne = (ctx: TextContext) => ctx.event.conversationType === "1";

/** Whether the sender has a change draft: asked with every chat message's claim (see ClaimProbe). */
export const CHANGE_DRAFT_PROBE: ClaimProbe = {
  name: "approval.changeDraft",
  sql: "EXISTS (SELECT 1 FROM change_draft d WHERE d.user_id = $3::text)",
};

/**
 * Target-change requests in the 1:1 chat (docs/domain.md "Change approval"), tried before progress: 「确认」 while a
 * change waits for it (unless a progress figure asked later: the latest question wins), a number choosing one of
 * several targets, a change request (「目标改成150万 因为…」, or only the amount and reason right after a manager's
 * 发起目标调整), and 「撤回申请」.
 */
export function approvalIntents(deps: ApprovalChatDeps): Intent[] {
  // Every chat message passes these matchers before progress's: the person's draft is read once per message, and
  // only when the message's claim found one (CHANGE_DRAFT_PROBE): most people have none.
  const drafts = new WeakMap<TextContext["event"], Promise<ChangeDraft | null>>();
  const draftOf = (ctx: TextContext) => {
    let d = drafts.get(ctx.event);
    if (!d) {
      d =
        ctx.staff?.active && ctx.probe(CHANGE_DRAFT_PROBE.name) !== false
          ? ctx.tx.changeDraft.findUnique({ where: { userId: ctx.staff.userId } })
          : Promise.resolve(null);
      drafts.set(ctx.event, d);
    }
    return d;
  };
  const reading = new WeakMap<TextContext["event"], ChangeChat>();
  const read = async (ctx: TextContext): Promise<ChangeChat> => {
    let r = reading.get(ctx.event);
    if (!r) {
      const draft = await draftOf(ctx);
      const awaitingAmount = draft?.stage === "AMOUNT" && draft.expiresAt > deps.now();
      r = parseChangeChat(ctx.event.text, { needsTargetWord: !awaitingAmount });
      reading.set(ctx.event, r);
    }
    return r;
  };
  return [
    {
      name: "approval.confirm",
      match: async (ctx) => {
        if (!inOneToOne(ctx) || !CONFIRM_WORDS.test(ctx.event.text.trim())) return false;
        const draft = await draftOf(ctx);
        if (draft?.stage !== "CONFIRM") return false;
        const figure = await heldInChatSince(ctx.tx, draft.userId);
        return figure === null || figure.getTime() <= draft.createdAt.getTime();
      },
      handle: (ctx) => confirmDraft(deps, ctx),
    },
    {
      name: "approval.choose",
      match: async (ctx) => {
        if (!inOneToOne(ctx) || !/^\s*\d{1,2}\s*$/.test(ctx.event.text)) return false;
        // Any small number while a list waits (30 minutes): one out of range is answered here, not read as a figure.
        const draft = await draftOf(ctx);
        return draft?.stage === "CHOOSE" && draft.expiresAt > deps.now();
      },
      handle: (ctx) => chooseTarget(deps, ctx),
    },
    {
      name: "approval.request",
      match: async (ctx) => inOneToOne(ctx) && ["change", "invalid"].includes((await read(ctx)).kind),
      handle: async (ctx) => {
        const m = await read(ctx);
        if (m.kind === "invalid") return ctx.reply(m.message);
        if (m.kind === "change") return askChange(deps, ctx, m);
      },
    },
    {
      name: "approval.withdraw",
      match: async (ctx) => inOneToOne(ctx) && (await read(ctx)).kind === "withdraw",
      handle: async (ctx) => {
        const m = await read(ctx);
        if (m.kind === "withdraw") return withdraw(deps, ctx, m.index);
      },
    },
  ];
}

function staffId(ctx: TextContext): string {
  if (!ctx.staff?.active)
    throw new AppError("NOT_FOUND", "系统里还没有你的员工信息，请联系管理员导入组织架构后再申请。");
  return ctx.staff.userId;
}

/** Upserts the person's one draft (a new question replaces an older one). */
async function saveDraft(
  ctx: TextContext,
  a: {
    userId: string;
    stage: "CHOOSE" | "CONFIRM" | "AMOUNT";
    targetIds: string[];
    amount: bigint | null;
    reason: string | null;
    source: RequestSource;
    at: Date;
    ttl: number;
  },
): Promise<void> {
  const data = {
    stage: a.stage,
    targetIds: a.targetIds,
    proposedAmount: a.amount,
    reason: a.reason,
    source: a.source,
    expiresAt: new Date(a.at.getTime() + a.ttl),
    createdAt: a.at,
  };
  await ctx.tx.changeDraft.upsert({ where: { userId: a.userId }, create: { userId: a.userId, ...data }, update: data });
}

/**
 * 「目标改成150万 因为…」: which target (the draft's after 发起目标调整, else the person's own published targets —
 * several → a numbered list to choose from), then the preview and the question 「确认提交吗？」.
 */
async function askChange(deps: ApprovalChatDeps, ctx: TextContext, m: Extract<ChangeChat, { kind: "change" }>) {
  const userId = staffId(ctx);
  const at = deps.now();
  const draft = await ctx.tx.changeDraft.findUnique({ where: { userId } });
  const fromEscalation = draft?.stage === "AMOUNT" && draft.expiresAt > at;
  const source: RequestSource = fromEscalation ? "ESCALATION" : "CHAT";
  const named = !fromEscalation && m.person ? await namedReport(ctx, userId, m.person) : undefined;
  const targetIds = fromEscalation ? draft.targetIds : await publishedTargetsOf(ctx, named?.userId ?? userId);
  if (targetIds.length === 0) {
    return ctx.reply(
      named
        ? `${named.name}名下没有已发布的目标，无法申请调整。`
        : "你名下没有已发布的目标，无法申请调整。如需调整下属的目标，请说“把李娜的目标改成150万，原因：……”。",
    );
  }
  if (targetIds.length > 1) {
    await saveDraft(ctx, {
      userId,
      stage: "CHOOSE",
      targetIds,
      amount: m.amount,
      reason: m.reason,
      source,
      at,
      ttl: CONFIRM_TTL_MS,
    });
    return ctx.reply(await chooseText(ctx, targetIds, m.amount));
  }
  return preview(ctx, { userId, targetId: targetIds[0]!, amount: m.amount, reason: m.reason, source, at });
}

/**
 * 「把李娜的目标…」: the active person of that name whom the sender manages (anywhere up the chain), or the sender
 * themself by their own name. Nobody of that name, or nobody of it under the sender, is refused with why.
 */
async function namedReport(ctx: TextContext, userId: string, name: string): Promise<{ userId: string; name: string }> {
  const people = await ctx.tx.staff.findMany({ where: { name, active: true }, orderBy: { userId: "asc" } });
  if (people.length === 0) {
    throw new AppError("NOT_FOUND", `没有找到名叫“${name}”的在职同事。调整自己的目标请说“目标改成150万，原因：……”。`);
  }
  const self = people.find((p) => p.userId === userId);
  if (self) return self;
  const chains = await managerChains(
    ctx.tx,
    people.map((p) => p.userId),
  );
  const mine = people.filter((p) => chains.get(p.userId)?.some((l) => l?.userId === userId));
  if (mine.length === 0) throw new AppError("CONFLICT", `${name}不是你的下属，不能替${name}申请调整目标。`);
  if (mine.length > 1) {
    throw new AppError("CONFLICT", `你的下属中有${mine.length}位叫“${name}”的同事，请联系管理员通过接口提交。`);
  }
  return mine[0]!;
}

/** A person's live published leaf targets, by place in the tree. */
async function publishedTargetsOf(ctx: TextContext, userId: string): Promise<string[]> {
  const rows = await ctx.tx.$queryRawUnsafe<{ id: string }[]>(
    `SELECT t.id FROM target t JOIN plan p ON p.id = t.plan_id
      WHERE t.owner_user_id = $1 AND p.status = 'PUBLISHED' AND t.state = 'PUBLISHED' AND NOT t.reserve
        AND NOT EXISTS (SELECT 1 FROM target c WHERE c.parent_id = t.id AND c.state <> 'ARCHIVED')
      ORDER BY p.fiscal_year DESC, p.name, t.label, t.id`,
    userId,
  );
  return rows.map((r) => r.id);
}

async function chooseText(ctx: TextContext, targetIds: string[], amount: bigint): Promise<string> {
  const targets = await ctx.tx.target.findMany({
    where: { id: { in: targetIds } },
    include: { plan: true, owner: true },
  });
  const byId = new Map(targets.map((t) => [t.id, t]));
  const lines = targetIds.map((id, i) => {
    const t = byId.get(id);
    return t
      ? `${i + 1}. ${t.plan.name} · ${t.label}（当前 ${formatAmountShort(t.amount)}）`
      : `${i + 1}. （目标已不存在）`;
  });
  return [`要把哪个目标调整为${formatAmountShort(amount)}？请回复序号：`, ...lines].join("\n");
}

/** A number after the list (matched only while it is live): that target, then the preview. */
async function chooseTarget(deps: ApprovalChatDeps, ctx: TextContext) {
  const userId = staffId(ctx);
  const at = deps.now();
  const draft = (await ctx.tx.changeDraft.findUnique({ where: { userId } })) as ChangeDraft;
  if (draft.proposedAmount === null || draft.reason === null)
    throw new Error(`CHOOSE draft of ${userId} has no amount`);
  const targetId = draft.targetIds[Number(ctx.event.text.trim()) - 1];
  if (!targetId) return ctx.reply(`请回复 1 到 ${draft.targetIds.length} 之间的序号。`);
  return preview(ctx, {
    userId,
    targetId,
    amount: draft.proposedAmount,
    reason: draft.reason,
    source: draft.source as RequestSource,
    at,
  });
}

/** Checks and plans the request (nothing stored yet), echoes it and asks for 「确认」. */
async function preview(
  ctx: TextContext,
  a: { userId: string; targetId: string; amount: bigint; reason: string; source: RequestSource; at: Date },
) {
  const p = await prepareChangeRequest(ctx.tx, {
    targetId: a.targetId,
    requesterUserId: a.userId,
    proposedAmount: a.amount,
    reason: a.reason,
    rebalance: "RESERVE",
    source: a.source,
    kind: "CHANGE",
  });
  await saveDraft(ctx, {
    userId: a.userId,
    stage: "CONFIRM",
    targetIds: [a.targetId],
    amount: a.amount,
    reason: p.input.reason,
    source: a.source,
    at: a.at,
    ttl: CONFIRM_TTL_MS,
  });
  return ctx.reply([...previewLines(p), "确认提交吗？回复“确认”（30分钟内有效）"].join("\n"));
}

/** What a request will do and who will decide it, as the chat echoes it. */
export function previewLines(p: PreparedRequest): string[] {
  const parentLabel = p.planned.parent?.label ?? null;
  // What the approver is to the owner, in words: the plan owner's step, a director, the direct manager, or a
  // manager further up (a level the chain filled from higher up after someone was skipped).
  const roleText = (s: ApprovalStep) => {
    const staff = p.approvers.get(s.userId);
    if (s.role === "PLAN_OWNER") return "计划负责人";
    if (staff?.role === "DIRECTOR") return "总监";
    return s.userId === p.target.owner.managerUserId ? "直属上级" : "上级";
  };
  const approvers = p.route.steps.map((s) => `${p.approvers.get(s.userId)?.name ?? s.userId}（${roleText(s)}）`);
  const skipped = p.route.skipped.map(
    (s) => `${s.userId ? (p.approvers.get(s.userId)?.name ?? s.userId) : "缺失的上级"}：${s.reason}`,
  );
  const where = effectText(p.planned.effects, parentLabel);
  return [
    "目标调整申请（待确认）",
    `目标：${p.plan.name} · ${p.target.label}${p.target.label === p.target.owner.name ? "" : `（${p.target.owner.name}）`}`,
    `调整：${changeText(p.target.amount, p.input.proposedAmount)}`,
    ...(where ? [where] : []),
    `审批：${routeText(approvers)}${skipped.length > 0 ? `（已跳过 ${skipped.join("；")}）` : ""}`,
    `原因：${p.input.reason}`,
  ];
}

/** 「确认」: submits the draft as it is now (checked again: the tree may have changed in the meantime). */
async function confirmDraft(deps: ApprovalChatDeps, ctx: TextContext) {
  const userId = staffId(ctx);
  const at = deps.now();
  const draft = (await ctx.tx.changeDraft.findUnique({ where: { userId } })) as ChangeDraft;
  await ctx.tx.changeDraft.delete({ where: { userId } });
  if (draft.expiresAt <= at || draft.proposedAmount === null || draft.reason === null) {
    return ctx.reply("待确认的目标调整已超过30分钟，没有提交。请重新发送调整申请。");
  }
  const figure = await heldInChatSince(ctx.tx, userId);
  let d: Awaited<ReturnType<typeof submitChangeRequest>>;
  try {
    d = await submitChangeRequest(
      deps,
      ctx.tx,
      {
        targetId: draft.targetIds[0]!,
        requesterUserId: userId,
        proposedAmount: draft.proposedAmount,
        reason: draft.reason,
        rebalance: "RESERVE",
        source: draft.source as RequestSource,
        kind: "CHANGE",
      },
      at,
    );
  } catch (err) {
    // The draft is used up either way; say why it could not be submitted.
    if (err instanceof AppError) return ctx.reply(`没有提交：${err.userMessage}`);
    throw err;
  }
  const approver = d.steps[0]?.approver.name ?? "";
  const lines = [
    `已确认并提交目标调整申请：「${d.targetPath}」${changeText(d.request.currentAmount, d.request.proposedAmount)}。`,
    `等待${approver}审批（共${d.steps.length}步），结果会在这里通知你；如需撤回，回复“撤回申请”。`,
  ];
  if (figure) lines.push("你还有一个待确认的进度数字没有记录，如需记录请再回复“确认”。");
  return ctx.reply(lines.join("\n"));
}

/** 「撤回申请」 / 「撤回申请 2」: the person's pending request (several → which one). */
async function withdraw(deps: ApprovalChatDeps, ctx: TextContext, index: number | null) {
  const userId = staffId(ctx);
  const pending = await ctx.tx.changeRequest.findMany({
    where: { requesterUserId: userId, status: "PENDING" },
    include: { target: true },
    orderBy: [{ createdAt: "asc" }, { id: "asc" }],
  });
  if (pending.length === 0) return ctx.reply("你没有待审批的目标调整申请。");
  if (index === null && pending.length > 1) {
    const lines = pending.map((r, i) => `${i + 1}. ${r.target.label} ${changeText(r.currentAmount, r.proposedAmount)}`);
    return ctx.reply(
      ["你有多项待审批的调整申请，要撤回哪一项？回复“撤回申请 序号”，例如“撤回申请 1”：", ...lines].join("\n"),
    );
  }
  const chosen = pending[(index ?? 1) - 1];
  if (!chosen) return ctx.reply(`没有第${index}项待审批的申请；你共有${pending.length}项。`);
  const d = await withdrawChangeRequest(deps, ctx.tx, { requestId: chosen.id, userId, at: deps.now() });
  return ctx.reply(
    `已撤回目标调整申请：「${d.targetPath}」${changeText(d.request.currentAmount, d.request.proposedAmount)}。审批人已收到通知。`,
  );
}
