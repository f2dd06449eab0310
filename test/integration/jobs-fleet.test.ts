import { afterEach, describe, expect, it } from "vitest";
import { type Database, openDatabase } from "../../src/db/database.ts";
import { seedDemo } from "../../src/demo/seed-demo.ts";
import { type SpawnedService, spawnService } from "../helpers/spawn-service.ts";
import {
  createServerDatabase,
  createTestDatabase,
  localServerUrl,
  silentLog,
  skipWithoutLocalServer,
} from "../helpers/test-db.ts";
import { startTestService, TEST_TOKEN, type TestService } from "../helpers/test-service.ts";

/** A wall-clock moment in Shanghai (UTC+8, no DST). */
const shanghai = (local: string) => new Date(`${local}+08:00`);

/** The demo company with its plan published (status only: no target cards, so no confirm reminders). */
async function publishedDemo(db: Database): Promise<{ planId: string; owners: number }> {
  const { planId } = await seedDemo(db);
  await db.sql.query("UPDATE plan SET status = 'PUBLISHED' WHERE id = $1", [planId]);
  await db.sql.query("UPDATE target SET state = 'PUBLISHED' WHERE plan_id = $1", [planId]);
  const [row] = await db.sql.query<{ n: bigint }>(
    `SELECT count(DISTINCT owner_user_id) AS n FROM target t WHERE plan_id = $1
      AND NOT EXISTS (SELECT 1 FROM target c WHERE c.parent_id = t.id)`,
    [planId],
  );
  return { planId, owners: Number(row?.n) };
}

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe("scheduled jobs in the running service", () => {
  it("a service down over Friday catches the weekly prompt up on start (Saturday), once, marked catch-up", async () => {
    const db = await createTestDatabase();
    const { planId, owners } = await publishedDemo(db);
    const clock = shanghai("2026-04-04T09:00:00");
    const svc: TestService = await startTestService(
      { DINGTALK_QPS: "500", BOT_SCHEDULER: "on" },
      { sandbox: { demo: false }, now: () => clock, db },
    );
    cleanups.push(() => svc.close());
    const caught = await svc.caughtUp;
    expect(caught.filter((r) => r.job === "weekly-prompt").map((r) => [r.period, r.status])).toEqual([
      ["2026-W14", "DONE"],
    ]);
    const runs = await db.sql.query("SELECT job, period, status::text, trigger FROM job_run ORDER BY job, period");
    expect(runs).toContainEqual({ job: "weekly-prompt", period: "2026-W14", status: "DONE", trigger: "catch-up" });
    expect(runs.filter((r) => (r as { job: string }).job === "weekly-prompt")).toHaveLength(1);
    const prompts = await db.sql.query<{ idempotency_key: string }>(
      "SELECT idempotency_key FROM outbox_message WHERE idempotency_key LIKE $1",
      [`prg.${planId}.2026-W14.%`],
    );
    expect(prompts).toHaveLength(owners);
    expect(await svc.scheduler.catchUp()).toEqual([]);
    await svc.dingtalk!.outbox.drain();
    const delivered = svc.deps.emulator!.listCards().filter((c) => c.outTrackId.startsWith(`prg.${planId}.2026-W14.`));
    expect(delivered).toHaveLength(owners);
  }, 180_000);

  it("two service processes on one PostgreSQL database at Friday 16:00: each rep gets one prompt", async (ctx) => {
    await skipWithoutLocalServer(ctx); // a PostgreSQL server even on the PGlite run
    const { url, drop } = await createServerDatabase(localServerUrl);
    cleanups.push(drop);
    const db = await openDatabase({ url, pgliteDir: "", log: silentLog });
    let planId: string;
    let owners: number;
    try {
      ({ planId, owners } = await publishedDemo(db));
    } finally {
      await db.close();
    }
    // BOT_FAKE_NOW is the test hook for a spawned process's scheduler clock (it runs on from there).
    const env = {
      DATABASE_URL: url,
      ADMIN_TOKEN: TEST_TOKEN,
      DINGTALK_QPS: "500",
      BOT_FAKE_NOW: "2026-04-03T16:00:00+08:00",
    };
    const services: SpawnedService[] = await Promise.all([spawnService(env, 90_000), spawnService(env, 90_000)]);
    cleanups.push(async () => Promise.all(services.map((s) => s.stop())));
    const check = await openDatabase({ url, pgliteDir: "", log: silentLog, migrate: false });
    try {
      // Each process catches up in the background once it is up: wait until nothing is RUNNING any more.
      const settled = async () => {
        const [r] = await check.sql.query<{ done: bigint; running: bigint }>(
          `SELECT count(*) FILTER (WHERE status = 'DONE' AND job = 'weekly-prompt') AS done,
                  count(*) FILTER (WHERE status = 'RUNNING') AS running FROM job_run`,
        );
        return Number(r?.done) === 2 && Number(r?.running) === 0;
      };
      await expect.poll(settled, { timeout: 60_000, interval: 200 }).toBe(true);
      const runs = await check.sql.query(
        "SELECT job, period, status::text FROM job_run WHERE job = 'weekly-prompt' ORDER BY period",
      );
      // The 7-day catch-up on start also owed Friday 03-27 (W13); each period ran once, in one of the two.
      expect(runs).toEqual([
        { job: "weekly-prompt", period: "2026-W13", status: "DONE" },
        { job: "weekly-prompt", period: "2026-W14", status: "DONE" },
      ]);
      const prompts = await check.sql.query<{ idempotency_key: string }>(
        "SELECT idempotency_key FROM outbox_message WHERE idempotency_key LIKE $1",
        [`prg.${planId}.2026-W14.%`],
      );
      expect(prompts).toHaveLength(owners);
      for (const s of services) {
        const res = await fetch(`${s.url}/api/jobs/weekly-prompt/run`, {
          method: "POST",
          headers: { authorization: `Bearer ${TEST_TOKEN}`, "content-type": "application/json" },
          body: JSON.stringify({ at: "2026-04-03T16:00:00+08:00" }),
        });
        expect(await res.json()).toMatchObject({ job: "weekly-prompt", period: "2026-W14", ran: false });
      }
      const [after] = await check.sql.query<{ n: bigint }>(
        "SELECT count(*) AS n FROM outbox_message WHERE idempotency_key LIKE 'prg.%'",
      );
      expect(Number(after?.n)).toBe(2 * owners); // W13 and W14, one card each
      const perRep = await check.sql.query<{ n: bigint }>(
        `SELECT count(*) AS n FROM outbox_message WHERE idempotency_key LIKE 'prg.%'
          GROUP BY payload->>'openSpaceId', split_part(idempotency_key, '.', 3) HAVING count(*) > 1`,
      );
      expect(perRep).toEqual([]);
    } finally {
      await check.close();
    }
    expect(await Promise.all(services.map((s) => s.stop()))).toEqual([0, 0]);
  }, 240_000);
});
