import type { AppDeps } from "../../app-deps.ts";
import type { Tx } from "../../db/database.ts";
import { digestMarkdown } from "../../domain/digest-markdown.ts";
import type { Digest } from "../../domain/digest-types.ts";
import { digestRule } from "../../domain/job-schedules.ts";
import type { Cadence } from "../../domain/period-key.ts";
import { previousPeriodKey } from "../../domain/period-key.ts";
import { lastClosedPeriod } from "../../domain/periods-closed-between.ts";
import { periodWorkdays } from "../../domain/run-rate.ts";
import { localDateTime } from "../../domain/zoned-time.ts";
import { managerChains } from "../../org/manager-chains.ts";
import { liveLeafSql } from "../../plans/leaf-targets.ts";
import type { ScheduledJob } from "../../scheduler/job.ts";
import { eachPlanIsolated, PlanFailuresError } from "../../scheduler/plan-failures.ts";
import { dashboardUrl } from "./digest-chat.ts";
import { loadDigest } from "./digest-data.ts";
import { type DigestImage, digestImage } from "./digest-image.ts";

/** What one run did for one plan-period. */
interface PlanDigestRun {
  planId: string;
  period: string;
  /** Viewers who got the digest in this run. */
  sent: number;
  /** …of whom this many also got the chart image (the others: the text alone, see the log). */
  charts: number;
  /** Viewers with nothing to report this period (Digest.empty): sent nothing. */
  empty: number;
  /** Viewers whose digest failed (logged); the next run tries them again. */
  failed: number;
}

/**
 * weekly-digest (docs/domain.md "Digest"): every workday at BOT_DIGEST_TIME, for every published plan, the digest
 * of the period that closed last — once it has been evaluated (until then the run only reports it as waiting,
 * and the next run catches up) — to each viewer who has not had it: every active director, the plan's owner and
 * every active manager with someone under them who owns targets in the plan. Each gets one markdown message and
 * the chart image, queued in one transaction with the viewer's digest_sent row, so a rerun, a catch-up or a
 * second replica sends nothing twice. An empty period (Digest.empty) sends nothing.
 */
export function weeklyDigestJob(time: string): ScheduledJob<AppDeps> {
  const rule = digestRule(time);
  return {
    id: "weekly-digest",
    rule,
    async run(deps, day, at = localDateTime(day, time, deps.config.timezone)) {
      deps.outbound.assertConnected();
      const digests: PlanDigestRun[] = [];
      const waiting: { planId: string; period: string }[] = [];
      // Plan by plan: a plan that fails (a bad stored time zone, a data problem) is named, the others go on.
      const { failed: plansFailed } = await eachPlanIsolated(
        await publishedPlans(deps),
        async (plan) => {
          const period = digestPeriodAt(plan, at, deps);
          if (period === null) return;
          if (!plan.evaluated.includes(period)) {
            waiting.push({ planId: plan.id, period });
            return;
          }
          digests.push(await sendPlanDigests(deps, plan, period, at));
        },
        (plan, err) =>
          deps.log.error({ err, planId: plan.id }, "weekly-digest: this plan failed; the other plans go on"),
      );
      const result = { at: at.toISOString(), digests, waiting };
      if (plansFailed.length > 0) throw new PlanFailuresError(plansFailed, { ...result, failed: plansFailed });
      const failed = digests.reduce((n, d) => n + d.failed, 0);
      if (failed > 0) {
        // Failed, so the claim can be taken again (the next trigger or POST /api/jobs/weekly-digest/run).
        throw new Error(`${failed} 份周报未能生成或发送（见日志）；其余已发送，重跑只补发这些`);
      }
      return result;
    },
  };
}

interface DigestPlan {
  id: string;
  name: string;
  cadence: Cadence;
  timezone: string;
  fiscalYear: number;
  ownerUserId: string;
  evaluated: string[];
}

async function publishedPlans(deps: AppDeps): Promise<DigestPlan[]> {
  return deps.db.sql.query<DigestPlan>(
    `SELECT p.id, p.name, p.cadence::text AS cadence, p.timezone, p.fiscal_year AS "fiscalYear", p.owner_user_id AS "ownerUserId",
            ARRAY(SELECT e.period FROM evaluated_period e WHERE e.plan_id = p.id) AS evaluated
       FROM plan p WHERE p.status = 'PUBLISHED' ORDER BY p.created_at, p.id`,
  );
}

/**
 * The period a run at `at` sends: the plan's period that closed last, skipping periods with no workday in the
 * plan year (the Spring Festival week closes with the week before it, and is never worth a digest); null when it
 * is not a period of the plan's year.
 */
