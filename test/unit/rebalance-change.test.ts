import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  type AmountChange,
  type RebalanceMode,
  type RebalanceSibling,
  rebalanceChange,
} from "../../src/domain/rebalance-change.ts";
import { AppError } from "../../src/lib/errors.ts";
import { catchValidation } from "./validation-helpers.ts";

const sib = (id: string, amount: bigint, locked = false, label?: string): RebalanceSibling => ({
  id,
  amount,
  locked,
  label,
});

/** 华东 600 = 李娜 300 + 华南 200 (locked 100 of 王强) … built per test. */
function change(
  current: bigint,
  proposed: bigint,
  siblings: RebalanceSibling[],
  mode: RebalanceMode,
  reserve: { id: string; amount: bigint } | null = null,
) {
  const parentAmount = current + siblings.reduce((s, x) => s + x.amount, 0n) + (reserve?.amount ?? 0n);
  return rebalanceChange({
    target: { id: "t", current, proposed },
    parent: { id: "p", amount: parentAmount },
    siblings,
    reserve,
    mode,
  });
}

describe("rebalanceChange RESERVE", () => {
  it("a lower target fills the reserve, creating it on first use", () => {
    expect(change(300n, 280n, [sib("a", 200n)], "RESERVE")).toEqual([
      { role: "TARGET", id: "t", from: 300n, to: 280n },
      { role: "RESERVE", id: null, from: 0n, to: 20n },
    ]);
  });

  it("a higher target draws on the reserve, down to exactly 0", () => {
    expect(change(300n, 350n, [sib("a", 200n)], "RESERVE", { id: "r", amount: 50n })[1]).toEqual({
      role: "RESERVE",
      id: "r",
      from: 50n,
      to: 0n,
    });
  });

  it("refuses when the reserve would go negative (or does not exist)", () => {
    expect(catchValidation(() => change(300n, 351n, [], "RESERVE", { id: "r", amount: 50n })).message).toContain(
      "待分配余额不足：目标增加 51，但待分配只有 50",
    );
    expect(catchValidation(() => change(300n, 301n, [], "RESERVE")).message).toContain("待分配只有 0");
  });
});

describe("rebalanceChange SIBLINGS", () => {
  it("spreads −Δ over the unlocked siblings in proportion, by the largest remainder; locked ones untouched", () => {
    const out = change(300n, 400n, [sib("a", 200n), sib("b", 100n, true), sib("c", 100n)], "SIBLINGS");
    // 100 over a:c = 2:1 → 66.67 / 33.33 → 67 / 33.
    expect(out).toEqual([
      { role: "TARGET", id: "t", from: 300n, to: 400n },
      { role: "SIBLING", id: "a", from: 200n, to: 133n },
      { role: "SIBLING", id: "c", from: 100n, to: 67n },
    ]);
  });

  it("splits equally when all unlocked siblings are 0, and lists only the siblings that change", () => {
    expect(change(10n, 7n, [sib("a", 0n), sib("b", 0n)], "SIBLINGS").slice(1)).toEqual([
      { role: "SIBLING", id: "a", from: 0n, to: 2n },
      { role: "SIBLING", id: "b", from: 0n, to: 1n },
    ]);
    expect(change(10n, 9n, [sib("a", 5n), sib("b", 0n)], "SIBLINGS").slice(1)).toEqual([
      { role: "SIBLING", id: "a", from: 5n, to: 6n },
    ]);
  });

  it("refuses, naming the sibling, when one would go negative", () => {
    const caught = catchValidation(() =>
      change(100n, 200n, [sib("a", 30n, false, "华南"), sib("b", 500n, true, "华北")], "SIBLINGS"),
    );
    expect(caught.message).toContain("「华南」（将变为 -70）");
    expect(caught.message).not.toContain("华北");
    expect(caught.problems[0]?.message).toContain("a");
  });

  it("refuses when every sibling is locked or there is none", () => {
    expect(catchValidation(() => change(1n, 0n, [sib("a", 5n, true)], "SIBLINGS")).message).toContain(
      "没有未锁定的同级目标",
    );
    expect(catchValidation(() => change(1n, 0n, [], "SIBLINGS")).message).toContain("没有未锁定的同级目标");
  });
});

