import { createHash } from "node:crypto";
import { oneLine, truncateUtf8 } from "../../cards/fit-text.ts";

/**
 * News is batched (docs/architecture.md "News is batched"): a person hears from the bot at most once per run and
 * kind of news, in one message listing everything of that kind for them. Action cards (a target card, an
 * approval) stay one per decision; this is for what a person only needs to know.
 */

/** One piece of news for one person. */
export interface NewsItem {
  to: string;
  /** What it is about, stable across runs (`<targetId>.v<version>`): the message key is made from these. */
  id: string;
  /** How it reads in the list: one line, no leading bullet. */
  line: string;
}

/** One person's message: their items, a capped list to show, and the key to send it under. */
export interface NewsMessage {
  to: string;
  /**
   * `news.<kind>.<to>.<hash of the sorted item ids>`: the same list to the same person is one message however
   * often a run repeats, and a list with anything new (another target, a new version) is a new message.
   */
  key: string;
  /** Every item's id, in the order given (the caller records what the message covered). */
  ids: string[];
  /** How many items the message is about (the list may show fewer). */
  count: number;
  /** At most `max` lines as a list (`- …`), then 「- 等共 N 个」 when there are more. */
  list: string;
}

/** Lines shown before 「等共 N 个」: enough to act on, and a message that stays readable on a phone. */
export const NEWS_LIST_MAX = 20;
/** Each line is cut to this (UTF-8 bytes), so 20 lines stay far below a robot message's size limit. */
const LINE_MAX_BYTES = 300;

/**
 * Groups items by recipient into one message each, recipients in sorted order, items in the order given (an
 * item repeated for the same person counts once).
 */
export function batchNews(kind: string, items: readonly NewsItem[], max = NEWS_LIST_MAX): NewsMessage[] {
  const byPerson = new Map<string, Map<string, string>>();
  for (const item of items) {
    const mine = byPerson.get(item.to) ?? new Map<string, string>();
    if (!mine.has(item.id)) mine.set(item.id, item.line);
    byPerson.set(item.to, mine);
  }
  return [...byPerson.keys()].sort().map((to) => {
    const mine = byPerson.get(to) ?? new Map<string, string>();
    const ids = [...mine.keys()];
    return { to, key: newsKey(kind, to, ids), ids, count: ids.length, list: cappedList([...mine.values()], max) };
  });
}

/** The key of `to`'s message of `kind` about exactly these items, whatever their order. */
export function newsKey(kind: string, to: string, ids: readonly string[]): string {
  const hash = createHash("sha256")
    .update([...ids].sort().join("\n"))
    .digest("base64url")
    .slice(0, 22);
  return `news.${kind}.${to}.${hash}`;
}

/** `- line` per item up to `max`, then 「- 等共 N 个」 when some were left out. */
export function cappedList(lines: readonly string[], max = NEWS_LIST_MAX): string {
  const shown = lines.slice(0, max).map((l) => `- ${truncateUtf8(oneLine(l), LINE_MAX_BYTES)}`);
  if (lines.length > max) shown.push(`- 等共 ${lines.length} 个`);
  return shown.join("\n");
}
