/**
 * bench:evaluate — one WEEK period (2026-W48) evaluated for 10,000 owners (`--owners N`) of one published plan,
 * through the production code: evaluatePlanPeriod with the AppDeps of a service started as sandbox mode starts
 * it (in-process emulator, outbox worker running, scheduler off).
 * Set-up is fast SQL, not timed: the org through importOrg (a director, 5 regional managers, N reps), a published
 * plan whose N leaf targets carry their 12 month rows and published_at before the period, progress for the
 * eight weeks before (in the year-to-date figures) and for the period itself — 6 in 10 met (a tenth of them
 * with a self report beaten by a lower company import), 2 in 10 below, 2 in 10 unreported — and, for every
 * third owner, the previous week's evaluation inserted directly as MISSED with streak 1, so this one opens
 * escalations and queues their cards and messages once the escalation flow does.
 * Measured: the evaluatePlanPeriod call (claim, facts, verdicts, insert, escalation, prompt redraws, commit).
 * The outbox worker polls meanwhile, but what the evaluation queues is invisible to it until the commit that
 * ends the timed call, so no sending overlaps the measurement.
 * The floor, in the same run: the same verdicts (period target from the month rows with the same accrual
 * numbers, the figure in force, attainment, status, reason, streak) computed and written by one hand-written
 * INSERT … SELECT into a scratch table; its rows are checked against the production rows owner by owner.
 */
import { parseArgs } from "node:util";
import type { AppDeps } from "../src/app-deps.ts";
import { loadConfig } from "../src/config.ts";
import { type Database, openDatabase, type Tx } from "../src/db/database.ts";
import { KIND_API } from "../src/dingtalk/outbox/enqueue.ts";
import type { Calendar } from "../src/domain/calendar.ts";
import { thresholdBasisPoints } from "../src/domain/evaluate-period.ts";
import { nextPeriodKey, periodRange } from "../src/domain/period-key.ts";
import { accrualPoint } from "../src/domain/phasing.ts";
import { addDays } from "../src/domain/plain-date.ts";
import { periodWorkdays, remainingWorkingPeriods } from "../src/domain/run-rate.ts";
import { localDateTime } from "../src/domain/zoned-time.ts";
import { evaluatePlanPeriod } from "../src/flows/evaluation/evaluate-plan-period.ts";
import type { EvaluatedPlan } from "../src/flows/evaluation/period-evaluated.ts";
import { progressCardId } from "../src/flows/progress/progress-card-id.ts";
import { createLogger } from "../src/lib/logger.ts";
import { importOrg } from "../src/org/import-org.ts";
import { recordsFromJson, ZOrgImportRequest } from "../src/org/org-input.ts";
import { startService } from "../src/start-service.ts";
import { peakRssMb, runPerEngine, timed } from "./bench-util.ts";

const { values } = parseArgs({
  options: {
    child: { type: "boolean" },
    owners: { type: "string", default: "10000" },
    // Prints EXPLAIN ANALYZE of each of the first run's statements that reads (a query) before it runs.
    explain: { type: "boolean" },
  },
});
const PERIOD = "2026-W48"; // Monday 11-23 to Sunday 11-29: five workdays
const PREVIOUS = "2026-W47";
const EARLIER = ["2026-W39", "2026-W40", "2026-W41", "2026-W42", "2026-W43", "2026-W44", "2026-W45", "2026-W46"];
const TZ = "Asia/Shanghai";
/** The run's `at`: W48 closes on Monday 11-30 at 12:00. */
const AT = new Date("2026-11-30T12:00:00+08:00");
const PUBLISHED_AT = new Date("2026-09-01T10:00:00+08:00");
const REGIONS = ["east", "south", "north", "west", "central"];

const PLAN: EvaluatedPlan = {
  id: "bench-plan",
  name: "2026年度销售目标（bench）",
  fiscalYear: 2026,
  metric: "REVENUE",
  cadence: "WEEK",
  timezone: TZ,
  ownerUserId: "dir",
  missThreshold: 1,
  escalateAfter: 2,
};

function org(reps: number) {
  const departments = [
    { id: "1", name: "公司", parentId: null as string | null },
    ...REGIONS.map((r) => ({ id: r, name: `${r}大区`, parentId: "1" })),
  ];
  const staff = [{ userId: "dir", name: "总监", deptId: "1", managerUserId: null as string | null, role: "DIRECTOR" }];
  for (const r of REGIONS)
    staff.push({ userId: `m-${r}`, name: `${r}经理`, deptId: r, managerUserId: "dir", role: "MANAGER" });
  for (let i = 0; i < reps; i++) {
    const r = REGIONS[i % REGIONS.length]!;
    staff.push({ userId: `rep${i}`, name: `代表${i}`, deptId: r, managerUserId: `m-${r}`, role: "REP" });
  }
  return { departments, staff };
}

