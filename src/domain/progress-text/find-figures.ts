import type { Metric } from "../metric.ts";
import { normalizeText, parseNumeral, toWholeAmount } from "../parse-amount.ts";
import type { InvalidReason } from "../parse-progress.ts";
import {
  ASK_ONE_NUMBER,
  ambiguous,
  type Binding,
  type Candidate,
  clausePrefix,
  type Marker,
  type Problem,
  type Reading,
  type Token,
} from "./text-spans.ts";
import {
  BINDING_REACH,
  BINDING_WORDS,
  BREAKDOWN,
  CONNECTORS,
  CUMULATIVE,
  KEYWORDS,
  MASK,
  NEGATE_MARKERS,
  NOT_AN_ACTUAL,
  NOT_AN_AMOUNT_AFTER,
  NOT_AN_AMOUNT_BEFORE,
  NOT_MONEY_AFTER,
  PERIOD_NAMED,
  REPLACE_MARKERS,
  RIGHT_BINDING,
  STRONG_WORDS,
  TOKEN,
  TYPO_WAN,
  YEAR_SCOPE,
  ZERO_AFTER,
  ZERO_BEFORE,
  ZERO_WORDS,
} from "./vocabulary.ts";

/* Finding figures: every number in a message, what it measures, and whether it is an amount at all. */

const EMOJI = /\p{Extended_Pictographic}|[\u{1F3FB}-\u{1F3FF}]|\u{FE0F}|\u{20E3}|\u{200D}/gu;
/** DingTalk sends its own emoticons as text: "[赞]", "[微笑]". */
const DINGTALK_EMOTICON = /\[[\u4e00-\u9fffa-z]{1,6}\]/giu;

export function prepareText(text: string): string {
  return normalizeText(text)
    .replace(DINGTALK_EMOTICON, " ")
    .replace(EMOJI, " ")
    .replace(/^\s*@\S+/, " ");
}

export function findMarkers(work: string): Marker[] {
  const found = (pattern: RegExp, kind: Marker["kind"]) =>
    [...work.matchAll(pattern)].map((m) => ({ start: m.index, end: m.index + m[0].length, kind }));
  return [...found(REPLACE_MARKERS, "replace"), ...found(NEGATE_MARKERS, "negate")];
}

export function findZeroPhrases(work: string): Candidate[] {
  const atClauseStart = (at: number) => clausePrefix(work, at).replace(/[\s\uE000]|我们?|这边|目前|暂时/g, "") === "";
  const phrases = [...work.matchAll(ZERO_BEFORE)]
    .filter((m) => atClauseStart(m.index))
    .concat([...work.matchAll(ZERO_AFTER)]);
  return phrases.map((m) => ({
    start: m.index,
    end: m.index + m[0].length,
    metric: ZERO_WORDS[m[1] ?? ""] ?? "REVENUE",
    amount: 0n,
    scope: "period" as const,
  }));
}

export function findTokens(work: string): Token[] {
  return [...work.matchAll(TOKEN)].map((match) => {
    const groups = match.groups ?? {};
    const numeral = (groups.numeral ?? "").replace(TYPO_WAN, "万");
    const money = groups.money !== undefined || /[千仟万亿kw]/i.test(numeral);
    const sign = groups.sign?.trim();
    // "W14-35万": a dash right after a date or week is a separator, not a minus sign.
    const separator = sign === "-" && work[match.index - 1] === MASK;
    return {
      start: match.index + (separator ? 1 : 0),
      end: match.index + match[0].length,
      numeral,
      negative: sign === "负" || (sign === "-" && !separator),
      kind: money ? "money" : groups.count !== undefined ? "count" : "bare",
      weak: !/[0-9百佰千仟万亿]/.test(numeral) && groups.money === undefined && groups.count === undefined,
    };
  });
}

