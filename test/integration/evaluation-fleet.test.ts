import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDatabase } from "../../src/db/database.ts";
import { seedDemo } from "../../src/demo/seed-demo.ts";
import { type SpawnedService, spawnService } from "../helpers/spawn-service.ts";
import {
  createServerDatabase,
  localServerUrl,
  silentLog,
  skipWithoutLocalServer,
  testDatabaseName,
} from "../helpers/test-db.ts";
import { TEST_TOKEN } from "../helpers/test-service.ts";

/*
 * The evaluate job on several service processes sharing one PostgreSQL database (issue 12: "two service processes
 * on one PostgreSQL evaluating the same period at the same moment: one evaluation per owner, one card per
 * escalation"; "after a crash half-way → each owner evaluated once"). The demo plan, published on Tuesday of
 * 2026-W38 (eleven weeks owed by W48: enough for streaks, raises, recoveries and a crash between weeks, few
 * enough to keep the file short — it runs in both of CI's passes), with a figure pattern per owner (never reports / always below / always met / met every other week),
 * so there are misses, streaks past escalateAfter, recoveries and met periods. Every database starts as a copy of
 * one seeded template, so plan and target ids are the same in each and the runs can be compared row for row:
 * whatever one process alone stores and queues (evaluations, and the outbox rows of escalation cards, owner
 * messages and warnings once those flows queue them) is what the fleet must store and queue, no more.
 */

const AT = "2026-11-30T12:00:00+08:00"; // W48 closed: W38..W48 are owed
const NEXT_DAY = "2026-12-01T12:00:00+08:00"; // another run key, the same periods owed when nothing ran
const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g;

let template: { url: string; drop: () => Promise<void> } | undefined;
const drops: (() => Promise<void>)[] = [];
let single: Snapshot;
let knownIds: Set<string>;

interface Snapshot {
  evaluatedPeriods: { period: string; owners: number }[];
  evaluations: unknown[];
  outbox: string[];
}

async function admin(sql: string): Promise<void> {
  const c = new pg.Client({ connectionString: localServerUrl });
  await c.connect();
  try {
    await c.query(sql);
  } finally {
    await c.end();
  }
}

/** A fresh database copied from the seeded template (ids included). */
async function cloneTemplate(): Promise<string> {
  const name = testDatabaseName("evalfleet");
  await admin(`CREATE DATABASE ${name} TEMPLATE ${new URL(template!.url).pathname.slice(1)}`);
  drops.push(() => admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
  const url = new URL(localServerUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

async function query<T>(url: string, sql: string, params: unknown[] = []): Promise<T[]> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query(sql, params)).rows as T[];
  } finally {
    await c.end();
  }
}

/**
 * What the evaluation left: the evaluated periods, every owner's row (without its timestamp), and the outbox's
 * rows by kind and idempotency key — ids made by the run itself (not the template's plan and targets) are
 * replaced by a placeholder, so two databases compare equal when the same things were queued.
 */
async function snapshot(url: string): Promise<Snapshot> {
  const evaluatedPeriods = await query<{ period: string; owners: number }>(
    url,
    "SELECT period, owners FROM evaluated_period ORDER BY period",
  );
  const evaluations = await query(
    url,
    `SELECT plan_id, period, user_id, target_ids, target::text, actual::text, attainment, status::text, reason,
            streak, ytd_actual::text, ytd_target::text, annual_target::text, required_run_rate::text
       FROM period_evaluation ORDER BY plan_id, period, user_id`,
  );
  const outbox = (
    await query<{ kind: string; idempotency_key: string }>(url, "SELECT kind, idempotency_key FROM outbox_message")
  )
    .map((r) => `${r.kind} ${r.idempotency_key.replace(UUID, (id) => (knownIds.has(id) ? id : "<new>"))}`)
    .sort();
  return { evaluatedPeriods, evaluations, outbox };
}

