import type { DueRule } from "../domain/job-schedules.ts";

/**
 * A scheduled job as data: when it is due (a pure rule over the business calendar) and what it
 * does for one period. `run` must be safe to repeat for items it already handled (sends go through the outbox
 * with idempotency keys): a run that crashed halfway is run again.
 */
export interface ScheduledJob<D> {
  id: string;
  rule: DueRule;
  /**
   * Does the job for `period`. `at` is the instant the run is for: the trigger's local time on the due date for
   * the schedule and catch-up, the `at` an admin gave `POST /api/jobs/:job/run` (default now).
   */
  run(deps: D, period: string, at?: Date): Promise<unknown>;
}
