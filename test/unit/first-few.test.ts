import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { firstFew } from "../../src/domain/first-few.ts";

describe("firstFew: the first n in an order, without sorting everything", () => {
  it("is a stable sort's first n: ties keep their input order, for any n", () => {
    fc.assert(
      fc.property(
        // Few distinct keys, so most items tie; `at` tells tied items apart in the result.
        fc.array(fc.integer({ min: 0, max: 4 }), { maxLength: 60 }),
        fc.integer({ min: 0, max: 25 }),
        fc.boolean(),
        (keys, n, descending) => {
          const items = keys.map((key, at) => ({ key, at }));
          const order = (a: { key: number }, b: { key: number }) => (descending ? b.key - a.key : a.key - b.key);
          const sorted = [...items].sort(order).slice(0, n);
          expect(firstFew(items, order, n)).toEqual(sorted);
        },
      ),
      { numRuns: 1000 },
    );
  });
});
