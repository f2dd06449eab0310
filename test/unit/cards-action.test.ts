import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  type cardActionSchemas,
  parseCardAction,
  ZApprovalCardAction,
  ZProgressCardAction,
  ZTargetCardAction,
} from "../../cards/card-action.ts";

const actionsOf: Record<keyof typeof cardActionSchemas, string[]> = {
  target: ["confirm", "dispute"],
  progress: ["report"],
  escalation: ["coach", "adjust", "ack"],
  approval: ["approve", "reject"],
};

describe("card actions accepted", () => {
  it("keeps typed amounts as text and trims them", () => {
    expect(ZTargetCardAction.parse({ action: "dispute", reason: " 大客户延期 ", amount: " 380万 " })).toEqual({
      action: "dispute",
      reason: "大客户延期",
      amount: "380万",
    });
    for (const amount of ["35万", "35w", "三十五万", "叁拾伍万", "1.2亿", "350,000"]) {
      expect(ZProgressCardAction.parse({ action: "report", amount }).amount).toBe(amount);
    }
  });

  it("turns numbers from numeric inputs into text", () => {
    expect(ZProgressCardAction.parse({ action: "report", amount: 350000, newCustomers: 2 })).toMatchObject({
      amount: "350000",
      newCustomers: "2",
    });
  });

  it("treats empty optional fields as not given", () => {
    const parsed = ZProgressCardAction.parse({ action: "report", amount: "35万", newCustomers: "", note: "  " });
    expect(parsed.newCustomers).toBeUndefined();
    expect(parsed.note).toBeUndefined();
    expect(ZApprovalCardAction.parse({ action: "reject", comment: null })).toMatchObject({ action: "reject" });
    expect(ZApprovalCardAction.parse({ action: "approve" })).toEqual({ action: "approve" });
  });

  it("tags the result with the card", () => {
    expect(parseCardAction("escalation", { action: "coach" })).toEqual({
      ok: true,
      action: { card: "escalation", params: { action: "coach" } },
    });
  });
});

describe("card actions refused, with a message for the clicker", () => {
  it.each([
    ["target", { action: "approve" }, "这张卡片不支持这个操作"],
    ["target", {}, "这张卡片不支持这个操作"],
    ["target", { action: ["confirm"] }, "这张卡片不支持这个操作"],
    ["target", null, "这张卡片不支持这个操作"],
    ["target", "confirm", "这张卡片不支持这个操作"],
    ["target", [{ action: "confirm" }], "这张卡片不支持这个操作"],
    ["target", { action: "confirm", userId: "boss" }, "按钮参数里有无法识别的字段：userId"],
    ["target", { action: "dispute", amount: "380万" }, "请填写异议原因"],
    ["target", { action: "dispute", reason: "   ", amount: "380万" }, "请填写异议原因"],
    ["target", { action: "dispute", reason: "太高", amount: "很多" }, "建议目标里没有数字，例如写「35万」"],
    ["target", { action: "dispute", reason: "太高", amount: { value: 1 } }, "建议目标格式不对"],
    ["target", { action: "dispute", reason: "x".repeat(501), amount: "1" }, "异议原因最多500字"],
    ["progress", { action: "report" }, "请填写完成金额"],
    ["progress", { action: "report", amount: "" }, "请填写完成金额"],
    ["progress", { action: "report", amount: "1".repeat(41) }, "完成金额太长了"],
    ["progress", { action: "report", amount: "35万", newCustomers: "若干" }, "新客户数里没有数字，例如写「35万」"],
    ["progress", { action: "report", amount: Number.NaN }, "完成金额格式不对"],
    ["escalation", { action: "ack", note: "x" }, "按钮参数里有无法识别的字段：note"],
    ["approval", { action: "approve", comment: 5 }, "审批意见必须是文字"],
    ["digest", { action: "ack" }, "这张卡片没有可操作的按钮"],
    ["notice", {}, "这张卡片没有可操作的按钮"],
    ["__proto__", { action: "confirm" }, "这张卡片没有可操作的按钮"],
    ["constructor", { action: "confirm" }, "这张卡片没有可操作的按钮"],
  ])("%s %j → %s", (card, params, message) => {
    expect(parseCardAction(card, params)).toMatchObject({ ok: false, message });
  });

  it("refuses every other card's actions", () => {
    for (const [card, own] of Object.entries(actionsOf)) {
      const foreign = Object.values(actionsOf)
        .flat()
        .filter((a) => !own.includes(a));
      for (const action of foreign) expect(parseCardAction(card, { action, amount: "1", reason: "x" }).ok).toBe(false);
    }
  });

  it("never throws, and whatever passes is one of the card's actions with text values", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...Object.keys(actionsOf)),
        fc.oneof(
          fc.anything(),
          fc.record({
            action: fc.constantFrom(...Object.values(actionsOf).flat(), "", "CONFIRM"),
            amount: fc.oneof(fc.string(), fc.integer()),
            reason: fc.string(),
          }),
          fc.dictionary(
            fc.constantFrom("action", "amount", "reason", "note", "newCustomers", "comment"),
            fc.anything(),
          ),
        ),
        (card, params) => {
          const result = parseCardAction(card, params);
          if (!result.ok) {
            expect(result.message.length).toBeGreaterThan(0);
            return;
          }
          expect(actionsOf[card as keyof typeof actionsOf]).toContain(result.action.params.action);
          for (const value of Object.values(result.action.params)) {
            if (value !== undefined) expect(typeof value).toBe("string");
          }
        },
      ),
      { numRuns: 500 },
    );
  });
});
