import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { ConservationNode } from "../../src/domain/conservation.ts";
import { assertConservation, checkConservation, checkMonthlyConservation } from "../../src/domain/conservation.ts";
import { phaseAnnual } from "../../src/domain/phasing.ts";
import type { SplitMethod } from "../../src/domain/split-amount.ts";
import { splitAmount } from "../../src/domain/split-amount.ts";
import { catchValidation } from "./validation-helpers.ts";

const company: ConservationNode[] = [
  { id: "公司", parentId: null, amount: 180_000_000n },
  { id: "华东", parentId: "公司", amount: 58_089_501n },
  { id: "华南", parentId: "公司", amount: 46_471_601n },
  { id: "华北", parentId: "公司", amount: 34_079_174n },
  { id: "西北", parentId: "公司", amount: 16_265_060n },
  { id: "东北", parentId: "公司", amount: 25_094_664n },
  { id: "华东-线上", parentId: "华东", amount: 20_000_000n },
  { id: "华东-线下", parentId: "华东", amount: 38_089_501n },
];

describe("checkConservation", () => {
  it("accepts a conserved tree", () => {
    expect(checkConservation(company)).toEqual([]);
    expect(() => assertConservation(company)).not.toThrow();
  });

  it("reports each parent whose children do not add up, with both sums", () => {
    const broken = company.map((n) => (n.id === "华东-线下" ? { ...n, amount: 38_089_500n } : n));
    expect(checkConservation(broken)).toEqual([
      { parentId: "华东", parentAmount: 58_089_501n, childrenSum: 58_089_500n },
    ]);
    const caught = catchValidation(() => assertConservation(broken));
    expect(caught.message).toBe("目标 华东 金额 58,089,501 与下级合计 58,089,500 不一致");
  });

  it("reports a changed middle node against both its parent and its children", () => {
    const broken = company.map((n) => (n.id === "华东" ? { ...n, amount: 60_000_000n } : n));
    expect(checkConservation(broken)).toEqual([
      { parentId: "公司", parentAmount: 180_000_000n, childrenSum: 181_910_499n },
      { parentId: "华东", parentAmount: 60_000_000n, childrenSum: 58_089_501n },
    ]);
  });

  it("ignores leaves and treats a node whose parent is not listed as a root (subtree check)", () => {
    expect(checkConservation([{ id: "x", parentId: null, amount: 5n }])).toEqual([]);
    expect(checkConservation(company.filter((n) => n.id.startsWith("华东")))).toEqual([]);
  });

  it("rejects duplicate ids", () => {
    expect(catchValidation(() => checkConservation([...company, company[1]!])).message).toBe(
      "目标 华东 在列表中出现了多次",
    );
  });
});

describe("checkMonthlyConservation", () => {
  it("accepts 12 months that add up", () => {
    expect(checkMonthlyConservation(4_200_000n, phaseAnnual(4_200_000n, 2026, "WORKDAYS"))).toBeNull();
  });

  it("reports a wrong sum, a wrong month count and negative months", () => {
    const months = Array<bigint>(12).fill(350_000n);
    expect(checkMonthlyConservation(4_200_001n, months)).toEqual({
      reason: "SUM",
      annual: 4_200_001n,
      monthsSum: 4_200_000n,
      monthCount: 12,
    });
    expect(checkMonthlyConservation(3_850_000n, months.slice(1))?.reason).toBe("MONTH_COUNT");
    const negative = [...months.slice(0, 11), -1n];
    expect(checkMonthlyConservation(3_849_999n, negative)?.reason).toBe("NEGATIVE_MONTH");
  });
});

describe("conservation properties", () => {
  /** A random tree built by real splits: parentOf[i] < i, so node 0 is the root. */
  const treeArb = fc
    .record({
      total: fc.bigInt({ min: 0n, max: 10n ** 11n }),
      parents: fc.array(fc.nat(), { minLength: 0, maxLength: 60 }),
      methods: fc.array(fc.constantFrom<SplitMethod>("EQUAL", "WEIGHTS"), { minLength: 61, maxLength: 61 }),
      weights: fc.array(fc.integer({ min: 1, max: 1_000 }), { minLength: 61, maxLength: 61 }),
    })
    .map(({ total, parents, methods, weights }) => buildTree(total, parents, methods, weights));

  it("trees built with splitAmount are always conserved", () => {
    fc.assert(
      fc.property(treeArb, (nodes) => {
        expect(checkConservation(nodes)).toEqual([]);
      }),
    );
  });

  it("changing any non-root node by any amount is caught at its parent", () => {
    fc.assert(
      fc.property(treeArb, fc.nat(), fc.bigInt({ min: 1n, max: 10n ** 6n }), (nodes, pick, delta) => {
        if (nodes.length < 2) return;
        const index = 1 + (pick % (nodes.length - 1));
        const target = nodes[index]!;
        const tampered = nodes.map((n, i) => (i === index ? { ...n, amount: n.amount + delta } : n));
        const violations = checkConservation(tampered);
        expect(violations.map((v) => v.parentId)).toContain(target.parentId);
      }),
    );
  });
});

function buildTree(total: bigint, parents: number[], methods: SplitMethod[], weights: number[]): ConservationNode[] {
  const parentOf = parents.map((p, i) => p % (i + 1)); // node i + 1 hangs under an earlier node
  const amounts = new Map<number, bigint>([[0, total]]);
  for (let node = 0; node <= parents.length; node++) {
    const children = parentOf.flatMap((p, i) => (p === node ? [i + 1] : []));
    if (children.length === 0) continue;
    const shares = splitAmount({
      total: amounts.get(node)!,
      method: methods[node]!,
      children: children.map((c) => ({ key: `n${c}`, weight: weights[c]! })),
    });
    children.forEach((c, j) => {
      amounts.set(c, shares[j]!);
    });
  }
  return [...amounts.keys()]
    .sort((a, b) => a - b)
    .map((i) => ({ id: `n${i}`, parentId: i === 0 ? null : `n${parentOf[i - 1]}`, amount: amounts.get(i)! }));
}