export function readTokens(
  src: string,
  work: string,
  tokens: Token[],
): { candidates: Candidate[] } | { problem: Problem } {
  const left = tokens.map((t, i) => bindLeft(work, tokens[i - 1]?.end ?? 0, t));
  const bindings = tokens.map((t, i) => left[i] ?? bindRight(work, t, tokens[i + 1]?.start ?? work.length, left));
  const readings = tokens.map((t, i) => readToken(src, work, t, bindings[i]));
  const candidates: Candidate[] = [];
  let previous: Token | undefined;
  for (const [i, reading] of readings.entries()) {
    const token = tokens[i];
    if (!reading || !token) continue;
    if (previous && isRange(work, previous, token)) {
      return { problem: ambiguous(`“${src.slice(previous.start, token.end).trim()}”是一个范围，${ASK_ONE_NUMBER}`) };
    }
    previous = token;
    if ("problem" in reading) return reading;
    candidates.push(reading.candidate);
  }
  return { candidates };
}

/**
 * The metric word before a number, with only connectors between them ("回款：12万", "完成了35万"); the farthest
 * such word wins, the longer one on a tie. Walks back from the number instead of using a regular expression,
 * because connectors overlap ("约为" = "约" + "为") and a backtracking regex would be exponential on them.
 */
function bindLeft(work: string, from: number, token: Token): Binding | undefined {
  const offset = Math.max(from, token.start - BINDING_REACH);
  const text = work.slice(offset, token.start);
  const onlyConnectorsAfter = new Array<boolean>(text.length + 1).fill(false);
  let best: { word: string; start: number } | undefined;
  for (let i = text.length; i >= 0; i -= 1) {
    onlyConnectorsAfter[i] =
      i === text.length ||
      (/\s/.test(text[i] ?? "") && onlyConnectorsAfter[i + 1] === true) ||
      CONNECTORS.some((c) => text.startsWith(c, i) && onlyConnectorsAfter[i + c.length] === true);
    if (!onlyConnectorsAfter[i]) continue;
    for (const word of BINDING_WORDS) {
      const start = i - word.length;
      if (start < 0 || !text.startsWith(word, start)) continue;
      if (!best || start < best.start || (start === best.start && word.length > best.word.length))
        best = { word, start };
    }
  }
  if (!best) return undefined;
  const start = offset + best.start;
  const metric = STRONG_WORDS.get(best.word);
  return { metric: metric ?? "NEW_CUSTOMERS", weak: metric === undefined, start, end: start + best.word.length };
}

function bindRight(work: string, token: Token, until: number, claimed: (Binding | undefined)[]): Binding | undefined {
  const match = RIGHT_BINDING.exec(work.slice(token.end, until));
  const word = match?.[1];
  const metric = word === undefined ? undefined : STRONG_WORDS.get(word);
  if (!match || !metric) return undefined;
  const end = token.end + match[0].length;
  // "35万回款12万": 回款 belongs to 12万, which it precedes, not to 35万.
  if (claimed.some((b) => b && b.start < end && b.end > token.end)) return undefined;
  return { metric, weak: false, start: token.end, end };
}

function isRange(work: string, previous: Token, token: Token): boolean {
  const between = work.slice(previous.end, token.start);
  if (/^\s*$/.test(between) && work[token.start] === "-") return true;
  return /^\s*(?:~|到|至|—|〜|-)\s*$/.test(between);
}

/** Decides whether a token is a figure, of which metric and amount — or why it is refused. */
function readToken(src: string, work: string, token: Token, binding: Binding | undefined): Reading {
  if (isNotAnAmount(work, token)) return undefined;
  const explicit = binding !== undefined && !binding.weak;
  if (token.weak && !explicit && !isWholeMessage(work, token)) return undefined;
  const prefix = clausePrefix(src, token.start);
  if (NOT_AN_ACTUAL.test(prefix) || (BREAKDOWN.test(prefix) && !explicit)) return undefined;
  const fragment = src.slice(binding?.start ?? token.start, Math.max(token.end, binding?.end ?? 0)).trim();
  const metric = chooseMetric(token, binding);
  if (metric === "IGNORE") return undefined;
  if (metric === "CUSTOMERS_IN_MONEY") {
    return { problem: ambiguous(`“${fragment}”看不出是客户数还是金额：客户数请写“新客户2家”，金额请写“销售额35万”。`) };
  }
  const amount = readAmount(token, metric, fragment);
  if ("problem" in amount) return amount;
  const span = binding && binding.metric === metric ? binding : token;
  const end = Math.max(token.end, span.end, metric === "NEW_CUSTOMERS" ? absorbCustomerWord(work, token) : 0);
  const candidate = { metric, amount: amount.value, start: Math.min(span.start, token.start), end };
  return { candidate: { ...candidate, scope: scopeOf(prefix) } };
}

