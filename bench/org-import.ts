/**
 * bench:org-import — imports a generated org of 50,000 staff in 2,000 departments on PGlite and on PostgreSQL,
 * then imports it again unchanged: from the JSON body's bytes through the code `PUT /api/org` runs (its JSON
 * checks, the rows parsed and validated, the full import with the deactivation guard, the write).
 * Prints seconds and peak RSS per engine, beside the RSS floor: a process that opened the same database and
 * loaded nothing (PGlite in a data directory on disk, created by a process of its own as the service's first
 * start creates it). Options: --staff N --departments N.
 */
import { parseArgs } from "node:util";
import { loadConfig } from "../src/config.ts";
import { openDatabase } from "../src/db/database.ts";
import { createLogger } from "../src/lib/logger.ts";
import { importOrg } from "../src/org/import-org.ts";
import { orgRecordsFromJsonBody } from "../src/org/org-input.ts";
import { benchPgliteDir, peakRssText, runPerEngine, timed } from "./bench-util.ts";

const { values } = parseArgs({
  options: {
    child: { type: "boolean" },
    staff: { type: "string", default: "50000" },
    departments: { type: "string", default: "2000" },
  },
});

/** A department tree four levels deep and a manager chain inside it: every department has a head. */
function generateOrg(staffCount: number, deptCount: number) {
  const departments = [{ id: "d0", name: "总公司", parentId: null as string | null }];
  for (let i = 1; i < deptCount; i++)
    departments.push({ id: `d${i}`, name: `部门${i}`, parentId: `d${Math.floor((i - 1) / 8)}` });
  const staff = departments.map((d, i) => ({
    userId: `h${i}`,
    name: `负责人${i}`,
    deptId: d.id,
    managerUserId: d.parentId ? `h${d.parentId.slice(1)}` : null,
    title: "负责人",
    role: i === 0 ? "DIRECTOR" : "MANAGER",
  }));
  for (let i = staff.length; i < staffCount; i++) {
    const dept = i % deptCount;
    staff.push({
      userId: `u${i}`,
      name: `员工${i}`,
      deptId: `d${dept}`,
      managerUserId: `h${dept}`,
      title: "客户经理",
      role: "REP",
    });
  }
  return { departments, staff };
}

async function child(): Promise<void> {
  const engine = process.env.BENCH_ENGINE ?? "pglite";
  const staffCount = Number(values.staff);
  const deptCount = Number(values.departments);
  // The body as the route reads it: bytes (the service holds nothing else of it between requests).
  const body = Buffer.from(JSON.stringify(generateOrg(staffCount, deptCount)));
  const config = loadConfig({});
  const log = createLogger("silent");
  const db = await openDatabase({ url: process.env.BENCH_DB_URL, pgliteDir: benchPgliteDir(), log });
  const guard = { maxShare: config.orgDeactivateMaxShare };
  const run = () => importOrg({ db, records: orgRecordsFromJsonBody(body, config.upload), mode: "full", guard });
  const first = await timed(run);
  const second = await timed(run);
  const n = await db.prisma.staff.count();
  await db.close();
  if (n !== staffCount || second.result.staff.unchanged !== staffCount) throw new Error("import incomplete");
  console.log(
    `${engine.padEnd(8)} ${staffCount} staff / ${deptCount} depts: first import ${first.seconds.toFixed(2)} s, ` +
      `unchanged re-import ${second.seconds.toFixed(2)} s (target < 10 s); ${peakRssText()} (target ≤ 400 MB)`,
  );
}

if (values.child) await child();
else
  await runPerEngine(import.meta.url, ["--staff", values.staff, "--departments", values.departments], { memory: true });
