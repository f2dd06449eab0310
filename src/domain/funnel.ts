import type { InputProblem } from "../lib/errors.ts";
import { validationError } from "../lib/errors.ts";
import { WEIGHT_SCALE } from "./largest-remainder.ts";

/** A funnel stage before the win; `conversion` is the share that moves on to the next stage (or to a win). */
export interface FunnelStageInput {
  name: string;
  conversion: number;
}

export interface FunnelInput {
  /** Revenue target in whole yuan. */
  revenue: bigint;
  /** Weeks the target covers (52 for a year). */
  weeks: number;
  /** Average deal size in whole yuan. */
  avgDealSize: bigint;
  /** Ordered from the top of the funnel, e.g. 线索 → 拜访 → 方案; the last stage converts into wins. */
  stages: FunnelStageInput[];
}

export interface FunnelCount {
  total: bigint;
  weekly: bigint;
}

export interface FunnelStageTarget extends FunnelCount {
  name: string;
  conversion: number;
}

export interface FunnelTargets {
  stages: FunnelStageTarget[];
  wins: FunnelCount;
}

/**
 * Back-calculates activity targets from a revenue target (seed: 销售漏斗): wins = ⌈revenue / avgDealSize⌉, each
 * earlier stage = ⌈next stage / its conversion⌉, weekly = ⌈total / weeks⌉. Always rounds up: guidance that falls
 * short of the target by rounding would be wrong. Conversions are scaled to exact integers (1e-6 precision).
 *
 * @throws AppError VALIDATION for a non-positive deal size, a conversion outside (0, 1], or weeks < 1.
 */
export function funnelTargets(input: FunnelInput): FunnelTargets {
  const problems = funnelProblems(input);
  if (problems.length > 0) {
    throw validationError(problems.map((p) => p.message).join("；"), problems);
  }
  const weeks = BigInt(input.weeks);
  const wins = ceilDiv(input.revenue, input.avgDealSize);
  const stages: FunnelStageTarget[] = [];
  let next = wins;
  for (const stage of [...input.stages].reverse()) {
    const total = ceilDiv(next * WEIGHT_SCALE, scaledConversion(stage.conversion));
    stages.unshift({ name: stage.name, conversion: stage.conversion, total, weekly: ceilDiv(total, weeks) });
    next = total;
  }
  return { stages, wins: { total: wins, weekly: ceilDiv(wins, weeks) } };
}

function scaledConversion(conversion: number): bigint {
  return BigInt(Math.round(conversion * Number(WEIGHT_SCALE)));
}

function ceilDiv(numerator: bigint, denominator: bigint): bigint {
  return (numerator + denominator - 1n) / denominator;
}

function funnelProblems(input: FunnelInput): InputProblem[] {
  const problems: InputProblem[] = [];
  if (typeof input.revenue !== "bigint" || input.revenue < 0n) {
    problems.push({ field: "revenue", message: `收入目标必须是非负整数（元），收到 ${String(input.revenue)}` });
  }
  if (typeof input.avgDealSize !== "bigint" || input.avgDealSize <= 0n) {
    problems.push({
      field: "avgDealSize",
      message: `平均客单价必须是大于 0 的整数（元），收到 ${String(input.avgDealSize)}`,
    });
  }
  if (typeof input.weeks !== "number" || !Number.isSafeInteger(input.weeks) || input.weeks < 1) {
    problems.push({ field: "weeks", message: `周数必须是不小于 1 的整数，收到 ${String(input.weeks)}` });
  }
  if (!Array.isArray(input.stages)) return [...problems, { field: "stages", message: "漏斗阶段必须是数组" }];
  return [...problems, ...input.stages.flatMap(stageProblems), ...duplicateStageProblems(input.stages)];
}

function stageProblems(stage: FunnelStageInput, index: number): InputProblem[] {
  const problems: InputProblem[] = [];
  const name = typeof stage?.name === "string" && stage.name.trim() !== "" ? stage.name : undefined;
  if (name === undefined)
    problems.push({ field: `stages[${index}].name`, message: `第 ${index + 1} 个漏斗阶段缺少名称` });
  const who = name === undefined ? `第 ${index + 1} 个阶段` : `阶段「${name}」`;
  const c = stage?.conversion;
  if (typeof c !== "number" || !Number.isFinite(c) || c <= 0 || c > 1) {
    problems.push({
      field: `stages[${index}].conversion`,
      message: `${who}的转化率必须大于 0 且不超过 1，收到 ${String(c)}`,
    });
  } else if (scaledConversion(c) === 0n) {
    problems.push({ field: `stages[${index}].conversion`, message: `${who}的转化率 ${c} 太小，至少为 0.000001` });
  }
  return problems;
}

function duplicateStageProblems(stages: FunnelStageInput[]): InputProblem[] {
  const seen = new Set<string>();
  return stages.flatMap((stage, i) => {
    if (typeof stage?.name !== "string" || !seen.has(stage.name)) {
      seen.add(stage?.name);
      return [];
    }
    return [{ field: `stages[${i}].name`, message: `漏斗阶段「${stage.name}」重复出现` }];
  });
}
