import { formatAmountExact } from "./format-amount.ts";
import { type AmountError, normalizeText, parseAmount, parseCount } from "./parse-amount.ts";

/*
 * Reads a chat message asking for a change of one's own target, or withdrawing such a request
 * (docs/domain.md "Change approval"): 「申请把目标调整为150万，原因：大客户流失」, 「目标改成150万 因为华南大客户流失」,
 * 「撤回申请」, 「撤回申请 2」. Pure and total: never throws.
 *
 * - A change is a verb that sets an amount (调整为, 改成, 降到, 下调为, 提高到 …) followed by the amount, which
 *   parseAmount reads (150万, 1.2亿, 1,500,000, 一百五十万). With `needsTargetWord` (the default) 目标 must come
 *   before the verb in the same clause: the progress flow owns 「改成30万」 (a corrected progress figure), and
 *   「改成30万，目标还是50万」 is one too. Without it (the bot has just asked this person for the new amount),
 *   any verb counts, and so does a reply that starts with the amount (「150万，原因：客户流失」).
 * - The reason follows 原因 / 理由 (optionally 是 / 为 and a colon), 因为 or 由于 — after the amount, or before the
 *   request (「因为大客户流失，申请把目标调整为150万」). It is kept as typed, trimmed of punctuation.
 * - Refused with a reason and an example (`invalid`): an amount that cannot be read, 0, negative, not whole
 *   yuan or too large; no reason; a reason over {@link MAX_REASON_CHARS} characters. Whether the amount differs
 *   from the current one, or what it does to the siblings, is the flow's to check: only it knows the target.
 * - A question without an amount (「我的目标能改成多少？」) is not a request: `none`.
 */

export type ChangeChat =
  /** `person`: whose target, when named (「把李娜的目标改成…」 — a manager asking for a report); else the sender's. */
  | { kind: "change"; amount: bigint; reason: string; person?: string }
  /** 「撤回申请」 (index null), or 「撤回申请 2」: the 2nd of the list the bot showed. */
  | { kind: "withdraw"; index: number | null }
  /** About a target change but unusable: the Chinese reply says why and gives an example. */
  | { kind: "invalid"; message: string }
  | { kind: "none" };

/** The longest reason a request may carry; the approval card shows it whole. */
export const MAX_REASON_CHARS = 500;

const EXAMPLE = "例如：申请把目标调整为150万，原因：大客户流失";

const WITHDRAW =
  /^(?:我要|我想|请|帮我)?(?:撤回|撤销|取消)(?:我的|一下)?(?:第([0-9一二两三四五六七八九十]+)个)?(?:目标调整|调整目标|目标|调整|变更|修改)?申请(?:第)?([0-9一二两三四五六七八九十]+)?(?:个|号)?$/;
const VERB = /(?:调整|修改|更改|变更|下调|上调|调低|调高|降低|提高|提升|增加|减少|减|降|调|改)\s*(?:为|到|成|至)/g;
/** Numeral characters parseAmount reads; spaces only before a unit (「150 万」), commas only between digits. */
const AMOUNT =
  /(?:¥|rmb|cny|人民币)?\s*[-+负]?\s*(?:[0-9.点零〇一二两俩三四五六七八九壹贰叁肆伍陆柒捌玖十拾百佰千仟万亿]|[kw](?![a-z])|,(?=[0-9])|\s+(?=[万亿千百元块]))+(?:\s*(?:元|圆|块钱|块|人民币))?整?/iy;
/** With `needsTargetWord: false`: the reply may start with the amount, 「新目标：150万」. */
const LEADING = /^\s*(?:新的?)?(?:目标)?(?:金额)?(?:是|为)?\s*:?\s*/;
const REASON = /(?:原因|理由)\s*(?:是|为)?\s*:?|因为|由于/g;
const QUESTION = /[?吗呢]|多少|几|什么|怎么|如何|能否|可否/;
/** How far before a verb 目标 may stand: 「申请把目标从200万下调到150万」. */
const TARGET_LOOKBACK = 40;
/** Longer "amounts" are not amounts; trying their prefixes would only cost time. */
const MAX_AMOUNT_CHARS = 40;
/** Ends a clause; a comma between digits is a thousands separator and does not. */
const CLAUSE_BREAK = /[;!?。；！？\n]/;
/** Trailing words between a reason and the request it comes before: 「因为客户流失，所以我想申请把目标…」. */
const CONNECTIVES = [
  "所以",
  "因此",
  "于是",
  "需要",
  "申请",
  "我们的",
  "我的",
  "我",
  "想",
  "要",
  "请",
  "把",
  "将",
  "的",
];
const TRAILING_PUNCTUATION = new Set([..." \t\r\n,.;:!?，。；：！？、~～…"]);

