/**
 * bench:decompose — 1.8亿 → 5 regions (history + growth) → 4 product lines → 2 channels → 10,000 reps →
 * 12 months (120,000 monthly cells, stored as one array of 12 per leaf), through the same services as the API (each split one transaction with
 * its conservation check), then one conservation query over the whole plan. Seconds and peak RSS per engine.
 * Then the floor, in the same run: the same rows written by hand-written set-based SQL (one statement per
 * table), and the ratio of the two. Peak RSS is taken before the floor's writes and printed beside the RSS
 * floor (see runPerEngine's memory option: PGlite in a data directory on disk, created by a process of its own).
 * Options: --reps N; --explain also prints, per table, EXPLAIN (ANALYZE, BUFFERS, WAL) of the floor's statement
 * (run once more in a transaction rolled back before the timed one): where writing the rows goes — the insert
 * and its indexes, each foreign key's checks, each trigger — in figures that a loaded machine scales together.
 */
import { parseArgs } from "node:util";
import { type Database, openDatabase } from "../src/db/database.ts";
import { REGIONS } from "../src/demo/reference-org.ts";
import { createLogger } from "../src/lib/logger.ts";
import { importOrg } from "../src/org/import-org.ts";
import { recordsFromJson, ZOrgImportRequest } from "../src/org/org-input.ts";
import { findConservationViolations } from "../src/plans/check-plan-conservation.ts";
import { createPlan } from "../src/plans/create-plan.ts";
import { phasePlan } from "../src/plans/phase-plan.ts";
import type { TSplitRequest } from "../src/plans/plan-input.ts";
import { splitTarget } from "../src/plans/split-target.ts";
import { benchPgliteDir, peakRssMb, peakRssText, runPerEngine, timed } from "./bench-util.ts";
import { type CpuMeter, startCpuMeter } from "./cpu-meter.ts";
import { countStatements } from "./statement-counter.ts";

const { values } = parseArgs({
  options: { child: { type: "boolean" }, reps: { type: "string", default: "10000" }, explain: { type: "boolean" } },
});
const LINES = ["智能终端", "云服务", "行业解决方案", "运维服务"];

function org(reps: number) {
  const departments = [
    { id: "1", name: "公司", parentId: null as string | null },
    ...REGIONS.map((r) => ({ id: r.deptId, name: `${r.name}大区`, parentId: "1" })),
  ];
  const staff = [{ userId: "dir", name: "总监", deptId: "1", managerUserId: null as string | null, role: "DIRECTOR" }];
  for (const r of REGIONS)
    staff.push({
      userId: `m${r.deptId}`,
      name: `${r.name}经理`,
      deptId: r.deptId,
      managerUserId: "dir",
      role: "MANAGER",
    });
  for (let i = 0; i < reps; i++) {
    const r = REGIONS[i % REGIONS.length]!;
    staff.push({ userId: `rep${i}`, name: `代表${i}`, deptId: r.deptId, managerUserId: `m${r.deptId}`, role: "REP" });
  }
  return { departments, staff };
}