describe("rebalanceChange PARENT and bad input", () => {
  it("PARENT: the parent changes by Δ too and nothing else moves", () => {
    expect(change(300n, 250n, [sib("a", 200n)], "PARENT", { id: "r", amount: 10n })).toEqual([
      { role: "TARGET", id: "t", from: 300n, to: 250n },
      { role: "PARENT", id: "p", from: 510n, to: 460n },
    ]);
  });

  it("refuses no change, negative amounts, an unbalanced tree and an unknown mode", () => {
    expect(catchValidation(() => change(5n, 5n, [], "PARENT")).message).toBe("申请的目标与当前目标相同，无需调整");
    expect(catchValidation(() => change(5n, -1n, [], "PARENT")).problems[0]?.field).toBe("target.proposed");
    expect(catchValidation(() => change(5n, 4n, [sib("a", -1n)], "PARENT")).problems[0]?.field).toBe(
      "siblings[0].amount",
    );
    const unbalanced = () =>
      rebalanceChange({
        target: { id: "t", current: 5n, proposed: 4n },
        parent: { id: "p", amount: 9n },
        siblings: [sib("a", 3n)],
        reserve: null,
        mode: "RESERVE",
      });
    expect(catchValidation(unbalanced).message).toBe("下级目标合计 8 与上级目标 9 不一致，请先修正目标树再调整");
    expect(catchValidation(() => change(5n, 4n, [], "UP" as RebalanceMode)).message).toContain("调整方式无效：UP");
  });
});

describe("rebalanceChange property: conservation or an honest refusal", () => {
  const amount = fc.oneof(
    fc.constant(0n),
    fc.bigInt({ min: 0n, max: 1_000n }),
    fc.bigInt({ min: 0n, max: 10n ** 12n }),
  );
  const input = fc.record({
    current: amount,
    proposed: amount,
    siblings: fc.array(fc.record({ amount, locked: fc.boolean() }), { maxLength: 6 }),
    reserve: fc.option(amount),
    mode: fc.constantFrom<RebalanceMode>("RESERVE", "SIBLINGS", "PARENT"),
  });

  it("children always sum to the parent and nothing is negative, or the change was indeed impossible", () => {
    fc.assert(
      fc.property(input, (c) => {
        fc.pre(c.proposed !== c.current);
        const siblings = c.siblings.map((s, i) => sib(`s${i}`, s.amount, s.locked));
        const reserve = c.reserve === null ? null : { id: "r", amount: c.reserve };
        const parentAmount = c.current + siblings.reduce((s, x) => s + x.amount, 0n) + (c.reserve ?? 0n);
        const delta = c.proposed - c.current;
        const open = siblings.filter((s) => !s.locked);
        const openSum = open.reduce((s, x) => s + x.amount, 0n);
        const impossible =
          (c.mode === "RESERVE" && (c.reserve ?? 0n) < delta) ||
          (c.mode === "SIBLINGS" && (open.length === 0 || openSum < delta));
        let out: AmountChange[];
        try {
          out = rebalanceChange({
            target: { id: "t", current: c.current, proposed: c.proposed },
            parent: { id: "p", amount: parentAmount },
            siblings,
            reserve,
            mode: c.mode,
          });
        } catch (error) {
          expect(error instanceof AppError && error.code === "VALIDATION").toBe(true);
          expect(impossible).toBe(true);
          return;
        }
        expect(impossible).toBe(false);
        const newAmount = (id: string | null, before: bigint) => out.find((x) => x.id === id)?.to ?? before;
        const reserveAfter = out.find((x) => x.role === "RESERVE")?.to ?? c.reserve ?? 0n;
        const parentAfter = newAmount("p", parentAmount);
        const children = [newAmount("t", c.current), ...siblings.map((s) => newAmount(s.id, s.amount)), reserveAfter];
        expect(children.reduce((s, x) => s + x, 0n)).toBe(parentAfter);
        for (const x of [...children, parentAfter]) expect(x >= 0n).toBe(true);
        for (const s of siblings.filter((x) => x.locked)) expect(out.some((x) => x.id === s.id)).toBe(false);
        for (const x of out) expect(x.to).not.toBe(x.from);
      }),
      { numRuns: 2_000, seed: 20261204 },
    );
  });
});
