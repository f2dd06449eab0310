import type { Metric } from "../metric.ts";
import type { InvalidReason } from "../parse-progress.ts";
import { CLAUSE_END, MASK } from "./vocabulary.ts";

/* The pieces the stages of the progress reader hand each other, and the index-preserving text helpers they share. */

export interface Span {
  start: number;
  end: number;
}
export interface Marker extends Span {
  kind: "replace" | "negate";
}
export interface Token extends Span {
  numeral: string;
  negative: boolean;
  kind: "money" | "count" | "bare";
  /** Chinese digits with no unit, such as the 一 of 一共: a number only if a metric word claims it. */
  weak: boolean;
}
export interface Binding extends Span {
  metric: Metric;
  weak: boolean;
}
export interface Candidate extends Span {
  metric: Metric;
  amount: bigint;
  /** Said of a longer span than the period: a running total ("累计120万") or a year ("今年120万"). */
  scope: "period" | "cumulative" | "year";
}
export interface Problem {
  reason: InvalidReason;
  message: string;
}
export type Reading = { candidate: Candidate } | { problem: Problem } | undefined;

export function clauseEnd(text: string, from: number): number {
  let end = from;
  while (end < text.length && !(CLAUSE_END.test(text[end] ?? "") && !isThousandsComma(text, end))) end += 1;
  return end;
}

export function maskSpans(text: string, spans: readonly Span[], mask = MASK): string {
  let result = text;
  for (const { start, end } of spans) result = result.slice(0, start) + mask.repeat(end - start) + result.slice(end);
  return result;
}

export function maskMatches(text: string, pattern: RegExp): string {
  return text.replace(pattern, (match) => MASK.repeat(match.length));
}

export function clausePrefix(text: string, at: number): string {
  let start = at;
  // A comma between digits is a thousands separator ("350,000"), not the end of a clause.
  while (start > 0 && !(CLAUSE_END.test(text[start - 1] ?? "") && !isThousandsComma(text, start - 1))) start -= 1;
  return text.slice(start, at);
}

export function isThousandsComma(text: string, at: number): boolean {
  return text[at] === "," && /[0-9]/.test(text[at - 1] ?? "") && /^[0-9]{3}(?![0-9])/.test(text.slice(at + 1));
}

export const ASK_ONE_NUMBER = "请发一个具体数字，例如“35万”。";

export function ambiguous(message: string): Problem {
  return { reason: "AMBIGUOUS", message };
}
