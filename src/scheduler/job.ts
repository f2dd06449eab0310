import type { DueRule } from "../domain/job-schedules.ts";

/**
 * A scheduled job as data: when it is due (a pure rule over the business calendar) and what it
 * does for one period. `run` must be safe to repeat for items it already handled (sends go through the outbox
 * with idempotency keys): a run that crashed halfway is run again.
 */
export interface ScheduledJob<D> {
  id: string;
  rule: DueRule;
  run(deps: D, period: string): Promise<unknown>;
}
