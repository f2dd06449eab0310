import { funnelTargets } from "../domain/funnel.ts";
import { AppError } from "../lib/errors.ts";
import { type TFunnelSettings, ZFunnelSettings } from "./plan-input.ts";

/** Weeks a plan's annual target is spread over for funnel guidance. */
const WEEKS_PER_YEAR = 52;

/** What a target card shows: the weekly activity that reaches the target (rounded up, funnel.ts). */
export interface WeeklyActivity {
  leadsPerWeek: number;
  visitsPerWeek: number;
  proposalsPerWeek: number;
}

/**
 * The weekly leads, visits and proposals an annual revenue target implies under a plan's funnel settings
 * (docs/domain.md "Funnel"); undefined when the plan has none. `stored` is the plan's JSON column,
 * validated again on the way out, so a row edited by hand cannot put nonsense on a card.
 */
export function weeklyActivity(stored: unknown, annual: bigint): WeeklyActivity | undefined {
  if (stored === null || stored === undefined) return undefined;
  const parsed = ZFunnelSettings.safeParse(stored);
  if (!parsed.success) throw new AppError("CONFLICT", `计划的漏斗设置无效：${parsed.error.issues[0]?.message}`);
  const settings: TFunnelSettings = parsed.data;
  const { stages } = funnelTargets({
    revenue: annual,
    weeks: WEEKS_PER_YEAR,
    avgDealSize: settings.avgDealSize,
    stages: [
      { name: "线索", conversion: settings.leadToVisit },
      { name: "拜访", conversion: settings.visitToProposal },
      { name: "方案", conversion: settings.proposalToWin },
    ],
  });
  const [leads, visits, proposals] = stages.map((s) => Number(s.weekly));
  return { leadsPerWeek: leads!, visitsPerWeek: visits!, proposalsPerWeek: proposals! };
}