function scopeOf(clausePrefix: string): Candidate["scope"] {
  if (YEAR_SCOPE.test(clausePrefix) && !PERIOD_NAMED.test(clausePrefix)) return "year";
  return CUMULATIVE.test(clausePrefix) ? "cumulative" : "period";
}

function chooseMetric(token: Token, binding: Binding | undefined): Metric | "IGNORE" | "CUSTOMERS_IN_MONEY" {
  if (binding?.metric === "NEW_CUSTOMERS") {
    if (token.kind !== "money") return "NEW_CUSTOMERS";
    // "新增35万" is new revenue; "新客户35万" could be either.
    return binding.weak ? "REVENUE" : "CUSTOMERS_IN_MONEY";
  }
  // Counts without a customer word are deals or visits ("签单2个", "还有3家在谈"), not figures we keep.
  if (token.kind === "count") return "IGNORE";
  return binding?.metric ?? "REVENUE";
}

function readAmount(token: Token, metric: Metric, fragment: string): { value: bigint } | { problem: Problem } {
  const numeral = parseNumeral(token.numeral);
  if (!numeral.ok) {
    if (numeral.reason === "RANGE") return { problem: ambiguous(`“${fragment}”是一个范围，${ASK_ONE_NUMBER}`) };
    return { problem: ambiguous(`没看懂“${fragment}”这个数，请重新发送，例如“35万”或“350000”。`) };
  }
  const amount = toWholeAmount(numeral.value, token.negative);
  if (amount.ok) return { value: amount.value };
  const customers = metric === "NEW_CUSTOMERS";
  const messages: Record<Exclude<InvalidReason, "AMBIGUOUS">, string> = {
    NEGATIVE: `${customers ? "客户数" : "金额"}不能是负数（“${fragment}”）。如果本期没有成交，请直接回复“0”。`,
    FRACTIONAL_YUAN: customers ? `客户数请填整数（“${fragment}”）。` : `金额请精确到元（“${fragment}”不是整元）。`,
    TOO_LARGE: `“${fragment}”超出了可登记的范围（最多1000万亿），请检查是否多输了几位。`,
  };
  const reason = amount.reason === "NEGATIVE" || amount.reason === "TOO_LARGE" ? amount.reason : "FRACTIONAL_YUAN";
  return { problem: { reason, message: messages[reason] } };
}

function isNotAnAmount(work: string, token: Token): boolean {
  const before = work.slice(Math.max(0, token.start - 6), token.start);
  const after = work.slice(token.end);
  if (NOT_AN_AMOUNT_BEFORE.test(before) || NOT_AN_AMOUNT_AFTER.test(after)) return true;
  if (token.kind !== "money" && NOT_MONEY_AFTER.test(after)) return true;
  // Letters glued to digits are codes or other units: "Q3", "v2", "35kg", "5G".
  const arabicEdge = /^[-+]?[0-9]/.test(work.slice(token.start)) || /[0-9]$/.test(work.slice(0, token.end));
  const lettersAround = /[a-z]$/i.test(before) && !/(?:rmb|cny)$/i.test(before);
  return arabicEdge && (lettersAround || (token.kind === "bare" && /^[a-z]/i.test(after)));
}

function isWholeMessage(work: string, token: Token): boolean {
  const rest = work.slice(0, token.start) + work.slice(token.end);
  return rest.replace(new RegExp(`[^\\p{L}\\p{N}]|${MASK}`, "gu"), "").replace(KEYWORDS, "") === "";
}

/** "新增2家客户": the trailing 客户 belongs to the figure. */
function absorbCustomerWord(work: string, token: Token): number {
  const match = /^的?新?客户/.exec(work.slice(token.end));
  return match ? token.end + match[0].length : token.end;
}
