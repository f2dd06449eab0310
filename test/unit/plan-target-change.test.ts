import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type PlanTargetChange, planTargetChange, type TreeNode } from "../../src/domain/plan-target-change.ts";
import type { RebalanceMode } from "../../src/domain/rebalance-change.ts";
import { AppError } from "../../src/lib/errors.ts";
import { catchValidation } from "./validation-helpers.ts";

const node = (id: string, parentId: string | null, amount: bigint, extra: Partial<TreeNode> = {}): TreeNode => ({
  id,
  parentId,
  label: id,
  amount,
  locked: false,
  reserve: false,
  ...extra,
});

const plan = (nodes: TreeNode[], targetId: string, proposed: bigint, mode: RebalanceMode) =>
  planTargetChange({
    nodes,
    targetId,
    proposed,
    mode,
    planTotal: nodes.find((n) => n.parentId === null)?.amount ?? 0n,
  });

describe("planTargetChange examples", () => {
  it("RESERVE creates the parent's reserve on first use (id null) and leaves the total alone", () => {
    const nodes = [node("root", null, 600n), node("a", "root", 300n), node("b", "root", 300n)];
    expect(plan(nodes, "a", 280n, "RESERVE")).toEqual({
      changes: [
        { role: "TARGET", id: "a", from: 300n, to: 280n },
        { role: "RESERVE", id: null, from: 0n, to: 20n },
      ],
      total: null,
      changesPlanTotal: false,
    });
  });

  it("SIBLINGS spreads over unlocked leaf siblings only: a locked one and a split one keep their amounts", () => {
    const nodes = [
      node("root", null, 1000n),
      node("t", "root", 300n),
      node("locked", "root", 200n, { locked: true }),
      node("split", "root", 300n),
      node("split-a", "split", 100n),
      node("split-b", "split", 200n),
      node("open", "root", 200n),
    ];
    expect(plan(nodes, "t", 400n, "SIBLINGS").changes).toEqual([
      { role: "TARGET", id: "t", from: 300n, to: 400n },
      { role: "SIBLING", id: "open", from: 200n, to: 100n },
    ]);
  });

  it("PARENT walks every ancestor to the root, nearest first, and changes the plan total", () => {
    const nodes = [
      node("root", null, 1000n),
      node("mid", "root", 600n),
      node("other", "root", 400n),
      node("t", "mid", 300n),
      node("u", "mid", 300n),
    ];
    expect(plan(nodes, "t", 250n, "PARENT")).toEqual({
      changes: [
        { role: "TARGET", id: "t", from: 300n, to: 250n },
        { role: "PARENT", id: "mid", from: 600n, to: 550n },
        { role: "PARENT", id: "root", from: 1000n, to: 950n },
      ],
      total: { from: 1000n, to: 950n },
      changesPlanTotal: true,
    });
  });

  it("refuses a target that is split, a reserve, or not in the plan", () => {
    const nodes = [
      node("root", null, 600n),
      node("a", "root", 500n),
      node("r", "root", 100n, { reserve: true }),
      node("a1", "a", 500n),
    ];
    expect(catchValidation(() => plan(nodes, "a", 400n, "RESERVE")).message).toBe(
      "目标“a”已拆分到下级，请对具体的下级目标申请调整",
    );
    expect(catchValidation(() => plan(nodes, "r", 50n, "RESERVE")).message).toBe("只能调整具体负责人的目标");
    expect(catchValidation(() => plan(nodes, "nobody", 50n, "RESERVE")).message).toBe("只能调整具体负责人的目标");
  });

  it("a plan of one target: the target is the plan total, whatever the mode", () => {
    for (const mode of ["RESERVE", "SIBLINGS", "PARENT"] as const) {
      expect(plan([node("only", null, 500n)], "only", 600n, mode)).toEqual({
        changes: [{ role: "TARGET", id: "only", from: 500n, to: 600n }],
        total: { from: 500n, to: 600n },
        changesPlanTotal: true,
      });
    }
  });
});

