/** One plan a scheduled run could not do, and why (the run's result and job_run.error name it). */
export interface PlanFailure {
  planId: string;
  plan: string;
  error: string;
}

/**
 * Thrown by a job that did every plan it could and failed for some: runOnce records the run FAILED (so the next
 * trigger or `POST /api/jobs/:job/run` tries again — every job is safe to repeat) with `result` (what was done,
 * and `failed`, the plans that were not) and a message naming each failed plan.
 */
export class PlanFailuresError extends Error {
  override name = "PlanFailuresError";
  constructor(
    readonly failures: PlanFailure[],
    readonly result: Record<string, unknown>,
  ) {
    super(
      `${failures.length} 个计划未能完成：${failures.map((f) => `「${f.plan}」(${f.planId})：${f.error}`).join("；")}`,
    );
  }
}

/** What a plan's failure says: an AppError's user message, else the error's own. */
export function failureText(err: unknown): string {
  const text =
    err instanceof Error ? (((err as { userMessage?: string }).userMessage ?? err.message) as string) : String(err);
  return text.slice(0, 500);
}

/**
 * Runs `perPlan` for each plan in order; a plan that throws is logged and recorded, and the next plan goes on.
 * Answers the plans' results and the failures.
 */
export async function eachPlanIsolated<P extends { id: string; name: string }, R>(
  plans: readonly P[],
  perPlan: (plan: P) => Promise<R>,
  onFailure: (plan: P, err: unknown) => void,
): Promise<{ done: { plan: P; result: R }[]; failed: PlanFailure[] }> {
  const done: { plan: P; result: R }[] = [];
  const failed: PlanFailure[] = [];
  for (const plan of plans) {
    try {
      done.push({ plan, result: await perPlan(plan) });
    } catch (err) {
      onFailure(plan, err);
      failed.push({ planId: plan.id, plan: plan.name, error: failureText(err) });
    }
  }
  return { done, failed };
}
