import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { type Database, openDatabase } from "../../src/db/database.ts";
import { defaultCalendar } from "../../src/domain/calendar.ts";
import { progressReminderRule, weeklyPromptRule } from "../../src/domain/job-schedules.ts";
import type { ScheduledJob } from "../../src/scheduler/job.ts";
import { createScheduler, type Scheduler } from "../../src/scheduler/scheduler.ts";
import { createTestDatabase, silentLog, type TestDatabase } from "../helpers/test-db.ts";

const TZ = "Asia/Shanghai";
/** A wall-clock moment in Shanghai (UTC+8, no DST). */
const shanghai = (local: string) => new Date(`${local}+08:00`);

let db: TestDatabase;
let calls: string[];
let clock: Date;
const schedulers: Scheduler[] = [];

/** Real due rules; the bodies record what ran (a real job would enqueue prompts through the outbox). */
const jobs = (fail = new Set<string>()): ScheduledJob<unknown>[] => [
  {
    id: "weekly-prompt",
    rule: weeklyPromptRule,
    run: async (_deps, period) => {
      await new Promise((r) => setTimeout(r, 20)); // long enough for a concurrent replica to try too
      if (fail.has(period)) throw new Error(`boom in ${period}`);
      calls.push(`weekly-prompt ${period}`);
      return { prompted: 3 };
    },
  },
  {
    id: "progress-reminder",
    rule: progressReminderRule,
    run: async (_deps, period) => {
      calls.push(`progress-reminder ${period}`);
    },
  },
];

function scheduler(on: Database = db, fail?: Set<string>): Scheduler {
  const s = createScheduler({
    db: on,
    jobs: jobs(fail),
    deps: {},
    calendar: defaultCalendar,
    timeZone: TZ,
    log: silentLog,
    now: () => clock,
  });
  schedulers.push(s);
  return s;
}

beforeEach(async () => {
  db = await createTestDatabase();
  calls = [];
});
afterEach(async () => {
  await Promise.all(schedulers.splice(0).map((s) => s.stop()));
  await db.close();
});