function envFor(url: string): Record<string, string> {
  // Scheduler off: only the API runs below evaluate, and no other job queues messages meanwhile.
  return { DATABASE_URL: url, ADMIN_TOKEN: TEST_TOKEN, DINGTALK_QPS: "500", BOT_SCHEDULER: "off", BOT_FAKE_NOW: AT };
}

interface RunAnswer {
  ran: boolean;
  status: string;
  period: string;
  result?: { evaluated: { planId: string; period: string; owners: number }[] };
}

async function runEvaluate(svc: SpawnedService, at: string): Promise<RunAnswer> {
  const res = await fetch(`${svc.url}/api/jobs/evaluate/run`, {
    method: "POST",
    headers: { authorization: `Bearer ${TEST_TOKEN}`, "content-type": "application/json" },
    body: JSON.stringify({ at }),
  });
  const text = await res.text();
  expect(res.status, text).toBe(200);
  return JSON.parse(text) as RunAnswer;
}

describe("evaluation across service processes on one PostgreSQL database", () => {
  beforeAll(async () => {
    let missing = false;
    await skipWithoutLocalServer({
      skip: (condition) => {
        missing = condition;
      },
    });
    if (missing) return; // each test skips itself, saying why
    template = await createServerDatabase(localServerUrl);
    const db = await openDatabase({ url: template.url, pgliteDir: "", log: silentLog });
    try {
      const { planId } = await seedDemo(db);
      await db.sql.query("UPDATE plan SET status = 'PUBLISHED' WHERE id = $1", [planId]);
      await db.sql.query("UPDATE target SET state = 'PUBLISHED', published_at = $2 WHERE plan_id = $1", [
        planId,
        new Date("2026-09-15T10:00:00+08:00"),
      ]);
      // Per leaf owner, by rank: 0 never reports, 1 always below (1 yuan), 2 always far above, 3 far above in even
      // weeks and silent in odd ones (a miss, then a recovery, over and over).
      await db.sql.query(
        `WITH owners AS (
           SELECT owner_user_id AS user_id, row_number() OVER (ORDER BY owner_user_id) AS k
             FROM (SELECT DISTINCT owner_user_id FROM target t WHERE t.plan_id = $1
                     AND NOT EXISTS (SELECT 1 FROM target c WHERE c.parent_id = t.id)) o
         )
         INSERT INTO progress_entry (plan_id, user_id, period, metric, amount, source, origin)
         SELECT $1, user_id, '2026-W' || lpad(w::text, 2, '0'), 'REVENUE'::"Metric",
                CASE WHEN k % 4 = 1 THEN 1 ELSE 100000000 END, 'SELF_REPORT'::"ProgressSource", 'evaluation-fleet'
           FROM owners, generate_series(1, 52) AS w
          WHERE k % 4 IN (1, 2) OR (k % 4 = 3 AND w % 2 = 0)`,
        [planId],
      );
      knownIds = new Set(
        (await db.sql.query<{ id: string }>("SELECT id FROM target UNION SELECT id FROM plan")).map((r) => r.id),
      );
    } finally {
      await db.close();
    }
    // One process alone: the reference the fleet is compared with.
    const url = await cloneTemplate();
    const svc = await spawnService(envFor(url), 90_000);
    try {
      const first = await runEvaluate(svc, AT);
      expect(first).toMatchObject({ ran: true, status: "DONE" });
      expect((await runEvaluate(svc, NEXT_DAY)).result?.evaluated).toEqual([]);
    } finally {
      expect(await svc.stop()).toBe(0);
    }
    single = await snapshot(url);
    // Sanity of the scenario: 11 weeks, W38 excused (published that week), misses and met periods after it.
    expect(single.evaluatedPeriods).toHaveLength(11);
    const statuses = new Set(single.evaluations.map((e) => (e as { status: string }).status));
    expect([...statuses].sort()).toEqual(["EXCUSED", "MET", "MISSED"]);
    const owners = single.evaluatedPeriods[0]!.owners;
    expect(owners).toBeGreaterThan(100);
    expect(single.evaluations).toHaveLength(11 * owners);
    // …and the evaluation queued escalation cards, owner messages and pace warnings: the comparisons below are
    // about real sends, not an empty outbox.
    const kinds = (prefix: string) => single.outbox.filter((k) => k.startsWith(prefix)).length;
    expect(kinds("card.createAndDeliver esc.")).toBeGreaterThan(10);
    expect(kinds("robot.batchSend esc.")).toBeGreaterThan(10);
    expect(kinds("robot.batchSend pace.")).toBeGreaterThan(10);
  }, 300_000);

  afterAll(async () => {
    for (const d of drops.splice(0).reverse()) await d();
    await template?.drop();
  });

  it("two processes, each asked twice at the same moment (two run keys): each owner evaluated once per period, the same outbox rows as one process", async (ctx) => {
    await skipWithoutLocalServer(ctx);
    const url = await cloneTemplate();
    const services = await Promise.all([spawnService(envFor(url), 90_000), spawnService(envFor(url), 90_000)]);
    try {
      const [a, b] = services as [SpawnedService, SpawnedService];
      // Same `at` on both: the job_run claim lets one through. Another day's key on both: a second run that owes
      // the same periods, so two runs race on each plan-period's evaluated_period claim.
      const answers = await Promise.all([
        runEvaluate(a, AT),
        runEvaluate(b, AT),
        runEvaluate(a, NEXT_DAY),
        runEvaluate(b, NEXT_DAY),
      ]);
      expect(answers.filter((r) => r.ran).map((r) => r.period)).toEqual(
        expect.arrayContaining(["2026-11-30", "2026-12-01"]),
      );
      expect(answers.filter((r) => r.ran)).toHaveLength(2);
      expect(answers.every((r) => r.status === "DONE" || !r.ran)).toBe(true);
      // Between them the two runs evaluated each period once (a run that finds a period claimed by the other waits
      // for that transaction to commit, then skips it: in trial runs the two split the weeks between them).
      const done = answers.flatMap((r) => r.result?.evaluated.map((e) => e.period) ?? []).sort();
      expect(done).toEqual(single.evaluatedPeriods.map((p) => p.period));
    } finally {
      expect(await Promise.all(services.map((s) => s.stop()))).toEqual([0, 0]);
    }
    expect(await snapshot(url)).toEqual(single);
  }, 300_000);

  it("a process killed (SIGKILL) half-way through the catch-up: the next run finishes it, each owner evaluated once", async (ctx) => {
    await skipWithoutLocalServer(ctx);
    const url = await cloneTemplate();
    const first = await spawnService(envFor(url), 90_000);
    const running = runEvaluate(first, AT).then(
      () => "answered",
      () => "killed",
    );
    // Kill once a few plan-periods have committed and before the last has.
    let committed = 0;
    const deadline = Date.now() + 120_000;
    while (committed < 3 && Date.now() < deadline) {
      const [row] = await query<{ n: number }>(url, "SELECT count(*)::int AS n FROM evaluated_period");
      committed = row?.n ?? 0;
    }
    await first.stop("SIGKILL");
    expect(await running).toBe("killed");
    const left = await query<{ n: number }>(url, "SELECT count(*)::int AS n FROM evaluated_period");
    const atKill = left[0]!.n;
    expect(atKill).toBeGreaterThanOrEqual(3);
    expect(atKill).toBeLessThan(single.evaluatedPeriods.length);
    // The crash left its job_run claim RUNNING (taken over only after 30 minutes); the next day's run owes the rest.
    expect(await query(url, "SELECT period, status::text FROM job_run WHERE job = 'evaluate'")).toEqual([
      { period: "2026-11-30", status: "RUNNING" },
    ]);
    const second = await spawnService(envFor(url), 90_000);
    try {
      const again = await runEvaluate(second, NEXT_DAY);
      expect(again).toMatchObject({ ran: true, status: "DONE" });
      expect(again.result?.evaluated).toHaveLength(single.evaluatedPeriods.length - atKill);
    } finally {
      expect(await second.stop()).toBe(0);
    }
    expect(await snapshot(url)).toEqual(single);
  }, 300_000);
});