async function child(): Promise<void> {
  const engine = process.env.BENCH_ENGINE ?? "pglite";
  const reps = Number(values.reps);
  const db = await openDatabase({
    url: process.env.BENCH_DB_URL,
    pgliteDir: benchPgliteDir(),
    log: createLogger("silent"),
  });
  await importOrg({ db, records: recordsFromJson(ZOrgImportRequest.parse(org(reps))) });
  const actor = "bench";
  let splitCount = 0;
  const split = (
    planId: string,
    request: Omit<TSplitRequest, "children"> & { children: Record<string, unknown>[] },
  ) => {
    splitCount++;
    return splitTarget({
      db,
      planId,
      actor,
      request: {
        ...request,
        children: request.children.map((c) => ({ coOwnerUserIds: [], locked: false, ...c })),
      } as unknown as TSplitRequest,
    });
  };
  let channelCount = 0;
  let phaseSeconds = 0;
  // Load-independent figures beside the times: statements sent, and CPU (this process; on PostgreSQL also the
  // server backends). The meter's own queries run outside the timed part; the split/phase boundary is read free.
  const statements = countStatements();
  const meter = await startCpuMeter(db);
  const cpuStart = process.cpuUsage();
  let splitStatements = 0;
  let splitCpu = 0;
  const { result: planId, seconds } = await timed(async () => {
    const plan = await createPlan({
      db,
      actor,
      defaultTimezone: "Asia/Shanghai",
      input: {
        name: "bench",
        fiscalYear: 2026,
        metric: "REVENUE",
        total: 180_000_000n,
        ownerUserId: "dir",
        cadence: "WEEK",
        missThreshold: 1,
        escalateAfter: 2,
        minOwners: 2,
      },
    });
    const regions = await split(plan.id, {
      parentTargetId: plan.rootTargetId,
      dimension: "REGION",
      method: "HISTORY",
      children: REGIONS.map((r) => ({ key: r.deptId, lastYear: r.lastYear, growth: r.growth })),
    });
    for (const [ri, region] of regions.entries()) {
      const repsHere = Array.from({ length: reps }, (_, i) => i).filter((i) => i % REGIONS.length === ri);
      const lines = await split(plan.id, {
        parentTargetId: region.id,
        dimension: "PRODUCT_LINE",
        method: "EQUAL",
        children: LINES.map((key) => ({ key })),
      });
      for (const [li, line] of lines.entries()) {
        const channels = await split(plan.id, {
          parentTargetId: line.id,
          dimension: "CHANNEL",
          method: "WEIGHTS",
          children: [
            { key: "线上", weight: 45 },
            { key: "线下", weight: 55 },
          ],
        });
        for (const [ci, channel] of channels.entries()) {
          const mine = repsHere.filter((_, k) => k % 8 === li * 2 + ci);
          await split(plan.id, {
            parentTargetId: channel.id,
            dimension: "OWNER",
            method: "EQUAL",
            children: mine.map((i) => ({ key: `rep${i}`, coOwnerUserIds: [`m${region.key}`] })),
          });
          channelCount++;
        }
      }
    }
    splitStatements = statements.count;
    splitCpu = cpuMs(process.cpuUsage(cpuStart));
    const tp = performance.now();
    await phasePlan({ db, planId: plan.id, profile: "WORKDAYS", actor });
    phaseSeconds = (performance.now() - tp) / 1000;
    return plan.id;
  });
  const phaseStatements = statements.count - splitStatements;
  const cpu = await meter.stop();
  statements.stop();
  const check = await timed(() => db.prisma.$transaction((tx) => findConservationViolations(tx, planId)));
  const [{ leaves, cells }] = (await db.sql.query<{ leaves: bigint; cells: bigint }>(
    `SELECT (SELECT count(*) FROM target t WHERE t.plan_id = $1 AND t.dimension = 'OWNER') AS leaves,
            (SELECT count(*) FROM target_month m JOIN target t ON t.id = m.target_id WHERE t.plan_id = $1) AS cells`,
    [planId],
  )) as [{ leaves: bigint; cells: bigint }];
  // BENCH_LEDGER_DUMP=<file>: every ledger entry of the plan as JSON, one a line, in id order, without what differs
  // between runs (id, at, ids: the target named by its key path) — to diff the ledger a change writes.
  if (process.env.BENCH_LEDGER_DUMP) {
    const rows = await db.sql.query<{ line: string }>(
      `WITH RECURSIVE path(id, p) AS (
         SELECT id, key FROM target WHERE plan_id = $1 AND parent_id IS NULL
         UNION ALL SELECT t.id, path.p || '/' || t.key FROM target t JOIN path ON t.parent_id = path.id)
       SELECT (to_jsonb(l) - 'id' - 'at' - 'target_id' - 'plan_id' || jsonb_build_object('target', path.p))::text AS line
         FROM target_ledger l JOIN path ON path.id = l.target_id WHERE l.plan_id = $1 ORDER BY l.id`,
      [planId],
    );
    (await import("node:fs")).writeFileSync(process.env.BENCH_LEDGER_DUMP, rows.map((r) => r.line).join("\n"));
  }
  // Peak RSS of the decomposition itself, before the floor's writes (which send whole tables as JSON).
  const peakText = peakRssText();
  const { seconds: floorSeconds, cpu: floorCpu } = await floor(db, planId);
  await db.close();
  if (check.result.length > 0) throw new Error("conservation violated");
  console.log(
    `${engine.padEnd(8)} ${leaves} rep targets under ${channelCount} channel targets, ${cells} monthly cells: ` +
      `decompose + phase ${seconds.toFixed(2)} s (of which phasing ${phaseSeconds.toFixed(2)} s), conservation query ${(check.seconds * 1000).toFixed(0)} ms, ` +
      `${peakText} (targets: ≤ 2 s on postgres, issue #17; peak RSS ≤ 400 MB on PGlite)`,
  );
  console.log(
    `${engine.padEnd(8)} floor (the same rows by hand-written set-based SQL, one INSERT per table): ${floorSeconds.toFixed(2)} s; ` +
      `decompose + phase ÷ floor: ${(seconds / floorSeconds).toFixed(2)} (target ≤ 2); peak RSS with it ${peakRssMb()} MB`,
  );
  const backends = (ms: number | null) => (ms === null ? "" : ` + database backends ${ms.toFixed(0)} ms`);
  console.log(
    `${engine.padEnd(8)} statements sent: ${splitStatements} for the plan and its ${splitCount} splits, ${phaseStatements} for phasing; ` +
      `CPU: this process ${cpu.processMs.toFixed(0)} ms (splits ${splitCpu.toFixed(0)}, phasing ${(cpu.processMs - splitCpu).toFixed(0)})` +
      `${backends(cpu.databaseMs)}; floor: this process ${floorCpu.processMs.toFixed(0)} ms${backends(floorCpu.databaseMs)}`,
  );
}

