import { validationError } from "../lib/errors.ts";

/**
 * Float weights (shares, growth factors, conversion rates) become integers at this scale before any arithmetic
 * with amounts, so that every amount is computed exactly: 0.25 → 250000.
 */
export const WEIGHT_SCALE = 1_000_000n;

/**
 * Turns a finite non-negative float into an exact integer at {@link WEIGHT_SCALE}. Integers are converted
 * without going through a float product, so integer weights of any size keep their exact ratios.
 */
export function toScaledWeight(value: number): bigint {
  if (!Number.isFinite(value) || value < 0) {
    throw validationError(`权重必须是非负有限数，收到 ${String(value)}`, [{ message: "权重无效" }]);
  }
  if (Number.isInteger(value)) return BigInt(value) * WEIGHT_SCALE;
  return BigInt(Math.round(value * Number(WEIGHT_SCALE)));
}

/**
 * Apportions `total` over `weights` exactly (Hamilton's method): every share gets the floor of its quota, then
 * the leftover units go one by one to the largest fractional remainders, ties to the lower index. The result
 * always sums to `total`, a zero weight always gets 0, and the same input always gives the same output.
 *
 * @throws AppError VALIDATION when the total or a weight is negative, or there is no positive weight.
 */
export function largestRemainder(total: bigint, weights: bigint[]): bigint[] {
  assertApportionable(total, weights);
  const weightSum = weights.reduce((sum, w) => sum + w, 0n);
  const quotas = weights.map((w) => (total * w) / weightSum);
  const remainders = weights.map((w) => (total * w) % weightSum);
  let leftover = total - quotas.reduce((sum, q) => sum + q, 0n);
  // Stable order: larger remainder first, then lower index, so ties never depend on the sort implementation.
  const order = weights.map((_, i) => i).sort((a, b) => compareDesc(remainders[a]!, remainders[b]!) || a - b);
  for (const i of order) {
    if (leftover === 0n) break;
    quotas[i] = quotas[i]! + 1n;
    leftover -= 1n;
  }
  return quotas;
}

function compareDesc(a: bigint, b: bigint): number {
  if (a === b) return 0;
  return a > b ? -1 : 1;
}

function assertApportionable(total: bigint, weights: bigint[]): void {
  if (typeof total !== "bigint" || total < 0n) {
    throw validationError(`待分配总额必须是非负整数，收到 ${String(total)}`, [
      { field: "total", message: "总额必须是非负整数" },
    ]);
  }
  if (weights.length === 0) {
    throw validationError("没有可分配的对象", [{ field: "weights", message: "权重列表为空" }]);
  }
  const bad = weights.findIndex((w) => typeof w !== "bigint" || w < 0n);
  if (bad >= 0) {
    throw validationError(`第 ${bad + 1} 个权重必须是非负整数，收到 ${String(weights[bad])}`, [
      { field: `weights[${bad}]`, message: "权重必须是非负整数" },
    ]);
  }
  if (weights.every((w) => w === 0n)) {
    throw validationError("权重全部为 0，无法按比例分配", [{ field: "weights", message: "权重全部为 0" }]);
  }
}
