import type { InputProblem } from "../lib/errors.ts";
import { validationError } from "../lib/errors.ts";
import type { Calendar } from "./calendar.ts";
import { defaultCalendar } from "./calendar.ts";
import { largestRemainder, toScaledWeight } from "./largest-remainder.ts";
import { periodRange } from "./period-key.ts";
import { addDays, assertIsoDate, daysInMonth } from "./plain-date.ts";

/**
 * How a leaf's annual amount is spread over the months (docs/domain.md "Phasing"): in proportion to each month's working
 * days, equally, or by twelve monthly weights (e.g. last year's monthly actuals).
 */
export type PhasingProfile = "WORKDAYS" | "EQUAL" | { monthlyWeights: number[] };

/**
 * Splits an annual amount into 12 monthly amounts (January first) that sum exactly to `amount`, using the
 * largest-remainder rule on the profile's weights.
 *
 * @throws AppError VALIDATION for a negative amount, a bad year or a malformed profile.
 */
export function phaseAnnual(
  amount: bigint,
  year: number,
  profile: PhasingProfile,
  calendar: Calendar = defaultCalendar,
): bigint[] {
  if (typeof amount !== "bigint" || amount < 0n) {
    throw validationError(`年度目标必须是非负整数，收到 ${String(amount)}`, [{ field: "amount", message: "金额无效" }]);
  }
  return largestRemainder(amount, profileWeights(profile, year, calendar));
}

function profileWeights(profile: PhasingProfile, year: number, calendar: Calendar): bigint[] {
  const months = Array.from({ length: 12 }, (_, i) => i + 1);
  if (profile === "WORKDAYS") return months.map((m) => BigInt(calendar.workdaysInMonth(year, m)));
  // Validate the year even when the profile does not need it, so a bad year never slips through.
  daysInMonth(year, 1);
  if (profile === "EQUAL") return months.map(() => 1n);
  const weights = typeof profile === "object" && profile !== null ? profile.monthlyWeights : undefined;
  const problems = monthlyWeightProblems(weights);
  if (problems.length > 0) {
    throw validationError(
      problems.length === 1 ? problems[0]!.message : problems.map((p) => p.message).join("；"),
      problems,
    );
  }
  return (weights as number[]).map(toScaledWeight);
}

function monthlyWeightProblems(weights: unknown): InputProblem[] {
  const field = "profile.monthlyWeights";
  if (!Array.isArray(weights) || weights.length !== 12) {
    const got = Array.isArray(weights) ? `${weights.length} 个` : "无";
    return [{ field, message: `分月方案必须是 WORKDAYS、EQUAL 或 12 个月度权重（收到${got}）` }];
  }
  const bad = weights.flatMap((w: unknown, i) =>
    typeof w === "number" && Number.isFinite(w) && w >= 0
      ? []
      : [{ field: `${field}[${i}]`, message: `${i + 1} 月的权重必须是非负有限数字，收到 ${String(w)}` }],
  );
  if (bad.length > 0) return bad;
  if (weights.every((w: number) => toScaledWeight(w) === 0n)) {
    return [{ field, message: "12 个月度权重全部为 0，无法分月" }];
  }
  return [];
}

/**
 * The amount expected from 1 January of `year` through `date` inclusive. Within a month the month's amount
 * accrues by working days elapsed (a month without workdays accrues on its last day). The exact cumulative
 * rational is floored once, so the result never decreases from one date to the next, is 0 before the year and
 * the annual total from 31 December on.
 */
export function expectedToDate(
  months: bigint[],
  year: number,
  date: string,
  calendar: Calendar = defaultCalendar,
): bigint {
  assertMonths(months);
  const { month, num, den } = accrualPoint(year, date, calendar);
  // The months before `month` are whole, so flooring the in-month part floors the cumulative rational once.
  const within = month <= 12 ? (months[month - 1]! * num) / den : 0n;
  return sum(months.slice(0, month - 1)) + within;
}

/**
 * Where `date` stands in the accrual of {@link expectedToDate}, as numbers that apply to any twelve months:
 * the expected amount is every month before `month` in full, plus ⌊amount(month) × num ÷ den⌋. `month` is 1
 * with num 0 before the year and 13 (all twelve in full) from 31 December on. The set-based evaluation
 * (src/flows/evaluation) computes the same sum in SQL from these numbers, so there is one rule.
 */
export function accrualPoint(
  year: number,
  date: string,
  calendar: Calendar,
): { month: number; num: bigint; den: bigint } {
  assertIsoDate(date);
  daysInMonth(year, 1);
  const yearText = String(year);
  if (date < `${yearText}-01-01`) return { month: 1, num: 0n, den: 1n };
  if (date >= `${yearText}-12-31`) return { month: 13, num: 0n, den: 1n };
  const month = Number(date.slice(5, 7));
  const monthWorkdays = calendar.workdaysInMonth(year, month);
  if (monthWorkdays === 0) {
    // A month without workdays accrues on its last day.
    return { month, num: Number(date.slice(8, 10)) === daysInMonth(year, month) ? 1n : 0n, den: 1n };
  }
  const elapsed = calendar.workdaysInRange(`${date.slice(0, 7)}-01`, date);
  return { month, num: BigInt(elapsed), den: BigInt(monthWorkdays) };
}

/**
 * The amount expected from `from` through `to` inclusive: the difference of two cumulative values, so adjacent
 * ranges add up exactly (the weeks of a year sum to the annual total). Parts outside the plan year count 0.
 */
export function expectedForRange(
  months: bigint[],
  year: number,
  from: string,
  to: string,
  calendar: Calendar = defaultCalendar,
): bigint {
  assertIsoDate(from, "from");
  assertIsoDate(to, "to");
  if (from > to) {
    throw validationError(`开始日期 ${from} 晚于结束日期 ${to}`, [{ field: "from", message: "日期范围无效" }]);
  }
  return expectedToDate(months, year, to, calendar) - expectedToDate(months, year, addDays(from, -1), calendar);
}

/** The amount expected in a period ("2026-W14", "2026-04", "2026-Q2"), clipped to the plan year. */
export function expectedForPeriod(
  months: bigint[],
  year: number,
  periodKey: string,
  calendar: Calendar = defaultCalendar,
): bigint {
  const { from, to } = periodRange(periodKey);
  return expectedForRange(months, year, from, to, calendar);
}

/** Quarter totals of 12 monthly amounts, for the breakdown on a target card. */
export function quarterTotals(months: bigint[]): bigint[] {
  assertMonths(months);
  return [0, 3, 6, 9].map((start) => sum(months.slice(start, start + 3)));
}

function assertMonths(months: bigint[]): void {
  const valid = Array.isArray(months) && months.length === 12 && months.every((m) => typeof m === "bigint" && m >= 0n);
  if (!valid) {
    throw validationError("月度目标必须是 12 个非负整数金额", [{ field: "months", message: "月度目标无效" }]);
  }
}

function sum(values: bigint[]): bigint {
  return values.reduce((total, v) => total + v, 0n);
}
