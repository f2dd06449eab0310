import type { Database } from "../db/database.ts";
import type { Logger } from "../lib/logger.ts";
import { PlanFailuresError } from "./plan-failures.ts";

export type RunTrigger = "schedule" | "catch-up" | "api";

export interface RunOutcome {
  job: string;
  period: string;
  /** False when another replica (or an earlier run) already has this period. */
  ran: boolean;
  status: "DONE" | "FAILED" | "RUNNING" | "SKIPPED";
  result?: unknown;
  error?: string;
}

/** A RUNNING row older than this was left by a crashed process; the next trigger may take it over. */
const STALE_AFTER_MS = 30 * 60_000;

/**
 * Runs `fn` for (job, period) at most once across every replica and restart: the INSERT into job_run is the
 * claim (its primary key decides who runs). A FAILED run, or one abandoned by a crash, can be claimed again.
 * Errors are caught here (the scheduler wrapper: one of the three places errors are caught, see src/lib/errors.ts), recorded and logged.
 */
export async function runOnce(
  db: Database,
  a: { job: string; period: string; trigger: RunTrigger; log: Logger; fn: () => Promise<unknown> },
): Promise<RunOutcome> {
  const claimed = await db.sql.query<{ job: string }>(
    `INSERT INTO job_run (job, period, trigger) VALUES ($1, $2, $3)
     ON CONFLICT (job, period) DO UPDATE SET status = 'RUNNING', trigger = EXCLUDED.trigger, started_at = now(),
       finished_at = NULL, error = NULL
     WHERE job_run.status = 'FAILED'
        OR (job_run.status = 'RUNNING' AND job_run.started_at < now() - make_interval(secs => $4))
     RETURNING job`,
    [a.job, a.period, a.trigger, STALE_AFTER_MS / 1000],
  );
  if (claimed.length === 0) {
    const [row] = await db.sql.query<{ status: RunOutcome["status"] }>(
      "SELECT status::text AS status FROM job_run WHERE job = $1 AND period = $2",
      [a.job, a.period],
    );
    return { job: a.job, period: a.period, ran: false, status: row?.status ?? "SKIPPED" };
  }
  const log = a.log.child({ job: a.job, period: a.period, trigger: a.trigger });
  try {
    const result = (await a.fn()) ?? null;
    await db.sql.query(
      "UPDATE job_run SET status = 'DONE', finished_at = now(), result = $3::jsonb WHERE job = $1 AND period = $2",
      [a.job, a.period, toJson(result)],
    );
    log.info({ result }, "scheduled job done");
    return { job: a.job, period: a.period, ran: true, status: "DONE", result };
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    // Some plans failed, the others were done: keep what was done next to the error naming the failed ones.
    const result = err instanceof PlanFailuresError ? err.result : null;
    await db.sql.query(
      `UPDATE job_run SET status = 'FAILED', finished_at = now(), error = $3, result = $4::jsonb
        WHERE job = $1 AND period = $2`,
      [a.job, a.period, message.slice(0, 2000), result === null ? null : toJson(result)],
    );
    log.error({ err }, "scheduled job failed; it will be retried at its next trigger or by POST /api/jobs/:job/run");
    return {
      job: a.job,
      period: a.period,
      ran: true,
      status: "FAILED",
      error: message,
      ...(result === null ? {} : { result }),
    };
  }
}

const toJson = (v: unknown) => JSON.stringify(v, (_k, x) => (typeof x === "bigint" ? x.toString() : x));