export function parseChangeChat(text: string, opts: { needsTargetWord?: boolean } = {}): ChangeChat {
  const src = normalizeInPlace(text);
  const withdraw = readWithdraw(src);
  if (withdraw) return withdraw;
  const head = findHead(src, opts.needsTargetWord ?? true);
  if (!head) return { kind: "none" };
  const amount = readAmount(src, head.amountAt);
  if (!amount.ok) {
    if (amount.empty && QUESTION.test(src)) return { kind: "none" };
    return invalid(amountProblem(amount));
  }
  if (amount.value === 0n) return invalid(`新的目标金额不能为 0。请写明调整后的金额和原因，${EXAMPLE}。`);
  const reason = readReason(text, src, head.start, amount.end);
  if (reason === "") {
    return invalid(
      `请写明调整原因。例如：目标调整为${formatAmountExact(amount.value)}，原因：大客户流失（原因最多 ${MAX_REASON_CHARS} 字）。`,
    );
  }
  const length = [...reason].length;
  if (length > MAX_REASON_CHARS) {
    return invalid(`调整原因最多 ${MAX_REASON_CHARS} 字，这次写了 ${length} 字，请精简后重新发送。`);
  }
  const person = personBefore(src, head.start);
  return { kind: "change", amount: amount.value, reason, ...(person ? { person } : {}) };
}

/** Words for oneself before 的目标: the sender's own target, not someone named. */
const SELF = new Set(["我", "我自己", "自己", "本人", "我们"]);

/** The name in 「(申请)把李娜的目标…」 / 「将李娜的目标…」 / 「李娜的目标…」, when the request starts with 目标 there. */
function personBefore(src: string, start: number): string | undefined {
  if (!(src.startsWith("目标", start) || src.startsWith("目標", start))) return undefined;
  const m = /(?:^|[把将]|申请)\s*([^\s\p{P}\d把将]{1,12}?)\s*的\s*(?:年度|全年|销售)?$/u.exec(src.slice(0, start));
  const name = m?.[1];
  return name && !SELF.has(name) ? name : undefined;
}

const invalid = (message: string): ChangeChat => ({ kind: "invalid", message });

/**
 * normalizeText one code point at a time, keeping any that would change length, so that an index into the
 * result is an index into the original: the reason is cut from what the person typed, not from its
 * simplified, half-width form.
 */
function normalizeInPlace(text: string): string {
  let out = "";
  for (const c of text) {
    const n = normalizeText(c);
    out += n.length === c.length ? n : c;
  }
  return out;
}

function readWithdraw(src: string): ChangeChat | undefined {
  if (src.length > 100) return undefined;
  const m = WITHDRAW.exec(src.replace(/[\s\p{P}]/gu, ""));
  if (!m) return undefined;
  const written = m[1] ?? m[2];
  if (written === undefined) return { kind: "withdraw", index: null };
  const index = parseCount(written);
  if (index.ok && index.value >= 1n && index.value <= 999n) return { kind: "withdraw", index: Number(index.value) };
  return invalid(
    `没看懂要撤回第几个申请（「${written}」）。请回复「撤回申请」，或带上列表中的序号，例如「撤回申请 2」。`,
  );
}

/** Where the request starts (its 目标, else its verb or amount) and where its amount starts, if it is one. */
function findHead(src: string, needsTargetWord: boolean): { start: number; amountAt: number } | undefined {
  for (const verb of src.matchAll(VERB)) {
    const target = targetBefore(src, verb.index);
    if (target === undefined && needsTargetWord) continue;
    return { start: target ?? verb.index, amountAt: verb.index + verb[0].length };
  }
  if (needsTargetWord) return undefined;
  const lead = LEADING.exec(src)?.[0].length ?? 0;
  const amount = readAmount(src, lead);
  const rest = src.slice(amount.end);
  return amount.ok && /^(?:$|[\s\p{P}]|原因|理由|因为|由于)/u.test(rest) ? { start: 0, amountAt: lead } : undefined;
}

