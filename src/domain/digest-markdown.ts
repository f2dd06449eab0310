import { formatAttainment } from "./attainment.ts";
import type { Digest, DigestException, DigestExceptionKind, DigestRank } from "./digest-types.ts";
import { formatAmountShort } from "./format-amount.ts";
import type { AmountUnit } from "./metric.ts";
import type { Cadence } from "./period-key.ts";
import { cadenceUnit, shortPeriod } from "./period-words.ts";

/*
 * The weekly digest as a DingTalk markdown message (docs/domain.md "Digest"), for a director or a manager reading
 * it on a phone on Monday: the headline figures first, then what needs attention, then the leaderboard, then how
 * fresh the figures are and the dashboard link. DingTalk's markdown subset only (docs/dingtalk.md §4.0): headings,
 * bold, lists and links — never a table, which phones do not render.
 */

/** Escalations named one by one before 「等共 N 人」. */
export const DIGEST_ESCALATIONS_SHOWN = 5;
/** Other exceptions of a kind are listed one by one up to this many; above it, counted with a few names. */
export const DIGEST_KIND_LISTED = 3;
/** Names shown after a count: 「未填报 8 人：张三、李四、王五 等」. */
const NAMES_AFTER_COUNT = 3;

export interface DigestMarkdown {
  /** Shown in the chat list. */
  title: string;
  text: string;
}

/** How each kind of exception is counted when the list is long: what, and the measure word. */
const KIND_COUNT: Record<
  Exclude<DigestExceptionKind, "ESCALATION">,
  { what: (unit: string) => string; per: string }
> = {
  MISS: { what: (unit) => `本${unit}未达标`, per: "人" },
  NOT_REPORTED: { what: (unit) => `本${unit}未填报`, per: "人" },
  UNCONFIRMED: { what: () => "目标未确认", per: "个" },
  APPROVAL_OVERDUE: { what: () => "目标调整审批超过1个工作日未处理", per: "个" },
  NEEDS_OWNER: { what: () => "目标需重新指定负责人", per: "个" },
};
const KIND_ORDER = ["MISS", "NOT_REPORTED", "UNCONFIRMED", "APPROVAL_OVERDUE", "NEEDS_OWNER"] as const;

const REPORT_NAME: Record<Cadence, string> = { WEEK: "周报", MONTH: "月报", QUARTER: "季报" };

/** The digest as one markdown message; `dashboardUrl` (a signed, expiring link) ends it when given. */
export function digestMarkdown(d: Digest, dashboardUrl?: string): DigestMarkdown {
  const cadence = asCadence(d.plan.cadence);
  const unit = cadenceUnit(cadence);
  const amountUnit: AmountUnit = d.plan.unit === "COUNT" ? "COUNT" : "CNY";
  const amount = (v: bigint) => formatAmountShort(v, amountUnit === "COUNT" ? "COUNT" : undefined);
  const t = d.totals;
  const scope = d.viewer.scope === "SUBTREE" && d.viewer.name ? `${inline(d.viewer.name)}的团队` : "全公司";
  const period = shortPeriod(d.period);
  const title = `${inline(d.plan.name)} ${period}${REPORT_NAME[cadence]}`;

  const lines: string[] = [
    `### ${title}`,
    `${scope} · 年度累计达成 **${formatAttainment(t.ytdActual, t.ytdTarget)}**`,
    "",
  ];
  const change = pointsChange(t.ytdAttainment, t.previousYtdAttainment);
  lines.push(
    `- **年度累计**：完成 ${amount(t.ytdActual)} / 应完成 ${amount(t.ytdTarget)}，达成 ${formatAttainment(t.ytdActual, t.ytdTarget)}` +
      (change === null ? "" : `（${unit}环比 ${change}）`),
    `- **${period}**：完成 ${amount(t.periodActual)} / 目标 ${amount(t.periodTarget)}，达成 ${formatAttainment(t.periodActual, t.periodTarget)}`,
    `- **全年预计**：按当前进度完成 ${amount(t.projectedYearEnd)}（全年目标 ${amount(t.annualTarget)}，${formatAttainment(t.projectedYearEnd, t.annualTarget)}）`,
    t.requiredRunRate > 0n
      ? `- **要完成全年目标**：此后每${unit}需完成 ${amount(t.requiredRunRate)}`
      : "- **全年目标已完成**",
  );

  const attention = exceptionLines(d.exceptions, d.exceptionCounts, unit);
  if (attention.length > 0) lines.push("", "#### 需要关注", ...attention);

  const board = leaderboardLines(d);
  if (board.length > 0) lines.push("", "#### 排行榜（年度累计达成率）", ...board);

  lines.push("", "#### 数据情况");
  const f = d.freshness;
  lines.push(
    f.owners === 0
      ? `- 填报率：本${unit}没有需要填报的人`
      : `- 填报率：${f.reported}/${f.owners} 人已填报（${formatAttainment(BigInt(f.reported), BigInt(f.owners))}）`,
  );
  if (d.health.undelivered > 0) {
    lines.push(`- 机器人：${d.health.undelivered} 条消息未能送达，请管理员查看`);
  }
  if (dashboardUrl) lines.push("", `[打开看板查看明细](${dashboardUrl})`);
  return { title, text: lines.join("\n") };
}

