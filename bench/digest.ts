/**
 * bench:digest — the weekly digest of a plan with 50,000 owners (`--owners N`) and a year of weekly progress, on
 * PGlite and PostgreSQL (`--engine pglite|postgres`, default both; or BENCH_ENGINES).
 * Set-up is fast SQL, not timed: the org through importOrg (a director, 5 regional managers, N reps), a published
 * plan split by region (5) and product line (4 per region) down to one leaf per rep with its 12 months, and
 * progress for W01–W52: 9 in 10 reps report each week, every 20th rep's self-report is beaten by a company import
 * every fourth week; W51 and W52 lie after the digest's period and must not count. W50 is evaluated (the
 * non-reporters and a tenth of the rest missed) and 2 % of the reps have an open escalation.
 * Measured, each as the median of 3 runs after one warm-up: loadDigest + the JSON the API sends, for the director
 * (whole plan) and for one regional manager (a fifth of the owners). Two floors beside each, each one hand-written
 * SQL query computing the same YTD actual (figures in force through W50) and YTD target (expected by phasing's
 * accrual): over the raw progress_entry rows (DISTINCT ON) and the target_month view's month rows, and over what is
 * kept per person (progress_series_person, target_month_amounts) — the ratio that counts is against the latter. The digest's totals are checked against both.
 * Then the director's chart image as the weekly job draws it (ECharts SSR → SVG, resvg → PNG with the CJK font),
 * median of 3 after a warm-up, beside its floor: resvg drawing an SVG of the same size holding one Chinese label
 * with the same font file — what any PNG with Chinese text costs here (reading the font, a canvas of that size).
 */
import { loadavg } from "node:os";
import { parseArgs } from "node:util";
import { type Database, openDatabase } from "../src/db/database.ts";
import type { SqlRunner } from "../src/db/sql.ts";
import { defaultCalendar } from "../src/domain/calendar.ts";
import type { Digest } from "../src/domain/digest-types.ts";
import { parsePeriodKey, periodRange } from "../src/domain/period-key.ts";
import { accrualPoint } from "../src/domain/phasing.ts";
import { digestChartOptions } from "../src/flows/digest/digest-chart.ts";
import { loadDigest } from "../src/flows/digest/index.ts";
import { findCjkFont, renderChartSvg, svgToPng } from "../src/flows/digest/render-chart-png.ts";
import { createLogger } from "../src/lib/logger.ts";
import { importOrg } from "../src/org/import-org.ts";
import { recordsFromJson, ZOrgImportRequest } from "../src/org/org-input.ts";
import { peakRssMb, runPerEngine, timed } from "./bench-util.ts";

const { values } = parseArgs({
  options: {
    child: { type: "boolean" },
    owners: { type: "string", default: "50000" },
    engine: { type: "string" },
    // Prints EXPLAIN ANALYZE of each of the loader's raw statements (in a profiling run, not the timed ones).
    explain: { type: "boolean" },
    // With --child and BENCH_DB_URL: keep the database's bench plan when it is already there (set-up once, then
    // re-measure after changing the loader; the database is not dropped).
    reuse: { type: "boolean" },
  },
});
const PERIOD = "2026-W50";
/** Tuesday after W50 closed (Monday 12-14 12:00). */
const NOW = new Date("2026-12-15T09:00:00+08:00");
const PLAN_ID = "bench-digest";
const REGIONS = ["east", "south", "north", "west", "northeast"];
const LINES = ["终端", "云服务", "解决方案", "运维"];

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

