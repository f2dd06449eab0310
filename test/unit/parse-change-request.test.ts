import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type ChangeChat, MAX_REASON_CHARS, parseChangeChat } from "../../src/domain/parse-change-request.ts";

const invalidMessage = (parsed: ChangeChat): string => (parsed.kind === "invalid" ? parsed.message : "");

describe("parseChangeChat: requests", () => {
  it.each([
    ["申请把目标调整为150万，原因：大客户流失", 1_500_000n, "大客户流失"],
    ["目标改成150万 因为华南大客户流失", 1_500_000n, "华南大客户流失"],
    ["把目标调到1.2亿，原因是渠道调整", 120_000_000n, "渠道调整"],
    ["目标降为380万，理由：项目推迟", 3_800_000n, "项目推迟"],
    ["申请目标调整为150万元。原因：大客户流失。", 1_500_000n, "大客户流失"],
    ["目标调整为 1,500,000 , 原因: 华南 大客户流失 ", 1_500_000n, "华南 大客户流失"],
    ["目标改为一百五十万 由于客户流失", 1_500_000n, "客户流失"],
    ["目标调整至１５０万，理由为：项目推迟", 1_500_000n, "项目推迟"],
    ["目标下调到150 万元，原因是项目推迟", 1_500_000n, "项目推迟"],
    ["目标上调为1.5亿元整，理由为新签大单", 150_000_000n, "新签大单"],
    ["目标提高到500w 因为新签大单", 5_000_000n, "新签大单"],
    ["目标提升到￥200万，原因：新品上市", 2_000_000n, "新品上市"],
    ["申请把目标从200万下调到150万，原因：项目推迟（华南）", 1_500_000n, "项目推迟（华南）"],
    ["因为华南大客户流失，所以我想申请把目标调整为150万", 1_500_000n, "华南大客户流失"],
    ["由于项目推迟申请把目标降到380万", 3_800_000n, "项目推迟"],
    ["目標改成１５０萬，原因：大客戶流失", 1_500_000n, "大客戶流失"], // the reason kept as typed
  ])("%s → %s, %s", (text, amount, reason) => {
    expect(parseChangeChat(text)).toEqual({ kind: "change", amount, reason });
  });

  it("without needsTargetWord (the bot just asked for the amount) a verb or a leading amount is enough", () => {
    const asked = (text: string) => parseChangeChat(text, { needsTargetWord: false });
    expect(asked("调整为150万，原因：客户流失")).toEqual({ kind: "change", amount: 1_500_000n, reason: "客户流失" });
    expect(asked("150万，原因：客户流失")).toEqual({ kind: "change", amount: 1_500_000n, reason: "客户流失" });
    expect(asked("新目标：150万 因为客户流失")).toEqual({ kind: "change", amount: 1_500_000n, reason: "客户流失" });
    expect(invalidMessage(asked("150万"))).toBe(
      "请写明调整原因。例如：目标调整为150万元，原因：大客户流失（原因最多 500 字）。",
    );
    expect(asked("好的")).toEqual({ kind: "none" });
    expect(asked("3个客户流失了")).toEqual({ kind: "none" }); // a number, but not an amount standing alone
  });

  it("a reason of exactly the limit is accepted", () => {
    const reason = "流".repeat(MAX_REASON_CHARS);
    expect(parseChangeChat(`目标改成150万，原因：${reason}`)).toEqual({ kind: "change", amount: 1_500_000n, reason });
  });
});

describe("parseChangeChat: withdrawals", () => {
  it.each([
    ["撤回申请", null],
    ["撤回调整申请", null],
    ["撤销调整申请", null],
    ["撤回目标调整申请。", null],
    ["撤销申请", null],
    ["取消申请", null],
    ["我要撤回我的申请", null],
    ["撤回申请 2", 2],
    ["撤回申请2", 2],
    ["撤回申请 第3个", 3],
    ["撤回第二个申请", 2],
  ])("%s → index %s", (text, index) => {
    expect(parseChangeChat(text)).toEqual({ kind: "withdraw", index });
  });

  it("an index of 0 is refused with how to write it", () => {
    expect(invalidMessage(parseChangeChat("撤回申请0"))).toBe(
      "没看懂要撤回第几个申请（「0」）。请回复「撤回申请」，或带上列表中的序号，例如「撤回申请 2」。",
    );
  });
});

describe("parseChangeChat: not about a target change", () => {
  it.each([
    ["本周完成35万"],
    ["改成30万"], // the progress flow's correction
    ["改成30万，目标还是50万"], // 目标 is not what is changed
    ["目标50万，改成30万"], // 目标 in another clause
    ["30万"],
    ["本周完成35万，离目标还差15万"],
    ["下周休假"],
    ["取消休假"],
    ["取消请假申请"],
    ["撤回"],
    ["确认"],
    ["帮助"],
    ["我的目标是多少"],
    ["我的目标能改成多少？"],
    [""],
  ])("%s → none", (text) => {
    expect(parseChangeChat(text)).toEqual({ kind: "none" });
  });
});

