import type { AppDeps } from "../../app-deps.ts";
import type { Database, Tx } from "../../db/database.ts";
import { formatAmountShort } from "../../domain/format-amount.ts";
import { confirmReminderRule, confirmReminderStage } from "../../domain/job-schedules.ts";
import { type Metric, metricUnit } from "../../domain/metric.ts";
import { localDate } from "../../domain/zoned-time.ts";
import { liveLeafSql } from "../../plans/leaf-targets.ts";
import type { ScheduledJob } from "../../scheduler/job.ts";
import { failureText, type PlanFailure, PlanFailuresError } from "../../scheduler/plan-failures.ts";
import { awayDates, awayOnAllSql } from "../leave/leave-sql.ts";
import { batchNews, type NewsItem, type NewsMessage } from "../news-batch.ts";
import { targetPathSql, targetPlace } from "./target-place.ts";

interface Unconfirmed {
  target_id: string;
  version: number;
  label: string;
  path: string | null;
  amount: string;
  owner_user_id: string;
  owner_name: string;
  manager_user_id: string | null;
  plan_id: string;
  plan_name: string;
  metric: Metric;
  timezone: string;
  queued_at: Date;
  owner_reminded: boolean;
  manager_told: boolean;
}

type Kind = "OWNER" | "MANAGER";

/**
 * Every workday at 10:00 (docs/domain.md "Confirmation"): for each current target version of a published plan that
 * is neither confirmed nor disputed (a pending 有异议 waits for the manager, not the owner), counted from when
 * its owner's target card was queued (target_card_sent — the moment the bot committed to sending it; a version
 * whose card was never queued has nothing to remind about):
 * after 1 full workday its owner is reminded, after 3 the owner's manager is told; an owner with no (active)
 * manager is logged, so someone can give them one.
 * News is batched: one text per owner listing all their targets due for a reminder that day, one markdown list
 * per manager of all their reports' targets due that day. The confirm flow's confirm_reminder table records
 * which versions each kind has named, so each is named once, whichever day and however often this runs; a new
 * version starts over. A message's key is made from the versions it lists, so a repeated run sends nothing new.
 */
export const confirmReminderJob: ScheduledJob<AppDeps> = {
  id: "confirm-reminder",
  rule: confirmReminderRule,
  async run(deps, day) {
    const { outbound } = deps;
    outbound.assertConnected();
    const candidates = await unconfirmedCards(deps.db, day);
    const owners: NewsItem[] = [];
    const managers: NewsItem[] = [];
    const byId = new Map<string, Unconfirmed>();
    // Plan by plan: a target of a plan that cannot be looked at (a bad stored time zone) names its plan as
    // failed, and the other plans' reminders still go out.
    const failed = new Map<string, PlanFailure>();
    for (const c of candidates) {
      if (failed.has(c.plan_id)) continue;
      let stage: ReturnType<typeof confirmReminderStage>;
      try {
        stage = confirmReminderStage(localDate(c.queuedAt, c.timezone), day, deps.calendar);
      } catch (err) {
        deps.log.error({ err, planId: c.plan_id }, "confirm reminder: this plan failed; the other plans go on");
        failed.set(c.plan_id, { planId: c.plan_id, plan: c.plan_name, error: failureText(err) });
        continue;
      }
      const id = `${c.target_id}.v${c.version}`;
      byId.set(id, c);
      if (stage.remindOwner && !c.owner_reminded) owners.push({ to: c.owner_user_id, id, line: ownerLine(c) });
      if (stage.tellManager && !c.manager_told && !c.manager_user_id) {
        const who = { userId: c.owner_user_id, name: c.owner_name, targetId: c.target_id, version: c.version };
        deps.log.warn(who, "unconfirmed target: its owner has no active manager to notify; set one in the org");
      } else if (stage.tellManager && !c.manager_told && c.manager_user_id) {
        managers.push({ to: c.manager_user_id, id, line: managerLine(c) });
      }
    }
    const ownerMessages = batchNews("cfm-remind", owners);
    const managerMessages = batchNews("cfm-unconfirmed", managers);
    const result = await deps.db.prisma.$transaction(
      async (tx) => {
        let reminders = 0;
        let notices = 0;
        for (const m of ownerMessages) {
          const c = m.ids.map((id) => byId.get(id)).filter((x): x is Unconfirmed => !!x);
          if (await outbound.sendText(tx, { to: [m.to], key: m.key, text: ownerReminder(m, c) })) reminders++;
          await remember(tx, "OWNER", m, c);
        }
        for (const m of managerMessages) {
          const c = m.ids.map((id) => byId.get(id)).filter((x): x is Unconfirmed => !!x);
          if (await outbound.sendMarkdown(tx, { to: [m.to], key: m.key, ...managerNotice(m, c) })) notices++;
          await remember(tx, "MANAGER", m, c);
        }
        return {
          unconfirmed: candidates.length,
          reminders,
          notices,
          remindedTargets: owners.length,
          noticedTargets: managers.length,
        };
      },
      { timeout: 120_000, maxWait: 30_000 },
    );
    if (failed.size > 0) throw new PlanFailuresError([...failed.values()], { ...result, failed: [...failed.values()] });
    return result;
  },
};

