import type { AppDeps } from "../../app-deps.ts";
import type { Tx } from "../../db/database.ts";
import type { PeriodEvaluated } from "../evaluation/period-evaluated.ts";

/** Counts of what an evaluation did to escalations and warnings (the evaluate job's result). */
export interface EscalationCounts {
  opened: number;
  raised: number;
  resolved: number;
  closed: number;
  warnings: number;
}

/**
 * PLACEHOLDER (being built): acts on a plan-period's new evaluations inside the evaluation's transaction.
 */
export async function escalateAfterEvaluation(_tx: Tx, _deps: AppDeps, _e: PeriodEvaluated): Promise<EscalationCounts> {
  return { opened: 0, raised: 0, resolved: 0, closed: 0, warnings: 0 };
}

/** PLACEHOLDER (being built): raises escalations whose addressee let 2 workdays pass, as of `at`. */
export async function raiseOverdueEscalations(_deps: AppDeps, _at: Date): Promise<{ raised: number }> {
  return { raised: 0 };
}
