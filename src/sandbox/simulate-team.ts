import type { AppDeps } from "../app-deps.ts";
import type { Emulator } from "../dingtalk/emulator/emulator-types.ts";
import { type Cadence, parsePeriodKey, periodKey, previousPeriodKey } from "../domain/period-key.ts";
import { isPeriodOpen } from "../domain/period-open.ts";
import { localDate } from "../domain/zoned-time.ts";
import { parseTargetCardId } from "../flows/confirm/target-card-id.ts";
import { progressCardId } from "../flows/progress/progress-card-id.ts";
import { progressPromptInputs } from "../flows/progress/progress-prompt.ts";
import { REMINDER_JOB_IDS } from "../flows/progress/progress-reminder.ts";
import { AppError } from "../lib/errors.ts";
import { liveLeafSql } from "../plans/leaf-targets.ts";
import { demoPlan, type RanJob, TOUR_REP_ID } from "./guided-sandbox.ts";

/**
 * The region whose reps fall short every week, so evaluation and escalation have someone to find: 华东, the tour
 * rep's own region, so the manager 我是区域经理 opens (王伟) is the one who gets the escalations.
 */
export const WEAK_REGION = "11";
const DISPUTES = 3;
const CHANGE_REQUESTS = 2;
/** Regions where every rep owns one leaf: a change request there needs no 「选第几个」. */
const ONE_LEAF_REGIONS = new Set(["11", "12"]);

export interface SimulationResult {
  /** New reports for the current period, on time (in chat or on the prompt card). */
  reported: number;
  /** New reports for the previous period, after its Monday reminder and before it closes. */
  late: number;
  /** People who stay silent this period (they never report; the same people every week). */
  silent: number;
  /** New 有异议 on target cards. */
  disputes: number;
  /** New change requests asked and confirmed in chat. */
  changeRequests: number;
  /** New 确认 on target cards. */
  confirmed: number;
}

type Habit = "on-time" | "late" | "silent";

/** Runs `fn` over `items`, `width` at a time (people act at once, as a team does; the bot handles each in turn). */
async function eachAtOnce<T>(items: readonly T[], width: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await fn(items[next++] as T);
  };
  await Promise.all(Array.from({ length: Math.min(width, items.length) }, worker));
}

/** How many simulated people act at the same moment. */
const AT_ONCE = 8;

/** A stable number in [0, 1) for a string (FNV-1a): the seed of everyone's habits. */
export function unit(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0) / 2 ** 32;
}

/** Each person's habit, the same every week: most report on time, about 1 in 8 late, 1 in 12 never. */
export function habitOf(userId: string): Habit {
  const u = unit(`habit:${userId}`);
  return u < 0.08 ? "silent" : u < 0.2 ? "late" : "on-time";
}

const PREVIOUS: Record<Cadence, string> = { WEEK: "上周", MONTH: "上月", QUARTER: "上季度" };
const CURRENT: Record<Cadence, string> = { WEEK: "本周", MONTH: "本月", QUARTER: "本季度" };

/** "3.5万" (one decimal of 万, at least 0.1万). */
function wan(amount: bigint): string {
  const tenths = Number(amount / 1000n);
  return `${Math.max(1, tenths) / 10}万`;
}

/**
 * 模拟团队: everyone but the tour's three people acts like a real team, through the same inbound paths a person
 * uses — the emulator sends their chat messages and card taps to the bot over the stream and waits for the bot's
 * ack — never by writing rows. Deterministic (seeded by userId and period) and idempotent: a second run in the
 * same period does only what is new. Late reporters answer after the Monday reminder: `afterTick` (the clock calls
 * it after each scheduler tick) has them report the period the reminder was for.
 */
