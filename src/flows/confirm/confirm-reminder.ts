import { buildNoticeCard } from "../../../cards/notice.ts";
import type { AppDeps } from "../../app-deps.ts";
import type { Database, Tx } from "../../db/database.ts";
import type { Outbound } from "../../dingtalk/outbound.ts";
import { formatAmountShort } from "../../domain/format-amount.ts";
import { confirmReminderRule, confirmReminderStage } from "../../domain/job-schedules.ts";
import { localDate } from "../../domain/zoned-time.ts";
import { liveLeafSql } from "../../plans/leaf-targets.ts";
import type { ScheduledJob } from "../../scheduler/job.ts";
import { awayDates, awayOnAllSql } from "../leave/leave-sql.ts";

interface Unconfirmed {
  target_id: string;
  version: number;
  label: string;
  amount: string;
  owner_user_id: string;
  owner_name: string;
  manager_user_id: string | null;
  plan_name: string;
  timezone: string;
  queued_at: Date;
}

/**
 * Every workday at 10:00 (docs/domain.md "Confirmation"): for each current target version of a published plan that
 * is neither confirmed nor disputed (a pending 有异议 waits for the manager, not the owner), counted from when
 * its owner's target card was queued (target_card_sent — the moment the bot committed to sending it; a version
 * whose card was never queued has nothing to remind about):
 * after 1 full workday the owner gets a text reminder, after 3 the owner's manager gets a notice card; an
 * owner with no (active) manager is logged, so someone can give them one.
 * Keys are per (target, version, kind), so each is sent once, whichever day and however often this runs;
 * a new version starts over.
 */
export const confirmReminderJob: ScheduledJob<AppDeps> = {
  id: "confirm-reminder",
  rule: confirmReminderRule,
  async run(deps, day) {
    const { outbound } = deps;
    outbound.assertConnected();
    const candidates = await unconfirmedCards(deps.db, day);
    let reminders = 0;
    let notices = 0;
    await deps.db.prisma.$transaction(
      async (tx) => {
        for (const c of candidates) {
          const stage = confirmReminderStage(localDate(c.queuedAt, c.timezone), day, deps.calendar);
          if (stage.remindOwner && (await remindOwner(tx, outbound, c))) reminders++;
          if (stage.tellManager && !c.manager_user_id) {
            const who = { userId: c.owner_user_id, name: c.owner_name, targetId: c.target_id, version: c.version };
            deps.log.warn(who, "unconfirmed target: its owner has no active manager to notify; set one in the org");
          } else if (stage.tellManager && c.manager_user_id) {
            if (await tellManager(tx, outbound, c, c.manager_user_id)) notices++;
          }
        }
      },
      { timeout: 120_000, maxWait: 30_000 },
    );
    return { unconfirmed: candidates.length, reminders, notices };
  },
};

/**
 * Current versions of leaf targets of published plans that are neither confirmed nor disputed, with when their
 * owner's target card was queued; versions whose card was never queued are left out, and so are owners on leave
 * on `day` (docs/domain.md "Leave": the reminder and the manager's notice wait until they are back).
 */
async function unconfirmedCards(db: Database, day: string): Promise<(Unconfirmed & { queuedAt: Date })[]> {
  const candidates = await db.sql.query<Unconfirmed>(
    `SELECT t.id AS target_id, t.version, t.label, t.amount::text AS amount, t.owner_user_id, s.name AS owner_name,
              CASE WHEN m.active THEN s.manager_user_id END AS manager_user_id, p.name AS plan_name, p.timezone,
              k.sent_at AS queued_at
         FROM target t JOIN plan p ON p.id = t.plan_id
         JOIN staff s ON s.user_id = t.owner_user_id LEFT JOIN staff m ON m.user_id = s.manager_user_id
         JOIN target_card_sent k ON k.target_id = t.id AND k.version = t.version AND k.user_id = t.owner_user_id
        WHERE p.status = 'PUBLISHED' AND s.active
          AND ${liveLeafSql("t")}
          AND NOT EXISTS (SELECT 1 FROM target_ack a WHERE a.target_id = t.id AND a.version = t.version)
          AND NOT EXISTS (SELECT 1 FROM change_request r WHERE r.target_id = t.id AND r.target_version = t.version
                            AND r.kind = 'DISPUTE' AND r.status = 'PENDING')
          AND NOT ${awayOnAllSql("t.owner_user_id", "$1::text")}
        ORDER BY t.id`,
    [awayDates([day])],
  );
  return candidates.map((c) => ({ ...c, queuedAt: new Date(c.queued_at) }));
}

function remindOwner(tx: Tx, outbound: Outbound, c: Unconfirmed): Promise<boolean> {
  const content = [
    `【目标确认提醒】你在「${c.plan_name}」中的目标「${c.label}」${formatAmountShort(BigInt(c.amount), "CNY")}（第${c.version}版）还没有确认。`,
    "请在与我的聊天里找到这张目标卡片：同意就点 确认；有不同意见就点 有异议，写明理由和建议目标。",
  ].join("\n");
  return outbound.sendText(tx, { to: [c.owner_user_id], key: `rmd.cfm.${c.target_id}.v${c.version}`, text: content });
}

function tellManager(tx: Tx, outbound: Outbound, c: Unconfirmed, managerUserId: string): Promise<boolean> {
  const outTrackId = `notice.unconfirmed.${c.target_id}.v${c.version}`;
  const card = buildNoticeCard({
    title: `${c.owner_name} 的目标已 3 个工作日未确认`,
    lines: [
      `计划：${c.plan_name}`,
      `目标：${c.label} ${formatAmountShort(BigInt(c.amount), "CNY")}（第${c.version}版）`,
      "",
      `已提醒 ${c.owner_name} 本人，仍未确认也未提出异议。请跟进：确认目标，或在卡片上提出异议。`,
    ],
  });
  return outbound.sendCard(tx, { card: "notice", to: managerUserId, key: outTrackId, params: card });
}
