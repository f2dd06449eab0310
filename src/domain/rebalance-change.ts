/*
 * Where the difference of an approved target change goes (docs/domain.md "Change approval"), so that the
 * children of the parent still sum to it exactly. Pure: the flow reads the parent, its children and the reserve
 * child (待分配), and writes the new amounts this returns as new versions.
 */
import { validationError } from "../lib/errors.ts";
import { largestRemainder } from "./largest-remainder.ts";

/**
 * `RESERVE`: the parent's 待分配 reserve child absorbs −Δ (created on first use);
 * `SIBLINGS`: −Δ is spread over the unlocked siblings in proportion to their amounts;
 * `PARENT`: the parent changes by Δ too (the caller walks up from there).
 */
export type RebalanceMode = "RESERVE" | "SIBLINGS" | "PARENT";

export interface RebalanceSibling {
  id: string;
  /** For messages (「华南」); the id is used when absent. */
  label?: string;
  amount: bigint;
  /** A locked sibling is never touched. */
  locked: boolean;
}

export interface AmountChange {
  role: "TARGET" | "SIBLING" | "RESERVE" | "PARENT";
  /** null only for a reserve child that does not exist yet and is to be created with `to`. */
  id: string | null;
  from: bigint;
  to: bigint;
}

/**
 * The new amount of every node that changes: the changed target first, then the siblings that change (in input
 * order), the reserve, or the parent. Afterwards the parent's children (target, siblings, reserve) sum to the
 * parent's amount exactly, and nothing is negative.
 *
 * `siblings` are the parent's other children except the reserve, which is passed as `reserve` (null when the
 * parent has none yet). In `SIBLINGS` mode the reserve is left alone: it is not anyone's target. Spreading uses
 * the largest remainder over the unlocked siblings' amounts (an equal split when they are all 0); a sibling
 * that gives gives at most its own amount whenever the siblings together can give −Δ, so a refusal means the
 * change is really impossible in that mode.
 *
 * @throws AppError VALIDATION when an amount is negative, nothing changes, the input does not balance, the
 *   reserve would go negative (`RESERVE`), or there is no unlocked sibling or one would go negative
 *   (`SIBLINGS`, named in the message).
 */
export function rebalanceChange(a: {
  target: { id: string; current: bigint; proposed: bigint };
  parent: { id: string; amount: bigint };
  siblings: readonly RebalanceSibling[];
  reserve: { id: string; amount: bigint } | null;
  mode: RebalanceMode;
}): AmountChange[] {
  assertBalanced(a);
  const delta = a.target.proposed - a.target.current;
  const target: AmountChange = { role: "TARGET", id: a.target.id, from: a.target.current, to: a.target.proposed };
  switch (a.mode) {
    case "RESERVE":
      return [target, reserveChange(a.reserve, delta)];
    case "SIBLINGS":
      return [target, ...siblingChanges(a.siblings, delta)];
    case "PARENT":
      return [target, { role: "PARENT", id: a.parent.id, from: a.parent.amount, to: a.parent.amount + delta }];
    default:
      throw validationError(`调整方式无效：${String(a.mode)}（应为 RESERVE、SIBLINGS 或 PARENT）`, [
        { field: "rebalance", message: "调整方式无效" },
      ]);
  }
}

function reserveChange(reserve: { id: string; amount: bigint } | null, delta: bigint): AmountChange {
  const from = reserve?.amount ?? 0n;
  const to = from - delta;
  if (to < 0n) {
    throw validationError(
      `待分配余额不足：目标增加 ${delta}，但待分配只有 ${from}。请改为从同级目标调出，或调整上级目标`,
      [{ field: "rebalance", message: "待分配余额不足" }],
    );
  }
  return { role: "RESERVE", id: reserve?.id ?? null, from, to };
}

function siblingChanges(siblings: readonly RebalanceSibling[], delta: bigint): AmountChange[] {
  const open = siblings.filter((s) => !s.locked);
  if (open.length === 0) {
    throw validationError("没有未锁定的同级目标可以分摊这次调整，请改用待分配或调整上级目标", [
      { field: "rebalance", message: "没有未锁定的同级目标" },
    ]);
  }
  const amounts = open.map((s) => s.amount);
  const weights = amounts.every((x) => x === 0n) ? open.map(() => 1n) : amounts;
  // Siblings give Δ when the target grows, and receive |Δ| when it shrinks.
  const shares = largestRemainder(delta < 0n ? -delta : delta, weights);
  const changes = open.map((s, i): AmountChange => {
    const share = shares[i] ?? 0n;
    return { role: "SIBLING", id: s.id, from: s.amount, to: delta > 0n ? s.amount - share : s.amount + share };
  });
  const negative = changes.filter((c) => c.to < 0n);
  if (negative.length > 0) {
    const names = negative.map((c) => `「${open.find((s) => s.id === c.id)?.label ?? c.id}」（将变为 ${c.to}）`);
    throw validationError(
      `同级目标不够分摊：${names.join("、")}。未锁定的同级目标合计只有 ${amounts.reduce((x, y) => x + y, 0n)}，目标增加 ${delta}`,
      negative.map((c) => ({ field: "rebalance", message: `同级目标 ${c.id} 将变为负数` })),
    );
  }
  return changes.filter((c) => c.to !== c.from);
}

function assertBalanced(a: {
  target: { current: bigint; proposed: bigint };
  parent: { amount: bigint };
  siblings: readonly RebalanceSibling[];
  reserve: { amount: bigint } | null;
}): void {
  const amounts: [string, bigint][] = [
    ["target.current", a.target.current],
    ["target.proposed", a.target.proposed],
    ["parent.amount", a.parent.amount],
    ...a.siblings.map((s, i): [string, bigint] => [`siblings[${i}].amount`, s.amount]),
    ...(a.reserve ? [["reserve.amount", a.reserve.amount] as [string, bigint]] : []),
  ];
  for (const [field, v] of amounts) {
    if (typeof v !== "bigint" || v < 0n) {
      throw validationError(`金额必须是非负整数（${field}），收到 ${String(v)}`, [
        { field, message: "金额必须是非负整数" },
      ]);
    }
  }
  if (a.target.proposed === a.target.current) {
    throw validationError("申请的目标与当前目标相同，无需调整", [
      { field: "target.proposed", message: "与当前目标相同" },
    ]);
  }
  const children = a.target.current + a.siblings.reduce((s, x) => s + x.amount, 0n) + (a.reserve?.amount ?? 0n);
  if (children !== a.parent.amount) {
    throw validationError(`下级目标合计 ${children} 与上级目标 ${a.parent.amount} 不一致，请先修正目标树再调整`, [
      { field: "parent.amount", message: "下级合计与上级不一致" },
    ]);
  }
}
