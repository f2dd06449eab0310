import type { AppDeps } from "../app-deps.ts";
import type { Cadence } from "../domain/period-key.ts";
import { nextPeriodKey, parsePeriodKey, periodKey, periodRange } from "../domain/period-key.ts";
import { formatPeriod } from "../domain/period-words.ts";
import { lastClosedPeriod } from "../domain/periods-closed-between.ts";
import { AppError } from "../lib/errors.ts";
import { type DashboardViewer, outOfScope, visiblePlans } from "./dashboard-access.ts";
import { loadDashboardDigest } from "./dashboard-digest.ts";
import { dashboardView } from "./dashboard-view.ts";

type Plan = Awaited<ReturnType<typeof visiblePlans>>[number];

/**
 * The periods a dashboard offers for a plan: its year's, from the first up to the latest closed one (the
 * digest's default), newest first. Empty before the first period of the year has closed.
 */
export function closedPeriods(plan: Plan, deps: Pick<AppDeps, "calendar" | "now">): string[] {
  const cadence = plan.cadence as Cadence;
  const last = lastClosedPeriod({ cadence, at: deps.now(), timezone: plan.timezone, calendar: deps.calendar });
  const out: string[] = [];
  const yearEnd = `${plan.fiscalYear}-12-31`;
  for (let key = periodKey(cadence, `${plan.fiscalYear}-01-01`); periodRange(key).from <= yearEnd; ) {
    if (parsePeriodKey(key).year === plan.fiscalYear) out.push(key);
    if (key === last) break;
    key = nextPeriodKey(key);
  }
  return out.reverse();
}

/**
 * The plan a dashboard request is about (`plan`, else the viewer's first) and its period (`period`, else the
 * latest closed): a plan the viewer may not open is a 403, one that does not exist a 404, a period that is not
 * one of the plan year's closed periods a 400 that says which to choose.
 */
export async function planOfViewer(
  deps: Pick<AppDeps, "db" | "calendar" | "now">,
  viewer: DashboardViewer,
  q: { plan?: string | undefined; period?: string | undefined },
): Promise<{ plan: Plan; plans: Plan[]; periods: string[]; period: string }> {
  const plans = await visiblePlans(deps.db, viewer);
  const plan = q.plan ? plans.find((p) => p.id === q.plan) : plans[0];
  if (!plan) {
    if (q.plan && (await deps.db.prisma.plan.findUnique({ where: { id: q.plan }, select: { id: true } }))) {
      throw outOfScope();
    }
    throw new AppError("NOT_FOUND", q.plan ? `计划 ${q.plan} 不存在` : "暂时没有你可以查看的已发布计划。");
  }
  const periods = closedPeriods(plan, deps);
  const period = q.period ?? periods[0];
  if (period === undefined) {
    throw new AppError("NOT_FOUND", `计划「${plan.name}」还没有结束的考核周期，第一期结束后即可查看。`);
  }
  if (!periods.includes(period)) {
    throw new AppError(
      "VALIDATION",
      `周期 ${period} 不可选：请选择 ${periods.at(-1)} 到 ${periods[0]} 之间已结束的周期`,
      {
        details: [{ field: "period", message: "not a closed period of the plan's year" }],
      },
    );
  }
  return { plan, plans, periods, period };
}

/** Everything the page draws for one plan and period, as the viewer may see it. */
export async function dashboardData(
  deps: AppDeps,
  viewer: DashboardViewer,
  q: { plan?: string | undefined; period?: string | undefined },
) {
  const { plan, plans, periods, period } = await planOfViewer(deps, viewer, q);
  const { digest } = await loadDashboardDigest(deps, {
    planId: plan.id,
    period,
    viewerUserId: viewer.kind === "ADMIN" ? undefined : viewer.userId,
  });
  return {
    viewer: viewer.kind === "ADMIN" ? { kind: "ADMIN", name: "管理员" } : { kind: "STAFF", name: viewer.name },
    plans: plans.map((p) => ({ id: p.id, name: p.name, fiscalYear: p.fiscalYear })),
    planId: plan.id,
    periods: periods.map((key) => ({ key, label: formatPeriod(key) })),
    period,
    view: dashboardView(digest),
    digest,

    sandbox: deps.emulator ? { staff: await sandboxStaff(deps) } : null,
  };
}

/** Sandbox mode's "view as" picker: everyone active, managers first. */
async function sandboxStaff(deps: Pick<AppDeps, "db">) {
  const staff = await deps.db.prisma.staff.findMany({
    where: { active: true },
    include: { dept: { select: { name: true } } },
    orderBy: [{ role: "asc" }, { deptId: "asc" }, { userId: "asc" }],
  });
  return staff.map((s) => ({ userId: s.userId, name: s.name, dept: s.dept.name }));
}