/**
 * Current versions of leaf targets of published plans that are neither confirmed nor disputed, with when their
 * owner's target card was queued and whether each kind of reminder has named them; versions whose card was never
 * queued are left out, and so are owners on leave on `day` (docs/domain.md "Leave": the reminder and the
 * manager's notice wait until they are back).
 */
async function unconfirmedCards(db: Database, day: string): Promise<(Unconfirmed & { queuedAt: Date })[]> {
  const candidates = await db.sql.query<Unconfirmed>(
    `SELECT t.id AS target_id, t.version, t.label, ${targetPathSql("t")} AS path, t.amount::text AS amount,
              t.owner_user_id, s.name AS owner_name,
              CASE WHEN m.active THEN s.manager_user_id END AS manager_user_id, p.id AS plan_id, p.name AS plan_name,
              p.metric::text AS metric, p.timezone, k.sent_at AS queued_at,
              EXISTS (SELECT 1 FROM confirm_reminder r WHERE r.target_id = t.id AND r.version = t.version
                        AND r.kind = 'OWNER') AS owner_reminded,
              EXISTS (SELECT 1 FROM confirm_reminder r WHERE r.target_id = t.id AND r.version = t.version
                        AND r.kind = 'MANAGER') AS manager_told
         FROM target t JOIN plan p ON p.id = t.plan_id
         JOIN staff s ON s.user_id = t.owner_user_id LEFT JOIN staff m ON m.user_id = s.manager_user_id
         JOIN target_card_sent k ON k.target_id = t.id AND k.version = t.version AND k.user_id = t.owner_user_id
        WHERE p.status = 'PUBLISHED' AND s.active
          AND ${liveLeafSql("t")}
          AND NOT EXISTS (SELECT 1 FROM target_ack a WHERE a.target_id = t.id AND a.version = t.version)
          AND NOT EXISTS (SELECT 1 FROM change_request r WHERE r.target_id = t.id AND r.target_version = t.version
                            AND r.kind = 'DISPUTE' AND r.status = 'PENDING')
          AND NOT ${awayOnAllSql("t.owner_user_id", "$1::text")}
        ORDER BY p.name, s.name, path, t.label, t.id`,
    [awayDates([day])],
  );
  return candidates.map((c) => ({ ...c, queuedAt: new Date(c.queued_at) }));
}

/** The versions a message named, so no later run names them again to the same kind of recipient. */
async function remember(tx: Tx, kind: Kind, m: NewsMessage, named: Unconfirmed[]): Promise<void> {
  await tx.confirmReminder.createMany({
    data: named.map((c) => ({ targetId: c.target_id, version: c.version, kind, userId: m.to })),
    skipDuplicates: true,
  });
}

const amountOf = (c: Unconfirmed) => formatAmountShort(BigInt(c.amount), metricUnit(c.metric));
const planOf = (c: Unconfirmed[]) => [...new Set(c.map((x) => `「${x.plan_name}」`))].join("、");

/** The owner's own line: where the target sits (its label is their name), amount and version. */
function ownerLine(c: Unconfirmed): string {
  return `${targetPlace({ path: c.path, label: c.label, ownerName: c.owner_name })} ${amountOf(c)}（第${c.version}版）`;
}

/** The manager's line: also whose target it is. */
function managerLine(c: Unconfirmed): string {
  const place = targetPlace({ path: c.path, label: c.label, ownerName: c.owner_name });
  return `${c.owner_name}：${place} ${amountOf(c)}（第${c.version}版）`;
}

/** Plain text: it shows whole in the chat list's preview, and an owner rarely has more than a few targets. */
function ownerReminder(m: NewsMessage, c: Unconfirmed[]): string {
  return [
    `【目标确认提醒】你在${planOf(c)}中有 ${m.count} 个目标还没有确认：`,
    m.list,
    "请在与我的聊天里找到对应的目标卡片：同意就点 确认；有不同意见就点 有异议，写明理由和建议目标。",
  ].join("\n");
}

/** Markdown with a title: a manager's list can be long, and the title says what it is in the chat list. */
function managerNotice(m: NewsMessage, c: Unconfirmed[]): { title: string; text: string } {
  const owners = new Set(c.map((x) => x.owner_user_id)).size;
  const title = `${m.count} 个目标已 3 个工作日未确认`;
  const text = [
    `#### ${title}`,
    `你团队中 ${owners} 人在${planOf(c)}中的以下目标已 3 个工作日未确认，也未提出异议：`,
    "",
    m.list,
    "",
    "已提醒负责人本人。请跟进：请他们在目标卡片上确认，或提出异议。",
  ].join("\n");
  return { title, text };
}