/** Milliseconds of CPU in a process.cpuUsage() difference. */
function cpuMs(used: NodeJS.CpuUsage): number {
  return (used.user + used.system) / 1000;
}

/**
 * The floor (issue #17 item 1): the rows the decomposition wrote — the plan, its targets, co-owners, month arrays
 * (one row of 12 amounts per leaf, migration 20261211010000_months_as_arrays) and ledger entries — written again as a second plan by one hand-written set-based statement per table, each
 * taking its rows as one JSON parameter (so the data crosses to the database as the service's must), in one
 * transaction. Reading the rows and renaming their ids is not timed. Returns the seconds the writes took, and
 * their CPU (this process; the server backends on PostgreSQL).
 */
async function floor(db: Database, planId: string) {
  const rowsOf = async (sql: string) => {
    const [row] = await db.sql.query<{ rows: string | null }>(
      `SELECT coalesce(json_agg(t), '[]')::text AS rows FROM (${sql}) t`,
      [planId],
    );
    return JSON.parse(row!.rows ?? "[]") as Record<string, unknown>[];
  };
  const re = (id: unknown) => (id === null || id === undefined ? id : `floor-${id as string}`);
  const renamed = (rows: Record<string, unknown>[], keys: string[]) =>
    rows.map((r) => ({ ...r, ...Object.fromEntries(keys.filter((k) => k in r).map((k) => [k, re(r[k])])) }));
  const tables = [
    { table: "plan", rows: renamed(await rowsOf("SELECT * FROM plan WHERE id = $1"), ["id"]) },
    {
      table: "target",
      rows: renamed(await rowsOf("SELECT * FROM target WHERE plan_id = $1"), ["id", "plan_id", "parent_id"]),
    },
    {
      table: "target_co_owner",
      rows: renamed(
        await rowsOf("SELECT c.* FROM target_co_owner c JOIN target t ON t.id = c.target_id WHERE t.plan_id = $1"),
        ["target_id"],
      ),
    },
    {
      table: "target_month_amounts",
      rows: renamed(
        await rowsOf("SELECT m.* FROM target_month_amounts m JOIN target t ON t.id = m.target_id WHERE t.plan_id = $1"),
        ["target_id"],
      ),
    },
    {
      table: "target_ledger",
      rows: renamed(await rowsOf("SELECT * FROM target_ledger WHERE plan_id = $1"), ["plan_id", "target_id"]),
      omit: ["id"],
    },
  ];
  const statements: { sql: string; json: string }[] = [];
  for (const { table, rows, omit = [] } of tables as { table: string; rows: unknown[]; omit?: string[] }[]) {
    const cols = (
      await db.sql.query<{ name: string }>(
        `SELECT column_name AS name FROM information_schema.columns
         WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position`,
        [table],
      )
    )
      .map((c) => `"${c.name}"`)
      .filter((c) => !omit.includes(c.slice(1, -1)));
    statements.push({
      sql: `INSERT INTO ${table} (${cols}) SELECT ${cols} FROM json_populate_recordset(NULL::${table}, $1::json)`,
      json: JSON.stringify(rows),
    });
  }
  if (values.explain) await explainFloor(db, statements);
  const meter: CpuMeter = await startCpuMeter(db);
  const t0 = performance.now();
  await db.sql.transaction(async (tx) => {
    for (const s of statements) await tx.query(s.sql, [s.json]);
  });
  const seconds = (performance.now() - t0) / 1000;
  const cpu = await meter.stop();
  const [{ n }] = (await db.sql.query<{ n: string }>(
    "SELECT count(*)::text AS n FROM target_month_amounts m JOIN target t ON t.id = m.target_id WHERE t.plan_id = $1",
    [re(planId)],
  )) as [{ n: string }];
  if (Number(n) !== tables[3]!.rows.length)
    throw new Error(`floor wrote the months of ${n} leaves of ${tables[3]!.rows.length}`);
  return { seconds, cpu };
}

