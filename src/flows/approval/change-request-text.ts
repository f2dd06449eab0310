import { formatChange } from "../../../cards/format.ts";
import { formatAmountShort } from "../../domain/format-amount.ts";
import type { Effect } from "./change-effects.ts";

/** "420万 → 380万（-40万，-9.5%）": a change as staff read it in chat. */
export function changeText(from: bigint, to: bigint): string {
  const delta = to - from;
  const sign = delta > 0n ? "+" : "-";
  const abs = delta < 0n ? -delta : delta;
  return `${formatAmountShort(from)} → ${formatAmountShort(to)}（${sign}${formatAmountShort(abs)}，${formatChange(from, to)}）`;
}

/** Where the difference goes, in one line: 差额进入华东的待分配（0 → 40万）. */
export function effectText(effects: readonly Effect[], parentLabel: string | null): string {
  const reserve = effects.find((e) => e.role === "RESERVE");
  if (reserve) {
    const into = BigInt(reserve.to) > BigInt(reserve.from);
    const where = parentLabel ? `${parentLabel}的待分配` : "待分配";
    return `差额${into ? "进入" : "取自"}${where}（${formatAmountShort(BigInt(reserve.from))} → ${formatAmountShort(BigInt(reserve.to))}）`;
  }
  const siblings = effects.filter((e) => e.role === "SIBLING");
  if (siblings.length > 0) {
    const list = siblings.map(
      (e) => `${e.label} ${formatAmountShort(BigInt(e.from))} → ${formatAmountShort(BigInt(e.to))}`,
    );
    return `差额由同级目标分摊：${list.join("、")}（各负责人需重新确认）`;
  }
  const parents = effects.filter((e) => e.role === "PARENT");
  if (parents.length > 0) {
    const top = parents.at(-1)!;
    return `上级目标同步调整，直至计划总额：${top.label} ${formatAmountShort(BigInt(top.from))} → ${formatAmountShort(BigInt(top.to))}`;
  }
  return "";
}

/** "张伟 → 王芳 → 陈总": the approvers in order. */
export function routeText(names: readonly string[]): string {
  return names.join(" → ");
}

/** Δ% with two decimals for the API (null when the current amount is 0). */
export function deltaPct(from: bigint, to: bigint): number | null {
  if (from === 0n) return null;
  return Number(((to - from) * 10000n) / from) / 100;
}
