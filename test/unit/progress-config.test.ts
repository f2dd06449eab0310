import { describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config.ts";
import { timesTarget, timesTargetText } from "../../src/flows/progress/progress-report.ts";

describe("PROGRESS_CONFIRM_MULTIPLE", () => {
  it("defaults to 10 and reads a number", () => {
    expect(loadConfig({}).progressConfirmMultiple).toBe(10);
    expect(loadConfig({ PROGRESS_CONFIRM_MULTIPLE: "2.5" }).progressConfirmMultiple).toBe(2.5);
  });

  it("a bad value stops start-up naming the variable", () => {
    expect(() => loadConfig({ PROGRESS_CONFIRM_MULTIPLE: "ten" })).toThrow(
      /PROGRESS_CONFIRM_MULTIPLE: must be a number/,
    );
    expect(() => loadConfig({ PROGRESS_CONFIRM_MULTIPLE: "0.5" })).toThrow(
      /PROGRESS_CONFIRM_MULTIPLE: must be at least 1/,
    );
  });
});

describe("an absurd figure: above the multiple of the period target", () => {
  it("is how many times the target, when above the multiple", () => {
    expect(timesTarget(700_000n, 70_000n, 10)).toBeUndefined(); // exactly 10×: plausible
    expect(timesTarget(700_001n, 70_000n, 10)).toBe(10);
    expect(timesTarget(3_500_000_000n, 70_000n, 10)).toBe(50_000);
    expect(timesTarget(200_000n, 70_000n, 2.5)).toBe(2.8);
  });

  it("asks nothing when there is no target to compare with (an empty holiday week)", () => {
    expect(timesTarget(350_000n, 0n, 10)).toBeUndefined();
  });

  it("says it the way the bot replies", () => {
    expect(
      timesTargetText({ amountText: "销售额 35亿元", refWord: "本周", periodTarget: 70_000n, times: 50_000 }),
    ).toBe("销售额 35亿元 是本周目标 7万元 的 50,000 倍");
    expect(timesTargetText({ amountText: "35万元", refWord: "上周", periodTarget: 24_151n, times: 14.4 })).toBe(
      "35万元 是上周目标 24,151元 的 14.4 倍",
    );
  });
});