async function setUp(db: Database, n: number): Promise<void> {
  await importOrg({ db, records: recordsFromJson(ZOrgImportRequest.parse(org(n))) });
  const q = (sql: string, params: unknown[] = []) => db.sql.query(sql, params);
  const published = new Date("2026-01-05T10:00:00+08:00");
  // Rep i: 100,000 + (i % 1000) a month.
  await q(
    `INSERT INTO plan (id, name, fiscal_year, metric, total, owner_user_id, timezone, cadence, status)
     SELECT $1, '2026年度销售目标（bench）', 2026, 'REVENUE', sum(12 * (100000 + i % 1000)), 'dir', 'Asia/Shanghai',
            'WEEK', 'PUBLISHED' FROM generate_series(0, $2 - 1) AS i`,
    [PLAN_ID, n],
  );
  await q(
    `INSERT INTO target (id, plan_id, key, label, depth, owner_user_id, amount, state, published_at, split_dimension)
     SELECT 'root', $1, 'root', '公司', 0, 'dir', total, 'PUBLISHED', $2, 'REGION' FROM plan WHERE id = $1`,
    [PLAN_ID, published],
  );
  await q(
    `INSERT INTO target (id, plan_id, parent_id, dimension, key, label, depth, owner_user_id, amount, state,
                         published_at, split_dimension)
     SELECT 'r-' || r, $1, 'root', 'REGION', r, r || '大区', 1, 'm-' || r, 0, 'PUBLISHED', $2, 'PRODUCT_LINE'
       FROM unnest($3::text[]) AS r`,
    [PLAN_ID, published, REGIONS],
  );
  await q(
    `INSERT INTO target (id, plan_id, parent_id, dimension, key, label, depth, owner_user_id, amount, state,
                         published_at, split_dimension)
     SELECT 'l-' || r || '-' || l, $1, 'r-' || r, 'PRODUCT_LINE', l, l, 2, 'm-' || r, 0, 'PUBLISHED', $2, 'OWNER'
       FROM unnest($3::text[]) AS r, unnest($4::text[]) AS l`,
    [PLAN_ID, published, REGIONS, LINES],
  );
  await q(
    `INSERT INTO target (id, plan_id, parent_id, dimension, key, label, depth, owner_user_id, amount, state, published_at)
     SELECT 't' || i, $1, 'l-' || ($3::text[])[i % 5 + 1] || '-' || ($4::text[])[(i / 5) % 4 + 1], 'OWNER',
            'rep' || i, '代表' || i, 3, 'rep' || i, 12 * (100000 + i % 1000), 'PUBLISHED', $2
       FROM generate_series(0, $5 - 1) AS i`,
    [PLAN_ID, published, REGIONS, LINES, n],
  );
  await q(
    `INSERT INTO target_month_amounts (target_id, amounts)
     SELECT 't' || i, array_fill((100000 + i % 1000)::bigint, ARRAY[12]) FROM generate_series(0, $1 - 1) AS i`,
    [n],
  );
  await q(
    `INSERT INTO target_ack (target_id, version, user_id, out_track_id)
     SELECT 't' || i, 1, 'rep' || i, 'bench.' || i FROM generate_series(0, $1 - 1) AS i WHERE i % 50 <> 0`,
    [n],
  );
  // A year of weeks, one statement per 10 weeks (PGlite holds a whole statement's rows in memory). The row
  // trigger that keeps the digest's figures is off for the bulk load; progress_figure_rebuild() — the
  // migration's backfill, which test/integration/digest-kept.test.ts checks equal to what the trigger keeps —
  // then computes them in one pass.
  await q('ALTER TABLE progress_entry DISABLE TRIGGER "progress_figure_keep"');
  for (let w0 = 1; w0 <= 52; w0 += 10) {
    await q(
      `INSERT INTO progress_entry (plan_id, user_id, period, metric, amount, source, origin)
       SELECT $1, 'rep' || i, '2026-W' || lpad(w::text, 2, '0'), 'REVENUE'::"Metric",
              18000 + (i * 7 + w * 13) % 10000, 'SELF_REPORT'::"ProgressSource", 'bench'
         FROM generate_series($3::int, least($3::int + 9, 52)) AS w, generate_series(0, $2 - 1) AS i
        WHERE (i + w) % 10 <> 0
       UNION ALL
       SELECT $1, 'rep' || i, '2026-W' || lpad(w::text, 2, '0'), 'REVENUE'::"Metric", 15000, 'IMPORT'::"ProgressSource", 'bench'
         FROM generate_series($3::int, least($3::int + 9, 52)) AS w, generate_series(0, $2 - 1) AS i
        WHERE (i + w) % 10 <> 0 AND i % 20 = 0 AND w % 4 = 0`,
      [PLAN_ID, n, w0],
    );
  }
  await q('ALTER TABLE progress_entry ENABLE TRIGGER "progress_figure_keep"');
  await q("SELECT progress_figure_rebuild()");
  await q("INSERT INTO evaluated_period (plan_id, period, run_at, owners) VALUES ($1, $2, $3, $4)", [
    PLAN_ID,
    PERIOD,
    new Date("2026-12-14T12:00:00+08:00"),
    n,
  ]);
  await q(
    `INSERT INTO period_evaluation (plan_id, user_id, period, target_ids, target, actual, attainment, status, reason,
                                    streak, ytd_actual, ytd_target, annual_target, required_run_rate)
     SELECT $1, 'rep' || i, $2, ARRAY['t' || i], 23000, CASE WHEN (i + 50) % 10 = 0 THEN NULL ELSE 20000 END, NULL,
            CASE WHEN (i + 50) % 10 = 0 OR i % 10 = 3 THEN 'MISSED' ELSE 'MET' END::"EvaluationStatus",
            CASE WHEN (i + 50) % 10 = 0 THEN 'NO_REPORT' WHEN i % 10 = 3 THEN 'BELOW_TARGET' END,
            CASE WHEN (i + 50) % 10 = 0 OR i % 10 = 3 THEN 1 ELSE 0 END, 0, 0, 0, 0
       FROM generate_series(0, $3 - 1) AS i`,
    [PLAN_ID, PERIOD, n],
  );
  await q(
    `INSERT INTO escalation (id, plan_id, owner_user_id, streak, missed_periods, opened_period, last_period,
                             ytd_actual, ytd_target, annual_target, required_run_rate)
     SELECT 'esc' || i, $1, 'rep' || i, 2 + i % 3, ARRAY['2026-W49', '2026-W50'], '2026-W49', '2026-W50', 0, 0, 0, 0
       FROM generate_series(0, $2 - 1) AS i WHERE i % 50 = 7`,
    [PLAN_ID, n],
  );
  await q("VACUUM ANALYZE");
}

