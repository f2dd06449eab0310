import type { Job } from "node-schedule";
import type { Database } from "../db/database.ts";
import type { Calendar } from "../domain/calendar.ts";
import { addDays } from "../domain/plain-date.ts";
import { localDate, localDateTime } from "../domain/zoned-time.ts";
import { AppError } from "../lib/errors.ts";
import type { Logger } from "../lib/logger.ts";
import type { ScheduledJob } from "./job.ts";
import { type RunOutcome, type RunTrigger, runOnce } from "./run-once.ts";

export interface SchedulerOptions<D> {
  db: Database;
  jobs: ScheduledJob<D>[];
  deps: D;
  calendar: Calendar;
  timeZone: string;
  log: Logger;
  /** Injected clock: tests move time without waiting. */
  now?: () => Date;
  /** How far back start() catches up runs missed while the service was down (default 7 days). */
  catchUpDays?: number;
}

export interface Scheduler {
  /** Catches up missed runs, then arms a node-schedule trigger per job at its local time. */
  start(): Promise<RunOutcome[]>;
  /** What a trigger does at `at`: run every job due on that local date (exactly once per period). */
  tick(at?: Date, trigger?: RunTrigger): Promise<RunOutcome[]>;
  /** Runs due in the last `days` days (up to now) that have not run yet. */
  catchUp(days?: number): Promise<RunOutcome[]>;
  /** POST /api/jobs/:job/run: the job for the period `at` falls in, now; idempotent. */
  runNow(jobId: string, at?: Date): Promise<RunOutcome>;
  /** The local times ("HH:mm") jobs fire at, earliest first (the sandbox's clock stops at each). */
  fireTimes(): string[];
  stop(): Promise<void>;
}

/**
 * Jobs fire daily at their local time in the plan's time zone; each job's rule says whether that day is due
 * and for which period (holiday shifts live in the rule, not in cron strings). Every run goes through
 * runOnce, so replicas firing together and restarts never run a period twice.
 */
export function createScheduler<D>(o: SchedulerOptions<D>): Scheduler {
  const now = o.now ?? (() => new Date());
  const armed: Job[] = [];
  const inFlight = new Set<Promise<unknown>>();
  /** Set by stop(): a catch-up or tick still looping starts nothing new. */
  let stopped = false;
  const track = <T>(p: Promise<T>): Promise<T> => {
    inFlight.add(p);
    return p.finally(() => inFlight.delete(p));
  };
  const runJob = (job: ScheduledJob<D>, period: string, trigger: RunTrigger, at: Date) =>
    track(runOnce(o.db, { job: job.id, period, trigger, log: o.log, fn: () => job.run(o.deps, period, at) }));

  const dueRuns = async (date: string, trigger: RunTrigger, notAfter: Date) => {
    const out: RunOutcome[] = [];
    for (const job of o.jobs) {
      if (stopped) break;
      const firesAt = localDateTime(date, job.rule.time, o.timeZone);
      if (firesAt > notAfter) continue;
      const period = job.rule.due(date, o.calendar);
      if (period) out.push(await runJob(job, period, trigger, firesAt));
    }
    return out;
  };

  return {
    async start() {
      // Loaded here, not with the service's modules: start() runs once the service listens.
      const { default: schedule } = await import("node-schedule");
      if (stopped) return [];
      // Armed first, so a failing catch-up still leaves the daily triggers running (claims keep them apart).
      for (const job of o.jobs) {
        const [hour, minute] = job.rule.time.split(":").map(Number);
        const rule = new schedule.RecurrenceRule();
        Object.assign(rule, { hour, minute, second: 0, tz: o.timeZone });
        armed.push(
          schedule.scheduleJob(rule, () => {
            this.tick(now(), "schedule").catch((err) =>
              o.log.error({ err, job: job.id }, "scheduled trigger failed; check the database connection"),
            );
          }),
        );
      }
      return this.catchUp();
    },
    tick: (at = now(), trigger = "schedule") => dueRuns(localDate(at, o.timeZone), trigger, at),
    async catchUp(days = o.catchUpDays ?? 7) {
      const at = now();
      const today = localDate(at, o.timeZone);
      const out: RunOutcome[] = [];
      for (let d = addDays(today, -days); d <= today; d = addDays(d, 1))
        out.push(...(await dueRuns(d, "catch-up", at)));
      return out.filter((r) => r.ran);
    },
    async runNow(jobId, at = now()) {
      const job = o.jobs.find((j) => j.id === jobId);
      if (!job) {
        const jobs = o.jobs.map((j) => j.id);
        throw new AppError("NOT_FOUND", `没有这个任务：${jobId}（可用：${jobs.join("、") || "无"}）`, {
          details: { jobs },
        });
      }
      const period = job.rule.periodAt
        ? job.rule.periodAt(at, o.timeZone, o.calendar)
        : job.rule.periodOf(localDate(at, o.timeZone), o.calendar);
      return runJob(job, period, "api", at);
    },
    fireTimes: () => [...new Set(o.jobs.map((j) => j.rule.time))].sort(),
    async stop() {
      stopped = true;
      for (const j of armed.splice(0)) j.cancel();
      await Promise.allSettled([...inFlight]);
    },
  };
}