describe("parseChangeChat: refused with a reason and an example", () => {
  const example = "例如：申请把目标调整为150万，原因：大客户流失。";
  it.each([
    ["目标改成很多", `没看懂新的目标金额「很多」。请写明调整后的金额和原因，${example}`],
    ["目标改成，原因：客户流失", `没看懂新的目标金额。请写明调整后的金额和原因，${example}`],
    ["目标改成七八十万，原因：客户流失", `没看懂新的目标金额「七八十万」。请写明调整后的金额和原因，${example}`],
    ["目标改成0，原因：客户流失", `新的目标金额不能为 0。请写明调整后的金额和原因，${example}`],
    ["目标改成-5万，原因：客户流失", `新的目标金额不能是负数（「-5万」）。请写明调整后的金额和原因，${example}`],
    ["目标改成负5万，原因：客户流失", `新的目标金额不能是负数（「负5万」）。请写明调整后的金额和原因，${example}`],
    ["目标改成0.5元，原因：客户流失", `目标金额要精确到元（「0.5元」）。请写明调整后的金额和原因，${example}`],
    ["目标改成99999999亿，原因：客户流失", `目标金额「99999999亿」太大了，请检查。${example}`],
    ["目标改成150万", "请写明调整原因。例如：目标调整为150万元，原因：大客户流失（原因最多 500 字）。"],
    ["目标改成150万，原因：。", "请写明调整原因。例如：目标调整为150万元，原因：大客户流失（原因最多 500 字）。"],
  ])("%s", (text, message) => {
    expect(parseChangeChat(text)).toEqual({ kind: "invalid", message });
  });

  it("a reason made only of connective words is no reason (and trimming it stops at its start)", () => {
    expect(invalidMessage(parseChangeChat("因为我目标改成150万"))).toContain("请写明调整原因");
  });

  it("a reason over the limit says the limit and how long it was", () => {
    expect(parseChangeChat(`目标改成150万，原因：${"流".repeat(612)}`)).toEqual({
      kind: "invalid",
      message: "调整原因最多 500 字，这次写了 612 字，请精简后重新发送。",
    });
  });
});

describe("parseChangeChat property", () => {
  const pieces = fc.constantFrom(
    ..."目标申请把调整为改成降到原因理由是因为由于撤回销取消申请第个，。：:,. 0123456789万亿元-负一二百五十很多?吗\n".split(
      "",
    ),
    "目标",
    "调整为",
    "原因：",
    "撤回申请",
    "150万",
    "我",
    "所以",
  );
  const text = fc.oneof(
    fc.string({ unit: "binary", maxLength: 80 }),
    fc.array(pieces, { maxLength: 30 }).map((p) => p.join("")),
  );

  it("never throws, and what it returns keeps its promises", () => {
    fc.assert(
      fc.property(text, fc.boolean(), (t, needsTargetWord) => {
        const parsed = parseChangeChat(t, { needsTargetWord });
        if (parsed.kind === "change") {
          expect(parsed.amount > 0n).toBe(true);
          expect(parsed.reason).not.toBe("");
          expect([...parsed.reason].length).toBeLessThanOrEqual(MAX_REASON_CHARS);
        }
        if (parsed.kind === "withdraw" && parsed.index !== null) expect(parsed.index).toBeGreaterThanOrEqual(1);
        if (parsed.kind === "invalid") expect(parsed.message).not.toBe("");
      }),
      { numRuns: 3_000, seed: 20261205 },
    );
  });
});

describe("parseChangeChat: whose target", () => {
  it.each([
    ["申请把李娜的目标调整为150万，原因：大客户流失", "李娜"],
    ["把李娜的目标改成150万 因为客户流失", "李娜"],
    ["将 王建国 的年度目标调整为1亿，原因：区域合并", "王建国"],
    ["李娜的目标改成150万，原因：客户转移", "李娜"],
  ])("「%s」 names %s", (text, person) => {
    expect(parseChangeChat(text)).toMatchObject({ kind: "change", person });
  });

  it.each([
    "把我的目标改成150万，原因：客户流失",
    "申请把目标调整为150万，原因：大客户流失",
    "目标改成150万，原因：客户流失",
  ])("「%s」 is the sender's own", (text) => {
    const m = parseChangeChat(text);
    expect(m.kind).toBe("change");
    expect(m).not.toHaveProperty("person");
  });
});
