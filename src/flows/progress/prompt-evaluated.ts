import type { AppDeps } from "../../app-deps.ts";
import type { Tx } from "../../db/database.ts";
import type { PeriodEvaluated } from "../evaluation/period-evaluated.ts";

/** PLACEHOLDER (being built): redraws the period's prompt cards as 已评估 with each owner's result. */
export async function markPromptsEvaluated(_tx: Tx, _deps: AppDeps, _e: PeriodEvaluated): Promise<number> {
  return 0;
}