/**
 * The plan, its targets and months, progress, and the previous week's evaluation, in a handful of statements.
 * Rep i's annual target is 1,200,000 + 120·i: 100,000 + 10·i a month, about 23,800 a five-day week.
 */
async function setUp(db: Database, n: number): Promise<void> {
  await importOrg({ db, records: recordsFromJson(ZOrgImportRequest.parse(org(n))) });
  const q = (sql: string, params: unknown[] = []) => db.sql.query(sql, params);
  const total = 1_200_000 * n + (120 * n * (n - 1)) / 2;
  await q(
    `INSERT INTO plan (id, name, fiscal_year, metric, total, owner_user_id, timezone, cadence, miss_threshold,
                       escalate_after, status)
     VALUES ($1, $2, 2026, 'REVENUE', $3, 'dir', $4, 'WEEK', 1, 2, 'PUBLISHED')`,
    [PLAN.id, PLAN.name, total, TZ],
  );
  await q(
    `INSERT INTO target (id, plan_id, key, label, depth, owner_user_id, amount, state, published_at, split_dimension,
                         split_method)
     VALUES ('bench-root', $1, 'root', '公司', 0, 'dir', $2, 'PUBLISHED', $3, 'OWNER', 'EQUAL')`,
    [PLAN.id, total, PUBLISHED_AT],
  );
  await q(
    `INSERT INTO target (id, plan_id, parent_id, dimension, key, label, depth, owner_user_id, amount, state, published_at)
     SELECT 'bt' || i, $1, 'bench-root', 'OWNER', 'rep' || i, '代表' || i, 1, 'rep' || i, 1200000 + 120 * i,
            'PUBLISHED', $2
       FROM generate_series(0, $3 - 1) AS i`,
    [PLAN.id, PUBLISHED_AT, n],
  );
  await q(
    `INSERT INTO target_month_amounts (target_id, amounts)
     SELECT 'bt' || i, array_fill((100000 + 10 * i)::bigint, ARRAY[12]) FROM generate_series(0, $1 - 1) AS i`,
    [n],
  );
  // Earlier weeks: everyone who reports reported 20,000 (they count in the year-to-date figures).
  await q(
    `INSERT INTO progress_entry (plan_id, user_id, period, metric, amount, source, origin)
     SELECT $1, 'rep' || i, w, 'REVENUE'::"Metric", 20000, 'SELF_REPORT'::"ProgressSource", 'bench'
       FROM generate_series(0, $2 - 1) AS i, unnest($3::text[]) AS w WHERE i % 10 < 8`,
    [PLAN.id, n, [...EARLIER, PREVIOUS]],
  );
  // The period: i % 10 in 0..5 met (50,000), 6..7 below (10,000), 8..9 nothing. Every tenth met owner also
  // self-reported 90,000 earlier and the company's import of 40,000 (still met) is the figure in force.
  await q(
    `INSERT INTO progress_entry (plan_id, user_id, period, metric, amount, source, origin)
     SELECT $1, 'rep' || i, $3, 'REVENUE'::"Metric", 90000, 'SELF_REPORT'::"ProgressSource", 'bench'
       FROM generate_series(0, $2 - 1) AS i WHERE i % 10 = 0
     UNION ALL
     SELECT $1, 'rep' || i, $3, 'REVENUE'::"Metric", CASE WHEN i % 10 < 6 THEN 50000 ELSE 10000 END,
            CASE WHEN i % 10 = 0 THEN 'IMPORT' ELSE 'SELF_REPORT' END::"ProgressSource", 'bench'
       FROM generate_series(0, $2 - 1) AS i WHERE i % 10 < 8`,
    [PLAN.id, n, PERIOD],
  );
  // The previous week, evaluated: every third owner missed it (streak 1), the rest met it.
  await q("INSERT INTO evaluated_period (plan_id, period, run_at, owners) VALUES ($1, $2, $3, $4)", [
    PLAN.id,
    PREVIOUS,
    new Date("2026-11-23T12:00:00+08:00"),
    n,
  ]);
  await q(
    `INSERT INTO period_evaluation (plan_id, user_id, period, target_ids, target, actual, attainment, status, reason,
                                    streak, ytd_actual, ytd_target, annual_target, required_run_rate)
     SELECT $1, 'rep' || i, $2, ARRAY['bt' || i], 23800, 20000, 0.8403,
            CASE WHEN i % 3 = 0 THEN 'MISSED' ELSE 'MET' END::"EvaluationStatus",
            CASE WHEN i % 3 = 0 THEN 'BELOW_TARGET' END, CASE WHEN i % 3 = 0 THEN 1 ELSE 0 END,
            180000, 1000000, 1200000 + 120 * i, 40000
       FROM generate_series(0, $3 - 1) AS i`,
    [PLAN.id, PREVIOUS, n],
  );
  // Everyone was prompted for the week (the Friday prompt's cards, already sent): the evaluation redraws each as
  // 已评估, so those updates are part of the measured work. Only the outbox rows matter for that: their keys.
  await q(
    `INSERT INTO outbox_message (idempotency_key, kind, api, payload, status, sent_at)
     SELECT $1 || 'rep' || i, 'card.createAndDeliver', $3, '{}'::jsonb, 'SENT', now()
       FROM generate_series(0, $2 - 1) AS i`,
    [progressCardId(PLAN.id, PERIOD, ""), n, KIND_API["card.createAndDeliver"]],
  );
  await q("ANALYZE");
}