describe("scheduler (injected clock, never real waiting)", () => {
  it("two replicas firing at Friday 16:00 run the weekly prompt once", async () => {
    clock = shanghai("2026-04-03T16:00:00");
    // On PostgreSQL the second replica has its own connection pool, as a second process would.
    const other = db.url ? await openDatabase({ url: db.url, pgliteDir: "", log: silentLog, migrate: false }) : db;
    try {
      const [a, b] = await Promise.all([scheduler().tick(), scheduler(other).tick()]);
      expect(calls).toEqual(["weekly-prompt 2026-W14"]);
      expect([...a, ...b].filter((r) => r.ran)).toHaveLength(1);
      const rows = await db.sql.query("SELECT job, period, status::text, trigger FROM job_run");
      expect(rows).toEqual([{ job: "weekly-prompt", period: "2026-W14", status: "DONE", trigger: "schedule" }]);
    } finally {
      if (other !== db) await other.close();
    }
  });

  it("a service down over a Friday catches the prompt up on start, once", async () => {
    clock = shanghai("2026-04-06T09:00:00"); // Monday (Qingming holiday), before any reminder is due
    const s = scheduler();
    const caught = await s.catchUp();
    expect(caught.map((r) => `${r.job} ${r.period}`)).toContain("weekly-prompt 2026-W14");
    expect(calls.filter((c) => c === "weekly-prompt 2026-W14")).toHaveLength(1);
    expect(await scheduler().catchUp()).toEqual([]);
    // The reminder for W14 is due on the first workday of W15: Tuesday 04-07 10:00, not before.
    expect(calls).not.toContain("progress-reminder 2026-W14");
    clock = shanghai("2026-04-07T10:00:00");
    await s.tick();
    expect(calls).toContain("progress-reminder 2026-W14");
  });

  it("2026 National Day: nothing on holiday Friday 10-02; the W40 prompt goes out on Wednesday 09-30", async () => {
    const s = scheduler();
    clock = shanghai("2026-10-02T16:00:00");
    expect(await s.tick()).toEqual([]);
    clock = shanghai("2026-09-30T16:00:00");
    expect((await s.tick()).map((r) => [r.period, r.ran])).toEqual([["2026-W40", true]]);
    clock = shanghai("2026-09-30T15:59:00");
    expect(await scheduler().catchUp(0)).toEqual([]); // not yet 16:00: not due
  });

  it("the Spring Festival week without workdays gets no prompt", async () => {
    clock = shanghai("2026-02-22T23:00:00");
    expect(await scheduler().catchUp(7)).toEqual([]);
    expect(calls).toEqual([]);
  });

  it("a failed run is recorded and retried by the next trigger; a done run is never repeated", async () => {
    clock = shanghai("2026-04-03T16:00:00");
    const failing = scheduler(db, new Set(["2026-W14"]));
    const [first] = await failing.tick();
    expect(first).toMatchObject({ ran: true, status: "FAILED", error: "boom in 2026-W14" });
    const [retry] = await scheduler().tick();
    expect(retry).toMatchObject({ ran: true, status: "DONE", result: { prompted: 3 } });
    const [again] = await scheduler().tick();
    expect(again).toMatchObject({ ran: false, status: "DONE" });
    expect(calls).toEqual(["weekly-prompt 2026-W14"]);
  });

  it("runNow runs the period `at` falls in, idempotently, and names the jobs when one is unknown", async () => {
    clock = shanghai("2026-11-23T09:00:00");
    const s = scheduler();
    expect(await s.runNow("weekly-prompt", shanghai("2026-11-18T12:00:00"))).toMatchObject({
      period: "2026-W47",
      ran: true,
      status: "DONE",
    });
    expect(await s.runNow("weekly-prompt", shanghai("2026-11-20T12:00:00"))).toMatchObject({
      period: "2026-W47",
      ran: false,
    });
    await expect(s.runNow("nope")).rejects.toThrow(/没有这个任务：nope（可用：weekly-prompt、progress-reminder）/);
  });

  it("start() catches up and arms the triggers; stop() disarms them", async () => {
    clock = shanghai("2026-04-04T08:00:00");
    const s = scheduler();
    const caught = await s.start();
    // The last 7 days held Monday 03-30's reminder for W13 and Friday 04-03's prompt for W14.
    expect(caught.map((r) => `${r.job} ${r.period}`)).toEqual(["progress-reminder 2026-W13", "weekly-prompt 2026-W14"]);
    await s.stop();
  });
});

describe("scheduler triggers (node-schedule itself, on a clock set just before Friday 16:00)", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it("fires the weekly prompt at Friday 16:00 Shanghai by itself, and it runs once", async () => {
    // node-schedule reads Date, not an injected clock: fake Date alone (timers stay real), 300 ms before 16:00,
    // running on in real time. The trigger is then a real timer of about 300 ms, as on a real Friday.
    vi.useFakeTimers({
      toFake: ["Date"],
      now: shanghai("2026-04-03T15:59:59.700"),
      shouldAdvanceTime: true,
      advanceTimeDelta: 5,
    });
    const s = createScheduler({
      db,
      jobs: jobs(),
      deps: {},
      calendar: defaultCalendar,
      timeZone: TZ,
      log: silentLog,
      now: () => new Date(),
    });
    schedulers.push(s);
    const caught = await s.start();
    // The catch-up owes last week's runs; this week's prompt is not due yet: only the trigger can run it.
    expect(caught.map((r) => `${r.job} ${r.period}`)).toEqual(["weekly-prompt 2026-W13", "progress-reminder 2026-W13"]);
    expect(calls).not.toContain("weekly-prompt 2026-W14");

    const w14 = () =>
      db.sql.query<{ status: string; trigger: string }>(
        "SELECT status::text AS status, trigger FROM job_run WHERE job = 'weekly-prompt' AND period = '2026-W14'",
      );
    await expect.poll(async () => (await w14())[0]?.status, { timeout: 10_000, interval: 50 }).toBe("DONE");
    expect(await w14()).toEqual([{ status: "DONE", trigger: "schedule" }]);
    expect(calls.filter((c) => c === "weekly-prompt 2026-W14")).toEqual(["weekly-prompt 2026-W14"]);
  });
});
