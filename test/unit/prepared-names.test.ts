import { describe, expect, it } from "vitest";
import { preparedName } from "../../src/db/prepared-names.ts";

describe("preparedName: which statement texts node-postgres prepares", () => {
  it("names a text with parameters from its second use on, always the same name, one name per text", () => {
    const a = "SELECT $1::int AS a -- prepared-names a";
    const b = "SELECT $1::int AS b -- prepared-names b";
    expect(preparedName(a, [1])).toBeUndefined();
    const name = preparedName(a, [2]);
    expect(name).toMatch(/^tb_\d+$/);
    expect(preparedName(a, [3])).toBe(name);
    preparedName(b, [1]);
    expect(preparedName(b, [1])).not.toBe(name);
  });

  it("never names a text sent without parameters (it may be a script of several statements)", () => {
    const script = "SELECT 1; SELECT 2 -- prepared-names script";
    expect([1, 2, 3].map(() => preparedName(script, undefined))).toEqual([undefined, undefined, undefined]);
  });

  it("names at most 256 texts in a process, however many different texts are sent", () => {
    const names = new Set<string>();
    for (let i = 0; i < 1000; i++) {
      const text = `SELECT $1::int AS n${i}`;
      preparedName(text, [i]);
      const name = preparedName(text, [i]);
      if (name) names.add(name);
    }
    expect(names.size).toBeLessThanOrEqual(256);
    expect(names.size).toBeGreaterThan(200);
  });
});
