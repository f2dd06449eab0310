import type { InputProblem } from "../lib/errors.ts";
import { validationError } from "../lib/errors.ts";
import { groupDigits } from "./format-amount.ts";
import { largestRemainder, toScaledWeight, WEIGHT_SCALE } from "./largest-remainder.ts";

/** How a target's amount is divided among its children (docs/domain.md "Targets and decomposition"). */
export type SplitMethod = "EQUAL" | "WEIGHTS" | "HISTORY" | "MANUAL";

export const SPLIT_METHODS: readonly SplitMethod[] = ["EQUAL", "WEIGHTS", "HISTORY", "MANUAL"];

/**
 * One child of a split. Which fields matter depends on the method: `weight` for WEIGHTS, `lastYear` and
 * `growth` (0.2 = +20 %) for HISTORY, `amount` for MANUAL. A `locked` child keeps its `amount` whatever the
 * method; the unlocked children share what is left.
 */
export interface SplitChildInput {
  key: string;
  weight?: number;
  amount?: bigint;
  lastYear?: bigint;
  growth?: number;
  locked?: boolean;
}

export interface SplitInput {
  total: bigint;
  method: SplitMethod;
  children: SplitChildInput[];
}

/** An input problem that also names the child it is about, so a UI can highlight the row. */
export interface SplitProblem extends InputProblem {
  key?: string;
}

/**
 * Divides `total` among `children` (result in child order). Locked children keep their amount; the rest is
 * apportioned by the method with the largest-remainder rule, so the result is whole yuan, never negative,
 * deterministic, and always sums exactly to `total` (the conservation invariant).
 *
 * @throws AppError VALIDATION listing every problem found, each with its `field` (e.g. `children[2].amount`).
 */
export function splitAmount(input: SplitInput): bigint[] {
  const problems = findSplitProblems(input);
  if (problems.length > 0) throw splitError(problems);
  const { total, method, children } = input;
  if (method === "MANUAL") return children.map((c) => c.amount!);
  const result = children.map((c) => (c.locked === true ? c.amount! : 0n));
  const unlocked = children.flatMap((c, i) => (c.locked === true ? [] : [i]));
  if (unlocked.length === 0) return result;
  const remainder = total - sumLocked(children);
  const shares = largestRemainder(
    remainder,
    unlocked.map((i) => splitWeight(method, children[i]!)),
  );
  unlocked.forEach((childIndex, j) => {
    result[childIndex] = shares[j]!;
  });
  return result;
}

/** Every problem in a split request, in input order; empty when {@link splitAmount} would succeed. */
export function findSplitProblems(input: SplitInput): SplitProblem[] {
  const shape = shapeProblems(input);
  if (shape.length > 0) return shape;
  const perChild = input.children.flatMap((child, i) => childProblems(child, i, input.method));
  const keys = duplicateKeyProblems(input.children);
  if (perChild.length > 0 || keys.length > 0) return [...perChild, ...keys];
  return totalProblems(input);
}

function splitError(problems: SplitProblem[]) {
  const message =
    problems.length === 1
      ? problems[0]!.message
      : `拆分参数有 ${problems.length} 处问题：${problems.map((p) => p.message).join("；")}`;
  return validationError(message, problems);
}

function splitWeight(method: Exclude<SplitMethod, "MANUAL">, child: SplitChildInput): bigint {
  if (method === "EQUAL") return 1n;
  if (method === "WEIGHTS") return toScaledWeight(child.weight!);
  // lastYear × (1 + growth), both exact integers: the growth factor is scaled, the amount is already whole.
  return child.lastYear! * growthFactor(child.growth ?? 0);
}

function growthFactor(growth: number): bigint {
  return BigInt(Math.round((1 + growth) * Number(WEIGHT_SCALE)));
}

function sumLocked(children: SplitChildInput[]): bigint {
  return children.reduce((sum, c) => (c.locked === true ? sum + c.amount! : sum), 0n);
}

function label(child: SplitChildInput, index: number): string {
  return typeof child?.key === "string" && child.key.trim() !== "" ? `子项「${child.key}」` : `第 ${index + 1} 个子项`;
}

function shapeProblems(input: SplitInput): SplitProblem[] {
  const problems: SplitProblem[] = [];
  if (typeof input.total !== "bigint") {
    problems.push({ field: "total", message: `上级目标金额必须是整数（元），收到 ${String(input.total)}` });
  } else if (input.total < 0n) {
    problems.push({ field: "total", message: `上级目标金额不能为负数：${groupDigits(input.total)}` });
  }
  if (!SPLIT_METHODS.includes(input.method)) {
    problems.push({
      field: "method",
      message: `不支持的拆分方式「${String(input.method)}」，可选 ${SPLIT_METHODS.join(" / ")}`,
    });
  }
  if (!Array.isArray(input.children) || input.children.length === 0) {
    problems.push({ field: "children", message: "拆分至少需要一个子项" });
  }
  return problems;
}