/**
 * The floor: the same rows in one INSERT … SELECT into a scratch table — period target, actual, attainment,
 * status, reason, streak, and the year-to-date, annual and run-rate figures production stores with them. It
 * leaves out leave days (no one is on leave here) and the live-leaf test's ARCHIVED filter; the scratch table has
 * a primary key and no foreign keys.
 */
async function floor(db: Database, calendar: Calendar): Promise<number> {
  const cal = calendar;
  const { from, to } = periodRange(PERIOD);
  const start = accrualPoint(PLAN.fiscalYear, addDays(from, -1), cal);
  const end = accrualPoint(PLAN.fiscalYear, to, cal);
  const workdays = periodWorkdays(PERIOD, PLAN.fiscalYear, cal);
  const remaining = remainingWorkingPeriods(nextPeriodKey(PERIOD), PLAN.fiscalYear, cal);
  await db.sql.query(
    `CREATE TABLE floor_evaluation (user_id text PRIMARY KEY, target bigint, actual bigint, attainment float8,
                                    status text, reason text, streak int, ytd_actual bigint, ytd_target bigint,
                                    annual_target bigint, required_run_rate bigint)`,
  );
  const { seconds } = await timed(() =>
    db.sql.query(
      `WITH owner AS (
         SELECT t.owner_user_id AS user_id, max(t.published_at) AS published_at, sum(m.amount) AS annual,
                sum(CASE WHEN m.month < $5 THEN m.amount WHEN m.month = $5 THEN m.amount * $6 / $7 ELSE 0 END) AS ytd_target,
                sum(CASE WHEN m.month < $5 THEN m.amount WHEN m.month = $5 THEN m.amount * $6 / $7 ELSE 0 END)
                  - sum(CASE WHEN m.month < $2 THEN m.amount WHEN m.month = $2 THEN m.amount * $3 / $4 ELSE 0 END)
                  AS target
           FROM target t JOIN target_month m ON m.target_id = t.id
          WHERE t.plan_id = $1 AND NOT EXISTS (SELECT 1 FROM target c WHERE c.parent_id = t.id)
          GROUP BY t.owner_user_id
       ), in_force AS (
         SELECT DISTINCT ON (user_id, period) user_id, period, amount FROM progress_entry
          WHERE plan_id = $1 AND metric = 'REVENUE' AND period LIKE '2026-%' AND period <= $8
          ORDER BY user_id, period, (source = 'IMPORT') DESC, id DESC
       ), figures AS (
         SELECT user_id, sum(amount) AS ytd, max(amount) FILTER (WHERE period = $8) AS actual FROM in_force GROUP BY 1
       ), facts AS (
         SELECT o.user_id, o.target, o.ytd_target, o.annual, f.actual, COALESCE(f.ytd, 0) AS ytd, o.published_at > $9::timestamptz AS before_publish,
                COALESCE((SELECT e.streak FROM period_evaluation e WHERE e.plan_id = $1 AND e.user_id = o.user_id
                           AND e.period < $8 ORDER BY e.period DESC LIMIT 1), 0) AS prev
           FROM owner o LEFT JOIN figures f ON f.user_id = o.user_id
       ), verdict AS (
         SELECT *, CASE WHEN $10::int = 0 OR before_publish THEN 'EXCUSED'
                        WHEN actual IS NULL OR actual * 10000 < $11::bigint * target THEN 'MISSED' ELSE 'MET' END AS status,
                   CASE WHEN $10::int = 0 THEN 'NO_WORKDAYS' WHEN before_publish THEN 'BEFORE_PUBLISH'
                        WHEN actual IS NULL THEN 'NO_REPORT' WHEN actual * 10000 < $11::bigint * target THEN 'BELOW_TARGET'
                   END AS reason
           FROM facts
       )
       INSERT INTO floor_evaluation (user_id, target, actual, attainment, status, reason, streak, ytd_actual,
                                     ytd_target, annual_target, required_run_rate)
       SELECT user_id, target, actual, CASE WHEN target > 0 THEN round(actual * 10000.0 / target) / 10000 END,
              status, reason, CASE status WHEN 'MISSED' THEN prev + 1 WHEN 'MET' THEN 0 ELSE prev END, ytd,
              ytd_target, annual, CASE WHEN annual <= ytd THEN 0 ELSE ((annual - ytd)::bigint + $12::bigint - 1) / $12::bigint END
         FROM verdict`,
      [
        PLAN.id,
        start.month,
        String(start.num),
        String(start.den),
        end.month,
        String(end.num),
        String(end.den),
        PERIOD,
        localDateTime(from, "00:00", TZ),
        workdays,
        String(thresholdBasisPoints(PLAN.missThreshold)),
        remaining,
      ],
    ),
  );
  return seconds;
}