/** The index of 目标 in the clause just before `verbAt`, if it is there. */
function targetBefore(src: string, verbAt: number): number | undefined {
  for (let i = verbAt - 1; i >= Math.max(0, verbAt - TARGET_LOOKBACK); i--) {
    // 目標: normalizeText does not simplify 標, and a request from a traditional keyboard is still one.
    if (src.startsWith("目标", i) || src.startsWith("目標", i)) return i;
    const c = src[i] ?? "";
    const separatesDigits = /[0-9]/.test(src[i - 1] ?? "") && /[0-9]/.test(src[i + 1] ?? "");
    if (CLAUSE_BREAK.test(c) || (c === "," && !separatesDigits)) return undefined;
  }
  return undefined;
}

type ReadAmount =
  | { ok: true; value: bigint; end: number }
  | { ok: false; empty: boolean; reason: AmountError; written: string; end: number };

/**
 * The amount starting at `at`. When the run of numeral characters does not read as a whole, its longest
 * prefix up to a comma or space that does is taken: 「150万,200万…」 or 「150 万元」 followed by more.
 */
function readAmount(src: string, at: number): ReadAmount {
  while (/\s/.test(src[at] ?? "")) at++;
  AMOUNT.lastIndex = at;
  const run = (AMOUNT.exec(src)?.[0] ?? "").replace(/[\s.]+$/, "");
  if (run === "") {
    return {
      ok: false,
      empty: true,
      reason: "EMPTY",
      written: src.slice(at, at + 12).split(/[\s,.;]/)[0] ?? "",
      end: at,
    };
  }
  const ends = [run.length];
  if (run.length <= MAX_AMOUNT_CHARS) {
    for (let i = run.length - 1; i > 0; i--) if (/[\s,]/.test(run[i] ?? "")) ends.push(i);
  }
  const first = parseAmount(run);
  for (const end of ends) {
    const read = end === run.length ? first : parseAmount(run.slice(0, end));
    if (read.ok) return { ok: true, value: read.value, end: at + end };
  }
  return {
    ok: false,
    empty: false,
    reason: first.ok ? "NOT_A_NUMBER" : first.reason,
    written: run,
    end: at + run.length,
  };
}

function amountProblem(a: { reason: AmountError; written: string }): string {
  const shown = a.written === "" ? "" : `「${a.written}」`;
  switch (a.reason) {
    case "NEGATIVE":
      return `新的目标金额不能是负数${shown ? `（${shown}）` : ""}。请写明调整后的金额和原因，${EXAMPLE}。`;
    case "FRACTIONAL_YUAN":
      return `目标金额要精确到元${shown ? `（${shown}）` : ""}。请写明调整后的金额和原因，${EXAMPLE}。`;
    case "TOO_LARGE":
      return `目标金额${shown}太大了，请检查。${EXAMPLE}。`;
    default:
      return `没看懂新的目标金额${shown}。请写明调整后的金额和原因，${EXAMPLE}。`;
  }
}

/**
 * The reason as typed (`original`; `src` is its normalised twin, index for index): after the first marker
 * after the amount, else between a marker before the request and the request.
 */
function readReason(original: string, src: string, headStart: number, amountEnd: number): string {
  let before: { end: number } | undefined;
  for (const m of src.matchAll(REASON)) {
    const end = m.index + m[0].length;
    if (m.index >= amountEnd) return trimReason(original.slice(end), false);
    if (end <= headStart && !before) before = { end };
  }
  return before ? trimReason(original.slice(before.end, headStart), true) : "";
}

function trimReason(raw: string, beforeRequest: boolean): string {
  const text = raw.replace(/^[\s\p{P}]+/u, "");
  let end = text.length;
  for (let changed = true; changed; ) {
    changed = false;
    while (end > 0 && TRAILING_PUNCTUATION.has(text[end - 1] ?? "")) {
      end--;
      changed = true;
    }
    const word = beforeRequest
      ? CONNECTIVES.find((w) => end >= w.length && text.startsWith(w, end - w.length))
      : undefined;
    if (word) {
      end -= word.length;
      changed = true;
    }
  }
  return text.slice(0, end);
}
