import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { fitList, MAX_VALUE_BYTES, oneLine, truncateUtf8, utf8Bytes } from "../../cards/fit-text.ts";
import { formatChange, formatDateTime } from "../../cards/format.ts";
import { evaluateVisibleWhen, parseVisibleWhen, visibleWhenVariables } from "../../cards/visible-when.ts";
import { formatAttainment, percentOf } from "../../src/domain/attainment.ts";
import { formatAmountShort } from "../../src/domain/format-amount.ts";
import { isPeriodKey, periodRange } from "../../src/domain/period-key.ts";
import { formatPeriod, shortPeriod } from "../../src/domain/period-words.ts";

const wellFormed = (s: string) => new TextDecoder().decode(new TextEncoder().encode(s)) === s;

describe("formatAmountShort", () => {
  it.each([
    [0n, "0"],
    [12_345n, "12,345"],
    [9_900n, "9,900"],
    [70_000n, "7万"],
    [43_400n, "4.34万"],
    [99_999n, "99,999"],
    [100_000n, "10万"],
    [123_456n, "12.35万"],
    [350_000n, "35万"],
    [4_200_000n, "420万"],
    [36_000_000n, "3,600万"],
    [99_999_999n, "1亿"],
    [180_000_000n, "1.8亿"],
    [123_456_789n, "1.23亿"],
    [-400_000n, "-40万"],
    [10n ** 16n, "100,000,000亿"],
  ])("%s → %s", (value, text) => {
    expect(formatAmountShort(value)).toBe(text);
  });
});

describe("percentages", () => {
  it("rounds half away from zero and refuses a zero base", () => {
    expect(formatAttainment(43_400n, 70_000n)).toBe("62%");
    expect(formatAttainment(1n, 0n)).toBe("—");
    expect(percentOf(4_200_000n, 36_000_000n, 1)).toBe("11.7");
    expect(percentOf(-1n, 8n, 1)).toBe("-12.5");
  });

  it("signs relative changes", () => {
    expect(formatChange(4_200_000n, 3_800_000n)).toBe("-9.5%");
    expect(formatChange(4_000_000n, 4_200_000n)).toBe("+5.0%");
    expect(formatChange(0n, 10n)).toBe("新增");
    expect(formatChange(0n, 0n)).toBe("0%");
  });
});

describe("dates and periods", () => {
  it("shows local time in Asia/Shanghai", () => {
    expect(formatDateTime(new Date("2025-11-23T02:32:00Z"))).toBe("11月23日 10:32");
  });

  it("labels weeks, months and quarters with their dates", () => {
    expect(formatPeriod("2026-W14")).toBe("2026-W14 (3/30–4/5)");
    expect(formatPeriod("2026-04")).toBe("2026-04 (4/1–4/30)");
    expect(formatPeriod("2026-Q1")).toBe("2026-Q1 (1/1–3/31)");
    expect(shortPeriod("2026-W05")).toBe("W5");
    expect(shortPeriod("2026-Q2")).toBe("Q2");
  });

  it("rejects periods that do not exist", () => {
    for (const key of ["2026-W00", "2025-W53", "2026-13", "2026-Q5", "W14", "2026-W1"]) {
      expect(isPeriodKey(key), key).toBe(false);
    }
    expect(periodRange("2026-W53").to).toBe("2027-01-03");
  });
});

describe("fitting text into 1 KB", () => {
  it("truncates on grapheme boundaries, never above the budget", () => {
    fc.assert(
      fc.property(fc.string({ unit: "grapheme", maxLength: 600 }), fc.integer({ min: 0, max: 1100 }), (s, max) => {
        const out = truncateUtf8(s, max);
        expect(utf8Bytes(out)).toBeLessThanOrEqual(max);
        expect(wellFormed(out)).toBe(wellFormed(s));
        if (utf8Bytes(s) <= max) expect(out).toBe(s);
        else if (out !== "") expect(s.startsWith(out.slice(0, -1))).toBe(true);
      }),
    );
  });

  it("keeps a family emoji whole", () => {
    expect(truncateUtf8("ab👩‍👩‍👧‍👦cd", 8)).toBe("ab…");
  });

  it("lists what fits and counts all items in 「…等N项」", () => {
    const items = Array.from({ length: 200 }, (_, i) => `客户经理${i + 1}（华东）`);
    const out = fitList(items, { maxBytes: 200 });
    expect(utf8Bytes(out)).toBeLessThanOrEqual(200);
    expect(out.startsWith("客户经理1（华东）、客户经理2（华东）")).toBe(true);
    expect(out.endsWith("…等200项")).toBe(true);
    expect(fitList(["王磊", "赵敏"])).toBe("王磊、赵敏");
    expect(fitList([])).toBe("");
  });

  it("never exceeds the budget, whatever the items", () => {
    fc.assert(
      fc.property(
        fc.array(fc.string({ unit: "grapheme", maxLength: 400 }), { maxLength: 300 }),
        fc.integer({ min: 16, max: MAX_VALUE_BYTES }),
        fc.constantFrom("、", "\n", " · "),
        (items, maxBytes, separator) => {
          const out = fitList(items, { maxBytes, separator });
          expect(utf8Bytes(out)).toBeLessThanOrEqual(maxBytes);
          if (!out.endsWith(`等${items.length}项`))
            expect(out).toBe(items.map((i) => truncateUtf8(i, 240)).join(separator));
        },
      ),
    );
  });

  it("flattens names to one line", () => {
    expect(oneLine(" 李\n娜\t\u0007 ")).toBe("李 娜");
  });
});

describe("visibleWhen", () => {
  const vars = { status: "pending", canAct: "true", count: "0" };

  it("evaluates comparisons, truthiness, not, and, or, parentheses", () => {
    expect(evaluateVisibleWhen("status == 'pending' && canAct", vars)).toBe(true);
    expect(evaluateVisibleWhen("status != 'pending' || !canAct", vars)).toBe(false);
    expect(evaluateVisibleWhen("count", vars)).toBe(false);
    expect(evaluateVisibleWhen("missing", vars)).toBe(false);
    expect(evaluateVisibleWhen("!(status == 'x' || count) && canAct", vars)).toBe(true);
    expect(evaluateVisibleWhen(undefined, {})).toBe(true);
  });

  it("rejects malformed expressions", () => {
    for (const bad of ["status ==", "status = 'x'", "(canAct", "canAct canAct", "'x'", "a && ", "a == b"]) {
      expect(() => parseVisibleWhen(bad), bad).toThrow(SyntaxError);
    }
  });

  it("lists the variables it reads", () => {
    expect(visibleWhenVariables("status == 'a' && (canAct || !x)").sort()).toEqual(["canAct", "status", "x"]);
  });
});
