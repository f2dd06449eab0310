import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { formatAmount, formatFigureEcho } from "../../src/domain/format-amount.ts";
import { MAX_AMOUNT } from "../../src/domain/parse-amount.ts";
import { type ParsedMessage, parseProgressMessage } from "../../src/domain/parse-progress.ts";
import { progressMessages } from "../fixtures/progress-messages.ts";

describe("parseProgressMessage", () => {
  it("is checked against at least 100 real-looking messages", () => {
    expect(progressMessages.length).toBeGreaterThanOrEqual(100);
    expect(new Set(progressMessages.map((c) => c.text)).size).toBe(progressMessages.length);
  });

  it.each(progressMessages)("reads $text", ({ text, expected }) => {
    expect(parseProgressMessage(text)).toStrictEqual(expected);
  });

  it("echoes what it understood", () => {
    const parsed = parseProgressMessage("本周完成35万，新客户2家");
    expect(parsed.kind === "report" && formatFigureEcho(parsed.figures)).toBe("销售额 35万元，新客户 2家");
  });

  it("refuses messages far longer than any answer to a prompt", () => {
    expect(parseProgressMessage(`35万，${"老客户复购".repeat(250)}`)).toStrictEqual({ kind: "unrecognized" });
  });
});

const toFullWidth = (text: string) =>
  text.replace(/[0-9.,]/g, (c) => String.fromCharCode(c.charCodeAt(0) - 0x20 + 0xff00));
const chatAlphabet = [
  ..."0123456789.,，-+负万亿千百十kKwW元块家个零一二两三四五六七八九壹拾点 本周完成回款新客户毛利改成不对是W第月日年%？?~👍：¥整多累计目标下其中没有无",
];
const chatLikeText = fc.array(fc.constantFrom(...chatAlphabet), { maxLength: 40 }).map((chars) => chars.join(""));

describe("properties", () => {
  const wholeYuan = fc.bigInt({ min: 0n, max: MAX_AMOUNT });

  it("reads back any echoed amount, also typed in full-width digits", () => {
    fc.assert(
      fc.property(wholeYuan, (value) => {
        const expected: ParsedMessage = {
          kind: "report",
          figures: [{ metric: "REVENUE", amount: value, text: formatAmount(value) }],
          correction: false,
        };
        expect(parseProgressMessage(formatAmount(value))).toStrictEqual(expected);
        const fullWidth = parseProgressMessage(toFullWidth(formatAmount(value)));
        expect(fullWidth.kind === "report" && fullWidth.figures.map((f) => f.amount)).toStrictEqual([value]);
      }),
      { numRuns: 1_000 },
    );
  });

  it("binds each amount to the metric word in front of it", () => {
    fc.assert(
      fc.property(wholeYuan, fc.bigInt({ min: 0n, max: 10_000n }), (collected, customers) => {
        const parsed = parseProgressMessage(
          `本周回款${formatAmount(collected)}，新客户${formatAmount(customers, "COUNT")}`,
        );
        expect(parsed.kind === "report" && parsed.figures.map((f) => [f.metric, f.amount])).toStrictEqual([
          ["COLLECTION", collected],
          ["NEW_CUSTOMERS", customers],
        ]);
      }),
      { numRuns: 500 },
    );
  });

  it("never throws, and never reports a negative or oversized figure", () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: "binary", maxLength: 60 }), chatLikeText), (text) => {
        const parsed = parseProgressMessage(text);
        if (parsed.kind === "report") {
          for (const f of parsed.figures) expect(f.amount >= 0n && f.amount <= MAX_AMOUNT).toBe(true);
        }
        if (parsed.kind === "invalid") expect(parsed.message.length).toBeGreaterThan(0);
      }),
      { numRuns: 5_000 },
    );
  });
});