/** A floor row (f) and a production row (e) agree on every figure the floor computes. */
const SAME = [
  "status",
  "reason",
  "streak",
  "target",
  "actual",
  "ytd_actual",
  "ytd_target",
  "annual_target",
  "required_run_rate",
]
  .map((c) => `f.${c} IS NOT DISTINCT FROM e.${c}${c === "status" ? "::text" : ""}`)
  .join(" AND ");

/**
 * An evaluation before the measured one: evaluatePlanPeriod with every raw statement of its transaction timed,
 * then rolled back, so the measured run starts from the same state. The first pays the process's first-use
 * costs (Prisma's first interactive transaction and raw statements, the calendar's first look-ups, the JIT); the
 * second and the measured run are what a service that has been running pays.
 */
async function profile(deps: AppDeps, label: string): Promise<void> {
  const timings: { ms: number; sql: string }[] = [];
  const timedTx = (tx: Tx): Tx =>
    new Proxy(tx, {
      get(target, prop, receiver) {
        const value = Reflect.get(target, prop, receiver);
        if (prop !== "$executeRawUnsafe" && prop !== "$queryRawUnsafe") return value;
        return async (sql: string, ...params: unknown[]) => {
          if (values.explain && prop === "$queryRawUnsafe") {
            const plan = await target.$queryRawUnsafe<{ "QUERY PLAN": string }[]>(`EXPLAIN ANALYZE ${sql}`, ...params);
            console.log(plan.map((r) => r["QUERY PLAN"]).join("\n"));
          }
          const t0 = performance.now();
          const r = await (value as (s: string, ...p: unknown[]) => Promise<unknown>).call(target, sql, ...params);
          timings.push({ ms: performance.now() - t0, sql: sql.replace(/\s+/g, " ").slice(0, 90) });
          return r;
        };
      },
    });
  const rollback = new Error("first run: roll back");
  const prisma = new Proxy(deps.db.prisma, {
    get(target, prop, receiver) {
      if (prop !== "$transaction") return Reflect.get(target, prop, receiver);
      return (fn: (tx: Tx) => Promise<unknown>, opts: unknown) =>
        target.$transaction(async (tx) => {
          await fn(timedTx(tx as Tx));
          throw rollback;
        }, opts as never);
    },
  });
  const t0 = performance.now();
  await evaluatePlanPeriod({ ...deps, db: { ...deps.db, prisma } }, PLAN, PERIOD, AT).catch((err) => {
    if (err !== rollback) throw err;
  });
  const total = performance.now() - t0;
  console.log(`  ${label} (rolled back): ${(total / 1000).toFixed(3)} s; statements, slowest first:`);
  for (const t of timings.sort((a, b) => b.ms - a.ms)) console.log(`    ${t.ms.toFixed(0).padStart(6)} ms  ${t.sql}`);
  const sql = timings.reduce((sum, t) => sum + t.ms, 0);
  console.log(`    ${(total - sql).toFixed(0).padStart(6)} ms  the rest: JavaScript (rules, JSON), BEGIN, ROLLBACK`);
}

