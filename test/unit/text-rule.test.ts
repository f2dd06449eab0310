import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { findBadChar, findBadCharInJson, scrubBadChars, truncateForEcho } from "../../src/lib/text-rule.ts";

describe("the text rule (src/lib/text-rule.ts)", () => {
  it.each([
    ["a\u0000b", 1, "U+0000"],
    ["\u0001", 0, "U+0001"],
    ["ok\u000b", 2, "U+000B"],
    ["\u007f", 0, "U+007F"],
    ["x\u0085", 1, "U+0085"],
    ["a\ud800", 1, "U+D800"],
    ["\udc00a", 0, "U+DC00"],
    ["😀\ud83d", 2, "U+D83D"],
  ])("refuses %j at %i (%s)", (s, index, code) => {
    expect(findBadChar(s)).toEqual({ index, code });
  });

  it("accepts tab, newline, carriage return, Chinese, emoji and NBSP", () => {
    expect(findBadChar("华东区\t目标\r\n😀\u00a0x")).toBeUndefined();
  });

  it("scrubbing leaves no bad character and keeps clean text as it is", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary" }), (s) => {
        expect(findBadChar(scrubBadChars(s))).toBeUndefined();
        if (findBadChar(s) === undefined) expect(scrubBadChars(s)).toBe(s);
      }),
    );
  });

  it("finds the path of a bad string or key in JSON", () => {
    expect(findBadCharInJson({ staff: [{ name: "a" }, { name: "b\u0000" }] })).toEqual({
      path: "staff.1.name",
      index: 1,
      code: "U+0000",
    });
    expect(findBadCharInJson({ "k\u0000": 1 })?.path).toBe("k\u0000");
    expect(findBadCharInJson({ a: [1, true, null, "ok"] })).toBeUndefined();
  });

  it("cuts an echoed value and says how long it was, never splitting a surrogate pair", () => {
    expect(truncateForEcho("abc", 5)).toBe("abc");
    expect(truncateForEcho("x".repeat(100), 10)).toBe(`${"x".repeat(10)}…（共 100 个字符 / 100 chars）`);
    expect(findBadChar(truncateForEcho(`${"x".repeat(9)}😀yyyy`, 10))).toBeUndefined();
  });
});