function digestPeriodAt(plan: DigestPlan, at: Date, deps: Pick<AppDeps, "calendar">): string | null {
  let key = lastClosedPeriod({ cadence: plan.cadence, at, timezone: plan.timezone, calendar: deps.calendar });
  for (let i = 0; i < 4 && periodWorkdays(key, plan.fiscalYear, deps.calendar) === 0; i++) key = previousPeriodKey(key);
  return periodWorkdays(key, plan.fiscalYear, deps.calendar) > 0 ? key : null;
}

/**
 * Who gets a plan's digest, who has not had this period's yet: active directors, the plan's owner when active,
 * and every active manager up the chain of an owner of a live leaf target.
 */
async function pendingViewers(deps: AppDeps, planId: string, ownerUserId: string, period: string): Promise<string[]> {
  const tx = deps.db.prisma;
  const owners = await tx.$queryRawUnsafe<{ user_id: string }[]>(
    `SELECT DISTINCT t.owner_user_id AS user_id FROM target t
      WHERE t.plan_id = $1 AND t.owner_user_id IS NOT NULL AND ${liveLeafSql("t")}`,
    planId,
  );
  const chains = await managerChains(
    tx,
    owners.map((o) => o.user_id),
  );
  const managers = [...chains.values()].flatMap((chain) => chain.flatMap((l) => (l?.active ? [l.userId] : [])));
  const rows = await tx.$queryRawUnsafe<{ user_id: string }[]>(
    `SELECT s.user_id FROM staff s
      WHERE s.active AND (s.role = 'DIRECTOR' OR s.user_id = $2 OR s.user_id = ANY($3::text[]))
        AND NOT EXISTS (SELECT 1 FROM digest_sent d WHERE d.plan_id = $1 AND d.period = $4 AND d.user_id = s.user_id)
      ORDER BY s.user_id`,
    planId,
    ownerUserId,
    [...new Set(managers)],
    period,
  );
  return rows.map((r) => r.user_id);
}

async function sendPlanDigests(deps: AppDeps, plan: DigestPlan, period: string, at: Date): Promise<PlanDigestRun> {
  const out: PlanDigestRun = { planId: plan.id, period, sent: 0, charts: 0, empty: 0, failed: 0 };
  for (const userId of await pendingViewers(deps, plan.id, plan.ownerUserId, period)) {
    const log = deps.log.child({ job: "weekly-digest", planId: plan.id, period, userId });
    try {
      const now = deps.now();
      // As of the run's moment, or later when the run catches up: a run for a later `at` than the clock (the API's
      // `at`, a business clock moved forward) sees the period it was asked for as begun.
      const asOf = new Date(Math.max(now.getTime(), at.getTime()));
      const digest = await loadDigest(deps.db.sql, {
        planId: plan.id,
        period,
        viewerUserId: userId,
        calendar: deps.calendar,
        now: asOf,
      });
      if (digest.empty) {
        out.empty++;
        continue;
      }
      const image = await digestImage(deps, digest, log);
      const sent = await deps.db.prisma.$transaction((tx) => sendOne(deps, tx, { digest, userId, image, now }), {
        timeout: 60_000,
      });
      if (sent) {
        out.sent++;
        if (image) out.charts++;
      }
    } catch (err) {
      out.failed++;
      log.error({ err }, "weekly digest for this viewer failed; the next run sends it");
    }
  }
  return out;
}

/** One viewer's digest: the claim, the message and the chart, in one transaction; false when already sent. */
async function sendOne(
  deps: AppDeps,
  tx: Tx,
  a: { digest: Digest; userId: string; image: DigestImage | null; now: Date },
): Promise<boolean> {
  const { plan, period, viewer } = a.digest;
  const claimed = await tx.$queryRawUnsafe<{ user_id: string }[]>(
    `INSERT INTO digest_sent (plan_id, period, user_id, scope, with_chart) VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT DO NOTHING RETURNING user_id`,
    plan.id,
    period,
    a.userId,
    viewer.scope,
    a.image !== null,
  );
  if (claimed.length === 0) return false;
  const key = `digest.${plan.id}.${period}.${a.userId}`;
  const { title, text } = digestMarkdown(a.digest, dashboardUrl(deps, a.userId, a.now));
  await deps.outbound.sendMarkdown(tx, { to: [a.userId], key, title, text });
  if (a.image) await a.image.send(tx, { to: a.userId, key: `${key}.chart` });
  return true;
}