/** A generated tree before ids: a leaf's amount is its own, a parent's is the sum of its children. */
interface Spec {
  amount: bigint;
  locked: boolean;
  reserve: bigint | null;
  children: Spec[];
}

const amount = fc.oneof(fc.constant(0n), fc.bigInt({ min: 0n, max: 1_000n }), fc.bigInt({ min: 0n, max: 10n ** 9n }));
const { spec } = fc.letrec<{ spec: Spec }>((tie) => ({
  spec: fc.record({
    amount,
    locked: fc.boolean(),
    reserve: fc.option(amount, { freq: 3 }),
    // Depth 1 to 4: at depth 3 below the root only the first choice, a leaf, is left.
    children: fc.oneof(
      { maxDepth: 3, depthIdentifier: "tree" },
      fc.constant<Spec[]>([]),
      fc.array(tie("spec"), {
        minLength: 1,
        maxLength: 5,
      }),
    ),
  }),
}));

/** Flattens a spec into conserved nodes: each parent is the sum of its children, its reserve included. */
function buildTree(root: Spec): TreeNode[] {
  const nodes: TreeNode[] = [];
  const add = (s: Spec, parentId: string | null): bigint => {
    const id = `n${nodes.length}`;
    const self = node(id, parentId, 0n, { locked: s.locked });
    nodes.push(self);
    if (s.children.length === 0) {
      self.amount = s.amount;
      return s.amount;
    }
    let sum = 0n;
    for (const child of s.children) sum += add(child, id);
    if (s.reserve !== null) {
      nodes.push(node(`${id}-reserve`, id, s.reserve, { reserve: true }));
      sum += s.reserve;
    }
    self.amount = sum;
    return sum;
  };
  add(root, null);
  return nodes;
}

/** The tree after an accepted change; a RESERVE change without id creates the target's parent's reserve. */
function applyChanges(nodes: readonly TreeNode[], targetId: string, out: PlanTargetChange): TreeNode[] {
  const after = nodes.map((n) => ({ ...n }));
  for (const c of out.changes) {
    const existing = after.find((n) => n.id === c.id);
    if (c.id === null) {
      expect(c.role).toBe("RESERVE");
      const parentId = nodes.find((n) => n.id === targetId)?.parentId ?? null;
      expect(after.some((n) => n.parentId === parentId && n.reserve)).toBe(false);
      expect(c.from).toBe(0n);
      after.push(node("new-reserve", parentId, c.to, { reserve: true }));
    } else {
      expect(existing?.amount).toBe(c.from);
      if (existing) existing.amount = c.to;
    }
  }
  return after;
}

/** The leaves that are not reserves: only they give or take in SIBLINGS mode, and only they may be changed. */
function openLeaves(nodes: readonly TreeNode[]): Set<string> {
  const parents = new Set(nodes.map((n) => n.parentId));
  return new Set(nodes.filter((n) => !n.reserve && !parents.has(n.id)).map((n) => n.id));
}

/** Why this change cannot be made in this mode, by the rules of docs/domain.md, or undefined. */
function impossible(nodes: readonly TreeNode[], target: TreeNode, proposed: bigint, mode: RebalanceMode) {
  if (target.parentId === null || mode === "PARENT") return undefined; // proposed > 0: nothing can go negative
  const delta = proposed - target.amount;
  const others = nodes.filter((n) => n.parentId === target.parentId && n.id !== target.id);
  if (mode === "RESERVE") {
    return (others.find((n) => n.reserve)?.amount ?? 0n) < delta ? "reserve too small" : undefined;
  }
  const leaves = openLeaves(nodes);
  const open = others.filter((n) => leaves.has(n.id) && !n.locked);
  if (open.length === 0) return "no open sibling";
  return open.reduce((s, n) => s + n.amount, 0n) < delta ? "siblings too small" : undefined;
}