/** --explain: the floor's statements under EXPLAIN (ANALYZE, BUFFERS, WAL), in a transaction rolled back. */
async function explainFloor(db: Database, statements: { sql: string; json: string }[]): Promise<void> {
  type Trigger = { "Trigger Name": string; Time: number; Calls: number };
  type Plan = { "Execution Time": number; Plan: Record<string, number>; Triggers?: Trigger[] };
  // A foreign key's checks are a trigger named RI_ConstraintTrigger_…: show the constraint's name instead.
  const names = new Map(
    (
      await db.sql.query<{ tgname: string; conname: string }>(
        "SELECT t.tgname, c.conname FROM pg_trigger t JOIN pg_constraint c ON c.oid = t.tgconstraint",
      )
    ).map((r) => [r.tgname, r.conname] as const),
  );
  const rollback = new Error("rollback");
  await db.sql
    .transaction(async (tx) => {
      for (const s of statements) {
        const [row] = await tx.query<{ "QUERY PLAN": Plan[] }>(
          `EXPLAIN (ANALYZE, BUFFERS, WAL, FORMAT JSON) ${s.sql}`,
          [s.json],
        );
        const p = row!["QUERY PLAN"][0]!;
        const triggers = (p.Triggers ?? []).map(
          (t) => `${names.get(t["Trigger Name"]) ?? t["Trigger Name"]} ${t.Time.toFixed(0)} ms × ${t.Calls}`,
        );
        console.log(
          `  explain ${s.sql.split(" ")[2]!.padEnd(16)} ${p["Execution Time"].toFixed(0).padStart(5)} ms, ` +
            `of which the insert ${p.Plan["Actual Total Time"]!.toFixed(0)} ms, WAL ${(p.Plan["WAL Bytes"]! / 1e6).toFixed(1)} MB; ` +
            `triggers: ${triggers.join(", ") || "none"}`,
        );
      }
      throw rollback;
    })
    .catch((err) => {
      if (err !== rollback) throw err;
    });
}

if (values.child) await child();
else
  await runPerEngine(import.meta.url, ["--reps", values.reps, ...(values.explain ? ["--explain"] : [])], {
    memory: true,
  });