export function simulatedTeam(deps: AppDeps, emulator: Emulator) {
  /** Periods the team was simulated in: its late reporters answer those periods' reminders. */
  const simulated = new Set<string>();

  const roles = async () => {
    const rep = await deps.db.prisma.staff.findUnique({ where: { userId: TOUR_REP_ID } });
    return new Set([TOUR_REP_ID, rep?.managerUserId ?? "", (await demoPlan(deps)).ownerUserId]);
  };

  /** Sends `text` as `userId` and waits until the bot has handled it (it acks after its transaction). */
  const say = async (userId: string, text: string): Promise<boolean> => {
    const messageId = emulator.sendText(userId, text);
    if (!messageId) return false;
    await emulator.waitForAck(messageId, 30_000);
    return true;
  };
  const tap = async (userId: string, outTrackId: string, params: Record<string, string>): Promise<boolean> =>
    (await emulator.clickCard(outTrackId, userId, params)).status === "applied";

  /** The owners of the plan's leaves for `period`, with their period target and whether they reported it. */
  const owners = async (planId: string, period: string, skip: Set<string>) => {
    const prompts = await progressPromptInputs(deps.db, { planId, period, calendar: deps.calendar });
    const staff = await deps.db.prisma.staff.findMany({ select: { userId: true, deptId: true } });
    const dept = new Map(staff.map((s) => [s.userId, s.deptId]));
    return prompts
      .filter((p) => !skip.has(p.input.owner.userId))
      .map((p) => ({
        userId: p.input.owner.userId,
        deptId: dept.get(p.input.owner.userId) ?? "",
        periodTarget: BigInt(p.input.periodTarget),
        reported: p.reported !== null,
      }))
      .sort((a, b) => (a.userId < b.userId ? -1 : 1));
  };

  /** This person's figure for a period: the weak region 40–60 % of target, the others 100–140 %. */
  const figure = (userId: string, deptId: string, period: string, target: bigint) => {
    const u = unit(`amount:${userId}:${period}`);
    const share = deptId === WEAK_REGION ? 0.4 + 0.2 * u : 1 + 0.4 * u;
    const amount = (BigInt(Math.round(Number(target) * share)) / 1000n) * 1000n;
    return { amount: amount > 0n ? amount : 1000n, customers: Math.floor(unit(`cust:${userId}:${period}`) * 3) };
  };

  /** Late reporters of `period` who have not reported: they answer now (the period must still be open). */
  const answerLate = async (period: string): Promise<number> => {
    const plan = await demoPlan(deps);
    if (!simulated.has(period) || !isPeriodOpen(period, deps.now(), plan.timezone, deps.calendar)) return 0;
    let late = 0;
    const due = (await owners(plan.id, period, await roles())).filter(
      (o) => !o.reported && habitOf(o.userId) === "late",
    );
    await eachAtOnce(due, AT_ONCE, async (o) => {
      const { amount } = figure(o.userId, o.deptId, period, o.periodTarget);
      if (await say(o.userId, `${PREVIOUS[parsePeriodKey(period).cadence]}完成${wan(amount)}`)) late++;
    });
    return late;
  };

  return {
    async simulate(): Promise<SimulationResult> {
      const plan = await demoPlan(deps);
      if (plan.status !== "PUBLISHED")
        throw new AppError("CONFLICT", "演示计划还没发布：请先点「发布目标」，再模拟团队");
      const skip = await roles();
      const now = deps.now();
      const period = periodKey(plan.cadence, localDate(now, plan.timezone));
      simulated.add(period);
      const out: SimulationResult = { reported: 0, late: 0, silent: 0, disputes: 0, changeRequests: 0, confirmed: 0 };
      const people = await owners(plan.id, period, skip);
      // Disputes and change requests: a fixed few, picked by seed among those who act at all.
      const bySeed = [...people]
        .filter((p) => habitOf(p.userId) !== "silent")
        .sort((a, b) => unit(`pick:${a.userId}`) - unit(`pick:${b.userId}`));
      const disputers = new Set(bySeed.slice(0, DISPUTES).map((p) => p.userId));
      const changers = bySeed
        .filter((p) => !disputers.has(p.userId) && ONE_LEAF_REGIONS.has(p.deptId))
        .slice(0, CHANGE_REQUESTS)
        .map((p) => p.userId);

      const leaves = await deps.db.sql.query<{ owner: string; amount: string }>(
        `SELECT t.owner_user_id AS owner, t.amount::text AS amount FROM target t
          WHERE t.plan_id = $1 AND ${liveLeafSql("t")} ORDER BY t.id`,
        [plan.id],
      );
      const leafOf = new Map(leaves.map((l) => [l.owner, BigInt(l.amount)]));

      // Target cards still waiting for an answer, as each person sees them in their chat.
      await eachAtOnce(people, AT_ONCE, async (p) => {
        if (habitOf(p.userId) === "silent") return;
        for (const item of emulator.getInbox(p.userId)) {
          if (item.kind !== "card" || parseTargetCardId(item.outTrackId)?.userId !== p.userId) continue;
          if (item.data.status !== "pending") continue;
          if (disputers.has(p.userId)) {
            const counter = wan(((leafOf.get(p.userId) ?? 0n) * 80n) / 100n);
            const ok = await tap(p.userId, item.outTrackId, {
              action: "dispute",
              reason: "重点客户项目推迟到下半年，目标偏高",
              amount: counter,
            });
            if (ok) out.disputes++;
          } else if (await tap(p.userId, item.outTrackId, { action: "confirm" })) out.confirmed++;
        }
      });

      // Change requests in chat, confirmed with 「确认」 once the bot has shown the preview.
      for (const userId of changers) {
        const asked = await deps.db.prisma.changeRequest.count({ where: { requesterUserId: userId } });
        if (asked > 0) continue;
        const amount = leafOf.get(userId);
        if (!amount) continue;
        const to = (amount * 85n) / 100n / 10_000n;
        await say(userId, `申请把目标调整为${to}万，原因：大客户预算削减，下半年才有新项目`);
        await say(userId, "确认");
        if ((await deps.db.prisma.changeRequest.count({ where: { requesterUserId: userId } })) > 0)
          out.changeRequests++;
      }

      // This period's reports: on time, half in chat and half on the prompt card (chat while no card came yet).
      await eachAtOnce(people, AT_ONCE, async (p) => {
        const habit = habitOf(p.userId);
        if (habit === "silent") out.silent += p.reported ? 0 : 1;
        if (habit !== "on-time" || p.reported) return;
        const { amount, customers } = figure(p.userId, p.deptId, period, p.periodTarget);
        const cardId = progressCardId(plan.id, period, p.userId);
        const onCard = unit(`channel:${p.userId}`) < 0.5 && emulator.getCard(cardId);
        const done = onCard
          ? await tap(p.userId, cardId, { action: "report", amount: wan(amount), newCustomers: String(customers) })
          : await say(p.userId, `${CURRENT[plan.cadence]}完成${wan(amount)}，新客户${customers}家`);
        if (done) out.reported++;
      });

      // The previous period, when its reminder went out and it is still open: the late ones answer now.
      const previous = previousPeriodKey(period);
      const reminded = await deps.db.prisma.jobRun.findUnique({
        where: { job_period: { job: REMINDER_JOB_IDS[plan.cadence], period: previous } },
      });
      if (reminded) out.late += await answerLate(previous);
      return out;
    },

    /** After a scheduler tick: a progress reminder for a simulated period brings the late ones' answers. */
    async afterTick(ran: RanJob[]): Promise<number> {
      let late = 0;
      const reminders = new Set(Object.values(REMINDER_JOB_IDS));
      for (const r of ran) if (reminders.has(r.job) && r.outcome === "DONE") late += await answerLate(r.period);
      return late;
    },
  };
}
