/**
 * Keeping card values inside DingTalk's limits: each `cardParamMap` value ≤ 1 KB and each key ≤ 100 bytes, both
 * counted in UTF-8 bytes (a Chinese character is 3 bytes, most emoji 4 or more), so string length is no guide.
 */

/** Largest `cardParamMap` value in UTF-8 bytes (docs/dingtalk.md §3.1). */
export const MAX_VALUE_BYTES = 1024;
/** Largest `cardParamMap` key in UTF-8 bytes (docs/dingtalk.md §3.1). */
export const MAX_KEY_BYTES = 100;

const encoder = new TextEncoder();
const graphemes = new Intl.Segmenter("zh", { granularity: "grapheme" });
const ELLIPSIS = "…";

export function utf8Bytes(text: string): number {
  return encoder.encode(text).length;
}

/**
 * Cuts `text` to at most `maxBytes` UTF-8 bytes, ending with "…" when something was cut. Cuts between
 * graphemes, so an emoji sequence or a character with combining marks is never split in half.
 */
export function truncateUtf8(text: string, maxBytes: number): string {
  if (utf8Bytes(text) <= maxBytes) return text;
  const budget = maxBytes - utf8Bytes(ELLIPSIS);
  if (budget < 0) return "";
  let used = 0;
  let out = "";
  for (const { segment } of graphemes.segment(text)) {
    const size = utf8Bytes(segment);
    if (used + size > budget) break;
    used += size;
    out += segment;
  }
  return out + ELLIPSIS;
}

/** Collapses line breaks, tabs and runs of spaces, and drops control characters: for names and one-line texts. */
export function oneLine(text: string): string {
  // Whitespace first, so a line break becomes a space before the remaining control characters are dropped.
  return text
    .replace(/\s+/g, " ")
    .replace(/\p{Cc}/gu, "")
    .trim();
}

export interface FitListOptions {
  /** Budget for the whole result; defaults to one `cardParamMap` value. */
  maxBytes?: number;
  separator?: string;
  /** Each item is cut to this first, so one huge item cannot push out all the others. */
  itemMaxBytes?: number;
}

/**
 * Joins as many items as fit and ends with "…等N项" (N = all items, as Chinese readers expect from "等") when
 * some had to be left out. The result never exceeds `maxBytes`.
 */
export function fitList(items: readonly string[], options: FitListOptions = {}): string {
  const { maxBytes = MAX_VALUE_BYTES, separator = "、", itemMaxBytes = 240 } = options;
  const suffix = `${ELLIPSIS}等${items.length}项`;
  const suffixBytes = utf8Bytes(suffix);
  const sepBytes = utf8Bytes(separator);
  const kept: string[] = [];
  let used = 0;
  for (const [index, raw] of items.entries()) {
    const item = truncateUtf8(raw, itemMaxBytes);
    const size = used + (kept.length > 0 ? sepBytes : 0) + utf8Bytes(item);
    const isLast = index === items.length - 1;
    // Room for the suffix is kept until the last item, which may use that room itself.
    if (size + (isLast ? 0 : suffixBytes) > maxBytes) {
      return truncateUtf8(kept.join(separator) + suffix, maxBytes);
    }
    kept.push(item);
    used = size;
  }
  return kept.join(separator);
}