/**
 * Open escalations first (longest streak first), then each other kind: listed when short, counted when long. A
 * digest lists at most a few of each kind; `counts` (when given) says how many there are in all.
 */
function exceptionLines(
  exceptions: readonly DigestException[],
  counts: Digest["exceptionCounts"],
  unit: string,
): string[] {
  const escalations = exceptions
    .filter((e) => e.kind === "ESCALATION")
    .sort((a, b) => (b.streak ?? 0) - (a.streak ?? 0));
  const escalated = new Set(escalations.flatMap((e) => (e.userId ? [e.userId] : [])));
  const out = escalations.slice(0, DIGEST_ESCALATIONS_SHOWN).map((e) => `- ${inline(e.text)}`);
  const escalationCount = Math.max(counts?.ESCALATION ?? 0, escalations.length);
  if (escalationCount > DIGEST_ESCALATIONS_SHOWN) out.push(`- 等共 ${escalationCount} 人连续未达标`);
  for (const kind of KIND_ORDER) {
    // 「张三 连续2周未达标」 already says this period was missed.
    const all = exceptions.filter((e) => e.kind === kind);
    const items = all.filter((e) => !(kind === "MISS" && e.userId && escalated.has(e.userId)));
    const count = Math.max((counts?.[kind] ?? 0) - (all.length - items.length), items.length);
    if (count === 0) continue;
    if (count <= DIGEST_KIND_LISTED) {
      out.push(...items.map((e) => `- ${inline(e.text)}`));
      continue;
    }
    const { what, per } = KIND_COUNT[kind];
    const names = [...new Set(items.flatMap((e) => (e.name ? [inline(e.name)] : [])))];
    const shown = names.slice(0, NAMES_AFTER_COUNT).join("、");
    const more = names.length > NAMES_AFTER_COUNT || count > names.length ? " 等" : "";
    out.push(`- ${what(unit)} ${count} ${per}${shown ? `：${shown}${more}` : ""}`);
  }
  return out;
}

function leaderboardLines(d: Digest): string[] {
  const list = (ranks: readonly DigestRank[]) =>
    ranks.map((r) => `${inline(r.label)} ${formatAttainment(r.ytdActual, r.ytdTarget)}`).join("、");
  const out: string[] = [];
  if (d.top.regions.length > 0) out.push(`- 区域领先：${list(d.top.regions)}`);
  if (d.bottom.regions.length > 0) out.push(`- 区域落后：${list(d.bottom.regions)}`);
  if (d.top.people.length > 0) out.push(`- 前${d.top.people.length}名：${list(d.top.people)}`);
  if (d.bottom.people.length > 0) out.push(`- 后${d.bottom.people.length}名：${list(d.bottom.people)}`);
  return out;
}

/** The change in attainment as people say it: 「+3.2个百分点」, 「-1个百分点」, 「持平」; null when either is unknown. */
export function pointsChange(now: number | null, before: number | null): string | null {
  if (now === null || before === null) return null;
  const tenths = Math.round((now - before) * 1000);
  if (tenths === 0) return "持平";
  const abs = Math.abs(tenths);
  const text = abs % 10 === 0 ? String(abs / 10) : (abs / 10).toFixed(1);
  return `${tenths > 0 ? "+" : "-"}${text}个百分点`;
}

/** A name or label inside a line: one line, so it can never start a heading or a list of its own. */
function inline(s: string): string {
  return s.replace(/\s+/g, " ").trim();
}

function asCadence(c: string): Cadence {
  return c === "MONTH" || c === "QUARTER" ? c : "WEEK";
}
