import type { Metric } from "./metric.ts";
import type { Cadence } from "./period-key.ts";
import { buildNote } from "./progress-text/build-note.ts";
import { findMarkers, findTokens, findZeroPhrases, prepareText, readTokens } from "./progress-text/find-figures.ts";
import { periodReferred, previousUnit, settle } from "./progress-text/settle-figures.ts";
import { maskMatches, maskSpans } from "./progress-text/text-spans.ts";
import { CUT, HELP_ANYWHERE, HELP_EXACT, MASK, NOT_AMOUNTS, ZERO_ALONE } from "./progress-text/vocabulary.ts";

/**
 * Reads a salesperson's free-text answer to the weekly progress prompt ("本周完成35万，新客户2家") into figures.
 *
 * How a message is read, in order:
 * 1. normalise (full-width → ASCII, traditional → simplified), drop emoji and DingTalk emoticons ("[赞]");
 * 2. blank out what is never an amount: dates and period references ("本周", "W14", "11月23日", "2026年"),
 *    times and phone numbers; blank out correction words ("改成", "不对") and "nothing sold" phrases;
 * 3. find every number, skip those that are not amounts ("两单", "80%", "第3", "下周争取40万", "目标50万"),
 *    and give each one a metric from the word right before it ("回款12万") or right after it ("2家新客户"),
 *    REVENUE when there is none;
 * 4. settle: a correction supersedes the old figure it names, a cumulative figure ("累计120万") gives way to
 *    the period's own one, a year's figure alone ("今年累计120万") and two figures left for one metric are
 *    AMBIGUOUS;
 * 5. what is left that is not a keyword or a filler word becomes the note;
 * 6. which period it is about: "上周完成30万" is the previous week (`period: "previous"`, `periodUnit: "WEEK"`;
 *    "上月…" and "上季度…" name a month or quarter), anything else the current one; "比上周多5万" is a
 *    comparison, not a reference; figures for both periods at once are AMBIGUOUS.
 *
 * Pure and total: never throws, whatever the input. The stages live in progress-text/: vocabulary.ts (the word
 * lists and patterns), find-figures.ts (steps 1–3), settle-figures.ts (steps 4 and 6), build-note.ts (step 5).
 */

/** What a figure measures (defined with the metric labels, re-exported for the readers of figures). */
export type { Metric };

/** One figure read from a message: whole yuan, or a count for NEW_CUSTOMERS. */
export interface Figure {
  metric: Metric;
  amount: bigint;
  /** The fragment it came from, normalised ("３５万" reads "35万"). */
  text: string;
}

export type InvalidReason = "NEGATIVE" | "FRACTIONAL_YUAN" | "TOO_LARGE" | "AMBIGUOUS";

/** What a progress message says; `invalid` carries the Chinese reply for the rep, and nothing is stored. */
export type ParsedMessage =
  | {
      kind: "report";
      figures: Figure[];
      correction: boolean;
      note?: string;
      /** Present only for a report about the period before ("上周回款12万", "上月完成35万"); absent: the current one. */
      period?: "previous";
      /** With `period`: the cadence it named (上周 WEEK, 上月 MONTH, 上季度 QUARTER). */
      periodUnit?: Cadence;
    }
  | { kind: "help" }
  | { kind: "invalid"; reason: InvalidReason; message: string }
  | { kind: "unrecognized" };

/** Longer messages are not answers to a progress prompt; refusing them keeps every step cheap. */
const MAX_MESSAGE_LENGTH = 1000;

/** Reads a progress message; see the file comment for the rules. Never throws. */
export function parseProgressMessage(text: string): ParsedMessage {
  if (text.length > MAX_MESSAGE_LENGTH) return { kind: "unrecognized" };
  const src = prepareText(text);
  const withoutPeriods = NOT_AMOUNTS.reduce((masked, pattern) => maskMatches(masked, pattern), src);
  const markers = findMarkers(withoutPeriods);
  const zeros = findZeroPhrases(maskSpans(withoutPeriods, markers));
  const work = maskSpans(withoutPeriods, [...markers, ...zeros]);
  const read = readTokens(src, work, findTokens(work));
  if ("problem" in read) return { kind: "invalid", ...read.problem };
  const settled = settle(
    [...zeros, ...read.candidates].sort((a, b) => a.start - b.start),
    markers,
    src,
  );
  if ("problem" in settled) return { kind: "invalid", ...settled.problem };
  if (settled.figures.length === 0) return readWithoutFigures(src, work);
  const figures = settled.figures.map((c) => ({
    metric: c.metric,
    amount: c.amount,
    text: src.slice(c.start, c.end).trim(),
  }));
  // Periods stay inside the note ("比上周多5万"); figures and correction words cut it into pieces.
  const cut = maskSpans(withoutPeriods, [...markers, ...zeros, ...settled.figures, ...settled.superseded], CUT);
  const note = buildNote(src, cut);
  const period = periodReferred(src, settled.figures);
  if (typeof period === "object") return { kind: "invalid", ...period };
  return {
    kind: "report",
    figures,
    correction: settled.correction,
    ...(note ? { note } : {}),
    ...(period === "previous" ? { period, periodUnit: previousUnit(src) ?? "WEEK" } : {}),
  };
}

// "上周", "上个星期", "上一礼拜", "上周五" — but not "比上周多5万" or "较上周", which compare.
function readWithoutFigures(src: string, work: string): ParsedMessage {
  const compact = src.toLowerCase().replace(/[^\p{L}\p{N}?]/gu, "");
  if (HELP_EXACT.test(compact) || HELP_ANYWHERE.test(compact)) return { kind: "help" };
  const residue = work.replace(new RegExp(`[^\\p{L}\\p{N}]|${MASK}`, "gu"), "");
  if (residue !== "" && ZERO_ALONE.test(residue)) {
    return { kind: "report", figures: [{ metric: "REVENUE", amount: 0n, text: residue }], correction: false };
  }
  return { kind: "unrecognized" };
}