async function child(): Promise<void> {
  const engine = process.env.BENCH_ENGINE ?? "pglite";
  const n = Number(values.owners);
  const log = createLogger("silent");
  const db = await openDatabase({ url: process.env.BENCH_DB_URL, pgliteDir: "memory://", log });
  const config = loadConfig({
    ADMIN_TOKEN: "bench-admin-token-0123456789",
    PORT: "0",
    LOG_LEVEL: "silent",
    BOT_SCHEDULER: "off",
  });
  const service = await startService({ config, log, db, sandbox: { demo: false }, now: () => AT });
  try {
    const setup = await timed(() => setUp(db, n));
    console.log(`${engine}: set-up ${setup.seconds.toFixed(1)} s (not timed)`);
    await profile(service.deps, "first evaluation in the process");
    await profile(service.deps, "second evaluation");
    const [{ before }] = (await db.sql.query<{ before: string }>(
      "SELECT COALESCE(max(id), 0)::text AS before FROM outbox_message",
    )) as [{ before: string }];
    const run = await timed(() => evaluatePlanPeriod(service.deps, PLAN, PERIOD, AT));
    const queued = await db.sql.query<{ kind: string; n: number }>(
      "SELECT kind, count(*)::int AS n FROM outbox_message WHERE id > $1::bigint GROUP BY kind ORDER BY kind",
      [before],
    );
    const [{ rows }] = (await db.sql.query<{ rows: number }>(
      "SELECT count(*)::int AS rows FROM period_evaluation WHERE plan_id = $1 AND period = $2",
      [PLAN.id, PERIOD],
    )) as [{ rows: number }];
    const floorSeconds = await floor(db, service.deps.calendar);
    const agreement = await db.sql.query<{ same: number; differ: number; missing: number }>(
      `SELECT count(*) FILTER (WHERE ${SAME})::int AS same,
              count(*) FILTER (WHERE f.user_id IS NOT NULL AND e.user_id IS NOT NULL AND NOT (${SAME}))::int AS differ,
              count(*) FILTER (WHERE f.user_id IS NULL OR e.user_id IS NULL)::int AS missing
         FROM floor_evaluation f FULL JOIN (SELECT * FROM period_evaluation WHERE plan_id = $1 AND period = $2) e
           ON e.user_id = f.user_id`,
      [PLAN.id, PERIOD],
    );
    const o = run.result;
    const queuedText = queued.length ? queued.map((r) => `${r.kind} ${r.n}`).join(", ") : "none";
    const a = agreement[0]!;
    console.log(
      `  measured evaluation of ${PERIOD}: ${o.owners} owners in ${run.seconds.toFixed(3)} s = ${(o.owners / run.seconds).toFixed(0)} owners/s;` +
        ` MET ${o.met}, MISSED ${o.missed}, EXCUSED ${o.excused}; escalations opened ${o.opened}, raised ${o.raised},` +
        ` resolved ${o.resolved}, closed ${o.closed}; warnings ${o.warnings}; prompts redrawn ${o.prompts}\n` +
        `  rows written: period_evaluation ${rows} + evaluated_period 1; outbox rows queued: ${queuedText}\n` +
        `  floor (one INSERT … SELECT): ${floorSeconds.toFixed(3)} s; ratio ${(run.seconds / floorSeconds).toFixed(1)}×;` +
        ` agreement (every stored figure): ${a.same} same, ${a.differ} differ, ${a.missing} missing\n` +
        `  peak RSS ${peakRssMb()} MB`,
    );
    if (a.differ > 0 || a.missing > 0) {
      const examples = await db.sql.query(
        `SELECT row_to_json(f)::text AS floor, row_to_json(e)::text AS production
           FROM floor_evaluation f JOIN period_evaluation e ON e.user_id = f.user_id AND e.plan_id = $1 AND e.period = $2
          WHERE NOT (${SAME}) ORDER BY f.user_id LIMIT 3`,
        [PLAN.id, PERIOD],
      );
      console.log("  floor and production disagree, e.g.", examples);
      process.exitCode = 1;
    }
  } finally {
    await service.stop();
    await db.close();
  }
}

if (values.child) await child();
else await runPerEngine(import.meta.url, process.argv.slice(2));