function childProblems(child: SplitChildInput, index: number, method: SplitMethod): SplitProblem[] {
  const at = (name: string) => `children[${index}]${name === "" ? "" : `.${name}`}`;
  const who = label(child, index);
  const key = typeof child?.key === "string" ? child.key : undefined;
  const problem = (name: string, message: string): SplitProblem => ({ field: at(name), message, key });
  if (typeof child !== "object" || child === null) return [problem("", `${who}不是有效的对象`)];
  const problems: SplitProblem[] = [];
  if (typeof child.key !== "string" || child.key.trim() === "") problems.push(problem("key", `${who}缺少名称（key）`));
  problems.push(...amountProblems(child, who, problem));
  if (child.locked === true && child.amount === undefined) {
    problems.push(problem("amount", `${who}已锁定但没有给出金额`));
  }
  if (child.locked !== true) problems.push(...methodProblems(child, who, method, problem));
  return problems;
}

type MakeProblem = (name: string, message: string) => SplitProblem;

function amountProblems(child: SplitChildInput, who: string, problem: MakeProblem): SplitProblem[] {
  return [
    ...wholeAmountProblems(child.amount, "amount", `${who}的金额`, problem),
    ...wholeAmountProblems(child.lastYear, "lastYear", `${who}的去年实际`, problem),
  ];
}

function wholeAmountProblems(value: unknown, name: string, what: string, problem: MakeProblem): SplitProblem[] {
  if (value === undefined) return [];
  if (typeof value !== "bigint") return [problem(name, `${what}必须是整数（元），收到 ${String(value)}`)];
  if (value < 0n) return [problem(name, `${what}不能为负数：${groupDigits(value)}`)];
  return [];
}

function methodProblems(child: SplitChildInput, who: string, method: SplitMethod, problem: MakeProblem) {
  if (method === "WEIGHTS") {
    if (child.weight === undefined)
      return [problem("weight", `${who}缺少权重（按权重拆分时每个未锁定子项都要有权重）`)];
    return numberProblems(child.weight, "weight", `${who}的权重`, problem, (w) => w < 0, "不能为负数");
  }
  if (method === "HISTORY") {
    const problems: SplitProblem[] = [];
    if (child.lastYear === undefined) problems.push(problem("lastYear", `${who}缺少去年实际（lastYear）`));
    if (child.growth !== undefined) {
      problems.push(
        ...numberProblems(child.growth, "growth", `${who}的增长率`, problem, (g) => g <= -1, "必须大于 -100%"),
      );
    }
    return problems;
  }
  if (method === "MANUAL" && child.amount === undefined) return [problem("amount", `${who}缺少手动分配金额`)];
  return [];
}

function numberProblems(
  value: unknown,
  name: string,
  what: string,
  problem: MakeProblem,
  isOutOfRange: (n: number) => boolean,
  rangeText: string,
): SplitProblem[] {
  if (typeof value !== "number" || !Number.isFinite(value)) {
    return [problem(name, `${what}必须是有限数字，收到 ${String(value)}`)];
  }
  return isOutOfRange(value) ? [problem(name, `${what}${rangeText}，收到 ${value}`)] : [];
}

function duplicateKeyProblems(children: SplitChildInput[]): SplitProblem[] {
  const seen = new Map<string, number>();
  const problems: SplitProblem[] = [];
  children.forEach((child, i) => {
    if (typeof child?.key !== "string") return; // already reported as a missing key
    const first = seen.get(child.key);
    if (first === undefined) {
      seen.set(child.key, i);
      return;
    }
    problems.push({
      field: `children[${i}].key`,
      key: child.key,
      message: `子项「${child.key}」重复出现（第 ${first + 1} 个和第 ${i + 1} 个）`,
    });
  });
  return problems;
}

function totalProblems(input: SplitInput): SplitProblem[] {
  const { total, method, children } = input;
  const locked = sumLocked(children);
  const unlocked = children.filter((c) => c.locked !== true);
  if (method === "MANUAL") {
    const sum = children.reduce((s, c) => s + c.amount!, 0n);
    if (sum === total) return [];
    return [
      { field: "children", message: `手动分配金额合计 ${groupDigits(sum)} 与上级目标 ${groupDigits(total)} 不一致` },
    ];
  }
  if (locked > total) {
    return [{ field: "children", message: `锁定金额合计 ${groupDigits(locked)} 超过上级目标 ${groupDigits(total)}` }];
  }
  if (unlocked.length === 0) {
    if (locked === total) return [];
    const message = `所有子项均已锁定，锁定金额合计 ${groupDigits(locked)} 与上级目标 ${groupDigits(total)} 不一致`;
    return [{ field: "children", message }];
  }
  return zeroWeightProblems(method, unlocked, total - locked);
}

function zeroWeightProblems(method: SplitMethod, unlocked: SplitChildInput[], remainder: bigint): SplitProblem[] {
  if (method === "EQUAL" || unlocked.some((c) => splitWeight(method as "WEIGHTS" | "HISTORY", c) > 0n)) return [];
  const what =
    method === "WEIGHTS"
      ? "未锁定子项的权重全部为 0"
      : unlocked.every((c) => c.lastYear === 0n)
        ? "未锁定子项的去年实际全部为 0"
        : "未锁定子项的去年实际 ×（1 + 增长率）全部为 0";
  return [{ field: "children", message: `${what}，无法分配剩余的 ${groupDigits(remainder)}` }];
}