/** The floor: YTD actual and YTD target of the plan (or of one manager's reps) in one hand-written query. */
async function floor(db: Database, manager: string | null): Promise<{ ytdActual: bigint; ytdTarget: bigint }> {
  const end = accrualPoint(2026, periodRange(PERIOD).to, defaultCalendar);
  const [row] = await db.sql.query<{ actual: string; target: string }>(
    `WITH owners AS (SELECT user_id FROM staff WHERE $6::text IS NULL OR manager_user_id = $6),
     in_force AS (
       SELECT DISTINCT ON (user_id, period) user_id, amount FROM progress_entry
        WHERE plan_id = $1 AND metric = 'REVENUE' AND period LIKE '2026-%' AND period <= $2
        ORDER BY user_id, period, (source = 'IMPORT') DESC, id DESC)
     SELECT (SELECT sum(amount) FROM in_force WHERE user_id IN (SELECT user_id FROM owners))::text AS actual,
            (SELECT sum(CASE WHEN m.month < $3 THEN m.amount WHEN m.month = $3 THEN m.amount * $4 / $5 ELSE 0 END)
               FROM target t JOIN target_month m ON m.target_id = t.id
              WHERE t.plan_id = $1 AND t.owner_user_id IN (SELECT user_id FROM owners))::text AS target`,
    [PLAN_ID, PERIOD, end.month, String(end.num), String(end.den), manager],
  );
  return { ytdActual: BigInt(row!.actual), ytdTarget: BigInt(row!.target) };
}

/**
 * The floor on the schema as it is now: the same YTD totals by one hand-written query over what the triggers keep
 * (docs/architecture.md "Kept for the digest") — each owner's running total at the period's number from their
 * progress_series_person row, and the YTD target from each target's month array (target_month_amounts) — what a
 * hand-writer would use instead of reading a year of entries.
 */
