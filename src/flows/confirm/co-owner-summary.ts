import type { Tx } from "../../db/database.ts";
import type { Outbound } from "../../dingtalk/outbound.ts";
import { formatAmountShort } from "../../domain/format-amount.ts";
import { type Metric, metricLabel, metricUnit } from "../../domain/metric.ts";
import { batchNews, type NewsMessage } from "../news-batch.ts";

/** A target whose owner was just sent its card, as its co-owners' summary lists it. */
export interface CoOwnedTarget {
  targetId: string;
  version: number;
  /** Where it sits in the plan (targetPlace). */
  place: string;
  ownerName: string;
  amount: bigint;
  coOwnerUserIds: string[];
}

/**
 * News, not a decision (docs/domain.md "Confirmation"): each co-owner gets ONE markdown message per publish run
 * listing every target of theirs whose owner card went out in it, instead of a card per target. Markdown rather
 * than a notice card: a card value holds 1 KB (about ten lines of Chinese), a robot message a list of 20 with
 * room to spare, and on a phone a titled message with a list reads better than a cut-off card body (no table:
 * tables do not render on phones). Keyed by the (target, version) pairs it lists, so publishing again sends
 * nothing and a later version of one target tells its co-owners about that target alone.
 * Returns how many summaries were newly queued.
 */
export async function sendCoOwnerSummaries(
  tx: Tx,
  outbound: Outbound,
  plan: { name: string; metric: Metric },
  targets: CoOwnedTarget[],
): Promise<number> {
  const unit = metricUnit(plan.metric);
  const items = targets.flatMap((t) =>
    t.coOwnerUserIds.map((to) => ({
      to,
      id: `${t.targetId}.v${t.version}`,
      line: `${t.place}：${t.ownerName} ${formatAmountShort(t.amount, unit)}${t.version > 1 ? `（第${t.version}版）` : ""}`,
    })),
  );
  let queued = 0;
  for (const m of batchNews("co-owner", items)) {
    const { title, text } = coOwnerSummary(plan, m);
    if (await outbound.sendMarkdown(tx, { to: [m.to], key: m.key, title, text })) queued++;
  }
  return queued;
}

function coOwnerSummary(plan: { name: string; metric: Metric }, m: NewsMessage): { title: string; text: string } {
  const title = `你是 ${m.count} 个目标的协同负责人`;
  const text = [
    `#### 「${plan.name}」已发布`,
    `你是以下 ${m.count} 个${metricLabel(plan.metric)}目标的协同负责人：`,
    "",
    m.list,
    "",
    "负责人已各自收到目标卡片，由负责人确认或提出异议；你无需操作，可协助他们达成目标。",
  ].join("\n");
  return { title, text };
}
