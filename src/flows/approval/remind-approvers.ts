import { formatDateTime } from "../../../cards/format.ts";
import type { AppDeps } from "../../app-deps.ts";
import type { Tx } from "../../db/database.ts";
import { batchNews, type NewsItem } from "../news-batch.ts";
import { stepCardKey } from "./approval-card-id.ts";
import { changeText } from "./change-request-text.ts";
import { currentStep, loadRequest, type RequestDetail, type StepWithApprover } from "./request-detail.ts";

/** A step whose approver is owed a reminder today, as found (the reminder re-checks it under the lock). */
export interface DueReminder {
  detail: RequestDetail;
  step: StepWithApprover;
  /** The local date of the run, in the plan's time zone. */
  today: string;
  /** Workdays the step has waited in this attempt. */
  days: number;
}

/**
 * Reminds approvers of the steps due (docs/architecture.md "News is batched"): one text per approver listing all
 * their requests, and each step's remindedAt set with it, in one transaction per approver. Each request is locked
 * and re-checked first: one decided, ended, moved up or reminded since it was found is left out. The message key
 * is made from the step attempts and the day, so a repeated run sends nothing twice. Returns how many approvers.
 */
export async function remindApprovers(deps: AppDeps, due: readonly DueReminder[], at: Date): Promise<number> {
  const byApprover = new Map<string, DueReminder[]>();
  for (const r of due) byApprover.set(r.step.approverUserId, [...(byApprover.get(r.step.approverUserId) ?? []), r]);
  let reminded = 0;
  for (const [approver, mine] of [...byApprover].sort(([a], [b]) => a.localeCompare(b))) {
    try {
      const sent = await deps.db.prisma.$transaction((tx) => remindOne(deps, tx, approver, mine, at), {
        timeout: 60_000,
      });
      if (sent) reminded++;
    } catch (err) {
      deps.log.error(
        { err, approver },
        "approval reminder not sent to this approver today; tomorrow's run tries again",
      );
    }
  }
  return reminded;
}

async function remindOne(deps: AppDeps, tx: Tx, approver: string, due: readonly DueReminder[], at: Date) {
  const items: NewsItem[] = [];
  const stillDue: DueReminder[] = [];
  for (const r of due) {
    const d = await loadRequest(tx, r.detail.request.id, { lock: true });
    const step = d && currentStep(d);
    const same =
      step?.level === r.step.level &&
      step.attempt === r.step.attempt &&
      step.remindedAt?.getTime() === r.step.remindedAt?.getTime();
    if (!same) continue;
    stillDue.push(r);
    items.push({ to: approver, id: `${stepCardKey(r.detail.request.id, r.step)}.${r.today}`, line: line(r) });
  }
  const [message] = batchNews("apr-remind", items);
  if (!message) return false;
  const text = [
    `【审批提醒】你有 ${message.count} 项目标调整申请等待审批：`,
    message.list,
    "请在审批卡片上处理：同意 或 驳回（驳回需写明意见）。",
  ].join("\n");
  await deps.outbound.sendText(tx, { to: [approver], key: message.key, text });
  for (const r of stillDue) {
    await tx.approvalStep.update({
      where: { requestId_level: { requestId: r.detail.request.id, level: r.step.level } },
      data: { remindedAt: at },
    });
  }
  return true;
}

/** 「李娜 申请调整「华东 / 李娜」520万 → 504.4万（-15.6万，-3%），4月1日 09:00 起待你审批，已等待 1 个工作日」 */
function line(r: DueReminder): string {
  const { request, requester, targetPath, plan } = r.detail;
  const since = formatDateTime(r.step.pendingSince ?? request.createdAt, plan.timezone);
  return `${requester.name} 申请调整「${targetPath}」${changeText(request.currentAmount, request.proposedAmount)}，${since} 起待你审批，已等待 ${r.days} 个工作日`;
}