async function keptFloor(db: Database, manager: string | null): Promise<{ ytdActual: bigint; ytdTarget: bigint }> {
  const end = accrualPoint(2026, periodRange(PERIOD).to, defaultCalendar);
  const [row] = await db.sql.query<{ actual: string; target: string }>(
    `WITH owners AS (SELECT user_id FROM staff WHERE $6::text IS NULL OR manager_user_id = $6)
     SELECT (SELECT sum(p.ytd[$7]) FROM progress_series_person p
              WHERE p.plan_id = $1 AND p.metric = 'REVENUE' AND p.series = $2
                AND p.user_id IN (SELECT user_id FROM owners))::text AS actual,
            (SELECT sum((SELECT coalesce(sum(x), 0) FROM unnest(m.amounts[1:$3 - 1]) AS x)
                        + CASE WHEN $3 <= 12 THEN m.amounts[$3] * $4 / $5 ELSE 0 END)
               FROM target t JOIN target_month_amounts m ON m.target_id = t.id
              WHERE t.plan_id = $1 AND t.owner_user_id IN (SELECT user_id FROM owners))::text AS target`,
    [PLAN_ID, "2026-W", end.month, String(end.num), String(end.den), manager, parsePeriodKey(PERIOD).index],
  );
  return { ytdActual: BigInt(row!.actual), ytdTarget: BigInt(row!.target) };
}

/** db.sql with each statement timed into `log` (the loader's statements, for the profile line). */
function timedSql(db: Database, log: { ms: number; rows: number; sql: string }[]): SqlRunner {
  return {
    ...db.sql,
    async query<T>(sql: string, params?: unknown[]): Promise<T[]> {
      if (values.explain) {
        const plan = await db.sql.query<{ "QUERY PLAN": string }>(`EXPLAIN (ANALYZE, BUFFERS) ${sql}`, params);
        console.log(plan.map((r) => r["QUERY PLAN"]).join("\n"));
      }
      const t0 = performance.now();
      const rows = await db.sql.query<T>(sql, params);
      log.push({ ms: performance.now() - t0, rows: rows.length, sql: sql.replace(/\s+/g, " ").slice(0, 80) });
      return rows;
    },
  };
}

const json = (d: Digest) => JSON.stringify(d, (_k, v) => (typeof v === "bigint" ? v.toString() : v));

/** Median of 3 after a warm-up: seconds, and this process's CPU seconds (user + system) in the same run. */
async function median(fn: () => Promise<unknown>): Promise<number> {
  return (await medianWithCpu(fn)).seconds;
}

async function medianWithCpu(fn: () => Promise<unknown>): Promise<{ seconds: number; cpu: number }> {
  await fn(); // warm-up: first-use costs of the process (Prisma's first raw statements, the calendar, the JIT)
  const runs: { seconds: number; cpu: number }[] = [];
  for (let i = 0; i < 3; i++) {
    const c0 = process.cpuUsage();
    const { seconds } = await timed(fn);
    const c = process.cpuUsage(c0);
    runs.push({ seconds, cpu: (c.user + c.system) / 1e6 });
  }
  return runs.sort((a, b) => a.seconds - b.seconds)[1]!;
}

