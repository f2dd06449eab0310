import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { largestRemainder, toScaledWeight, WEIGHT_SCALE } from "../../src/domain/largest-remainder.ts";
import { catchValidation } from "./validation-helpers.ts";

const sum = (values: bigint[]) => values.reduce((a, b) => a + b, 0n);

describe("largestRemainder", () => {
  it("gives exact quotas when they are whole", () => {
    expect(largestRemainder(180_000_000n, [3n, 2n, 1n])).toEqual([90_000_000n, 60_000_000n, 30_000_000n]);
  });

  it("hands leftover units to the largest remainders", () => {
    // Quotas 3.333…, 3.333…, 3.333… → one leftover unit, tie → lowest index.
    expect(largestRemainder(10n, [1n, 1n, 1n])).toEqual([4n, 3n, 3n]);
    // Quotas 1.43, 2.86, 5.71 → floors 1, 2, 5 (8), two leftovers to remainders .86 and .71.
    expect(largestRemainder(10n, [1n, 2n, 4n])).toEqual([1n, 3n, 6n]);
  });

  it("breaks equal remainders by lower index, whatever the order of weights", () => {
    expect(largestRemainder(1n, [5n, 5n])).toEqual([1n, 0n]);
    expect(largestRemainder(2n, [1n, 3n, 1n, 3n])).toEqual([0n, 1n, 0n, 1n]);
    expect(largestRemainder(3n, [2n, 2n, 2n, 2n])).toEqual([1n, 1n, 1n, 0n]);
  });

  it("gives zero weights nothing and allows a zero total", () => {
    expect(largestRemainder(7n, [0n, 1n, 0n])).toEqual([0n, 7n, 0n]);
    expect(largestRemainder(0n, [1n, 2n])).toEqual([0n, 0n]);
  });

  it("rejects all-zero weights, negative weights, a negative total and no weights", () => {
    expect(catchValidation(() => largestRemainder(10n, [0n, 0n])).message).toContain("权重全部为 0");
    expect(catchValidation(() => largestRemainder(10n, [1n, -1n])).problems[0]?.field).toBe("weights[1]");
    expect(catchValidation(() => largestRemainder(-1n, [1n])).problems[0]?.field).toBe("total");
    expect(catchValidation(() => largestRemainder(1n, [])).message).toContain("没有可分配的对象");
  });

  it("sums exactly, stays within one unit of the exact quota, and respects weight order", () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 0n, max: 10n ** 12n }),
        fc.array(fc.bigInt({ min: 0n, max: 10n ** 9n }), { minLength: 1, maxLength: 30 }),
        (total, raw) => {
          const weights = raw.every((w) => w === 0n) ? [...raw, 1n] : raw;
          const shares = largestRemainder(total, weights);
          const weightSum = sum(weights);
          expect(sum(shares)).toBe(total);
          shares.forEach((share, i) => {
            const floor = (total * weights[i]!) / weightSum;
            expect(share === floor || share === floor + 1n).toBe(true);
          });
          for (let i = 0; i < weights.length; i++) {
            for (let j = i + 1; j < weights.length; j++) {
              if (weights[i]! >= weights[j]!) expect(shares[i]! >= shares[j]!).toBe(true);
              if (weights[i]! < weights[j]!) expect(shares[i]! <= shares[j]!).toBe(true);
            }
          }
        },
      ),
    );
  });
});

describe("toScaledWeight", () => {
  it("scales fractions to millionths and keeps integers exact", () => {
    expect(toScaledWeight(0.25)).toBe(250_000n);
    expect(toScaledWeight(0.1)).toBe(100_000n);
    expect(toScaledWeight(3)).toBe(3n * WEIGHT_SCALE);
    expect(toScaledWeight(120_000_000)).toBe(120_000_000n * WEIGHT_SCALE);
    expect(toScaledWeight(0)).toBe(0n);
  });

  it("rejects negative and non-finite weights", () => {
    for (const bad of [-0.5, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(catchValidation(() => toScaledWeight(bad)).message).toContain("权重必须是非负有限数");
    }
  });
});