/** Which nodes a change in this mode may touch besides the target. */
function mayChange(nodes: readonly TreeNode[], target: TreeNode, mode: RebalanceMode): Set<string> {
  const siblings = nodes.filter((n) => n.parentId === target.parentId && n.id !== target.id);
  if (target.parentId === null) return new Set();
  if (mode === "RESERVE") return new Set(siblings.filter((n) => n.reserve).map((n) => n.id));
  const leaves = openLeaves(nodes);
  if (mode === "SIBLINGS") return new Set(siblings.filter((n) => leaves.has(n.id) && !n.locked).map((n) => n.id));
  const ancestors = new Set<string>();
  for (let id: string | null = target.parentId; id !== null; id = nodes.find((n) => n.id === id)?.parentId ?? null)
    ancestors.add(id);
  return ancestors;
}

/** Every parent equals the sum of its children. */
function expectConserved(nodes: readonly TreeNode[]): void {
  const sums = new Map<string, bigint>();
  for (const n of nodes) if (n.parentId !== null) sums.set(n.parentId, (sums.get(n.parentId) ?? 0n) + n.amount);
  for (const n of nodes) if (sums.has(n.id)) expect(sums.get(n.id)).toBe(n.amount);
}

describe("planTargetChange property: conservation at every level, or an honest refusal", () => {
  const input = fc.record({
    tree: spec,
    pick: fc.nat(),
    proposed: fc.oneof(fc.bigInt({ min: 1n, max: 1_000n }), fc.bigInt({ min: 1n, max: 2n * 10n ** 9n })),
    step: fc.constantFrom<bigint | null>(null, 1n, -1n),
    mode: fc.constantFrom<RebalanceMode>("RESERVE", "SIBLINGS", "PARENT"),
  });

  it("every parent is the sum of its children, the root the plan total, nothing negative, nothing else touched", () => {
    fc.assert(
      fc.property(input, ({ tree, pick, proposed: random, step, mode }) => {
        const nodes = buildTree(tree);
        expectConserved(nodes);
        const leaves = openLeaves(nodes);
        const target = nodes.filter((n) => leaves.has(n.id))[pick % leaves.size] as TreeNode;
        // Half the time a change of one yuan either way: the edge where a reserve or sibling is just enough.
        const proposed = step === null ? random : target.amount + step;
        fc.pre(proposed > 0n && proposed !== target.amount);
        const planTotal = nodes[0]?.amount ?? 0n;
        const why = impossible(nodes, target, proposed, mode);
        let out: PlanTargetChange;
        try {
          out = planTargetChange({ nodes, targetId: target.id, proposed, mode, planTotal });
        } catch (error) {
          expect(error instanceof AppError && error.code === "VALIDATION").toBe(true);
          expect(why).toBeDefined();
          return;
        }
        expect(why).toBeUndefined();
        expect(out.changes[0]).toEqual({ role: "TARGET", id: target.id, from: target.amount, to: proposed });
        const allowed = mayChange(nodes, target, mode);
        for (const c of out.changes.slice(1)) {
          expect(c.id === null || allowed.has(c.id)).toBe(true);
          expect(c.to).not.toBe(c.from);
        }
        expect(new Set(out.changes.map((c) => c.id)).size).toBe(out.changes.length);

        const after = applyChanges(nodes, target.id, out);
        expectConserved(after);
        for (const n of after) expect(n.amount >= 0n).toBe(true);
        const reachesTotal = mode === "PARENT" || target.parentId === null;
        expect(out.changesPlanTotal).toBe(reachesTotal);
        expect(out.total).toEqual(reachesTotal ? { from: planTotal, to: planTotal + proposed - target.amount } : null);
        expect(after[0]?.amount).toBe(out.total?.to ?? planTotal);
      }),
      { numRuns: 2_000, seed: 20261205 },
    );
  });
});