async function child(): Promise<void> {
  const engine = process.env.BENCH_ENGINE ?? "pglite";
  const n = Number(values.owners);
  const db = await openDatabase({ url: process.env.BENCH_DB_URL, pgliteDir: "memory://", log: createLogger("silent") });
  try {
    const present = values.reuse && (await db.sql.query("SELECT 1 FROM plan WHERE id = $1", [PLAN_ID])).length > 0;
    const setup = await timed(() => (present ? Promise.resolve() : setUp(db, n)));
    const [{ rows }] = (await db.sql.query<{ rows: number }>("SELECT count(*)::int AS rows FROM progress_entry")) as [
      { rows: number },
    ];
    console.log(
      `${engine}: ${n} owners, ${rows} progress rows; set-up ${setup.seconds.toFixed(1)} s (not timed); load average ${loadavg()
        .map((l) => l.toFixed(2))
        .join(", ")}`,
    );
    let directorDigest: Digest | undefined;
    for (const viewer of ["dir", "m-east"]) {
      let digest: Digest | undefined;
      let bytes = 0;
      const { seconds, cpu } = await medianWithCpu(async () => {
        digest = await loadDigest(db.sql, {
          planId: PLAN_ID,
          period: PERIOD,
          viewerUserId: viewer,
          calendar: defaultCalendar,
          now: NOW,
        });
        bytes = json(digest).length;
      });
      if (viewer === "dir") directorDigest = digest;
      const manager = viewer === "dir" ? null : viewer;
      let check: { ytdActual: bigint; ytdTarget: bigint } | undefined;
      const floorSeconds = await median(async () => {
        check = await floor(db, manager);
      });
      let kept: { ytdActual: bigint; ytdTarget: bigint } | undefined;
      const keptSeconds = await median(async () => {
        kept = await keptFloor(db, manager);
      });
      const equal = (f: { ytdActual: bigint; ytdTarget: bigint }) =>
        digest!.totals.ytdActual === f.ytdActual && digest!.totals.ytdTarget === f.ytdTarget;
      const same = equal(check!) && equal(kept!) ? "equal" : "DIFFER";
      console.log(
        `  ${viewer === "dir" ? "director (whole plan)" : `manager ${viewer} (subtree)`}: digest ${seconds.toFixed(3)} s` +
          ` (${digest!.freshness.owners} owners, ${(bytes / 1024).toFixed(0)} KB JSON; Node CPU ${cpu.toFixed(3)} s);` +
          ` floor over the kept tables ${keptSeconds.toFixed(3)} s, ratio ${(seconds / keptSeconds).toFixed(2)};` +
          ` floor over raw progress_entry ${floorSeconds.toFixed(3)} s, ratio ${(seconds / floorSeconds).toFixed(2)};` +
          ` YTD totals vs both floors: ${same}`,
      );
      if (same !== "equal") process.exitCode = 1;
      const log: { ms: number; rows: number; sql: string }[] = [];
      const t0 = performance.now();
      await loadDigest(timedSql(db, log), {
        planId: PLAN_ID,
        period: PERIOD,
        viewerUserId: viewer,
        calendar: defaultCalendar,
        now: NOW,
      });
      const total = performance.now() - t0;
      // Statements run concurrently (Promise.all), so their times overlap on PostgreSQL's pool.
      console.log(`    profile run ${(total / 1000).toFixed(3)} s; statements, slowest first:`);
      for (const t of log.sort((a, b) => b.ms - a.ms))
        console.log(`      ${t.ms.toFixed(0).padStart(6)} ms ${String(t.rows).padStart(6)} rows  ${t.sql}`);
    }
    await benchChart(directorDigest!);
    console.log(
      `  peak RSS ${peakRssMb()} MB; load average now ${loadavg()
        .map((l) => l.toFixed(2))
        .join(", ")}`,
    );
  } finally {
    await db.close();
  }
}

/** The director's chart PNG (SVG by ECharts, PNG by resvg), each step's median, and the bare-resvg floor. */
async function benchChart(digest: Digest): Promise<void> {
  const font = findCjkFont();
  const spec = digestChartOptions(digest).attainment;
  const rssBefore = Math.round(process.memoryUsage().rss / 2 ** 20);
  let svg = "";
  let png: Buffer = Buffer.alloc(0);
  const svgSeconds = await median(async () => {
    svg = renderChartSvg(spec);
  });
  const pngSeconds = await median(async () => {
    png = await svgToPng(svg, font);
  });
  const bare = `<svg xmlns="http://www.w3.org/2000/svg" width="${spec.width}" height="${spec.height}"><text x="20" y="40" font-size="16">华东 达成率</text></svg>`;
  const floorSeconds = await median(() => svgToPng(bare, font));
  const total = svgSeconds + pngSeconds;
  console.log(
    `  chart PNG (director, ${spec.width}×${spec.height}, ${(png.length / 1024).toFixed(0)} KB): ${total.toFixed(3)} s` +
      ` (ECharts SVG ${svgSeconds.toFixed(3)} s, resvg PNG ${pngSeconds.toFixed(3)} s); floor: resvg drawing one` +
      ` Chinese label at that size with the same font ${floorSeconds.toFixed(3)} s, ratio ${(total / floorSeconds).toFixed(2)};` +
      ` RSS before ${rssBefore} MB, peak so far ${peakRssMb()} MB`,
  );
}

if (values.child) await child();
else {
  if (values.engine) process.env.BENCH_ENGINES = values.engine;
  await runPerEngine(import.meta.url, ["--owners", String(values.owners)]);
}
