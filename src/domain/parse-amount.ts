/**
 * Reads one amount as a person types it — in DingTalk chat or in a card form field ("35万" on a card is
 * accepted exactly like in chat) — into whole yuan, without ever going through a binary float.
 *
 * Accepted: Arabic numerals with thousands separators and decimals ("350,000", "3.75万"), full-width forms
 * ("３５．５万"), Chinese numerals including colloquial and financial forms ("一点二亿", "两千五", "三万五",
 * "壹拾万", "十万零五百"), units 千 / k / 万 / w / 百万 / 千万 / 亿 and currency words (元, 块钱, 元整, ¥, RMB),
 * with spaces anywhere.
 *
 * nzh is installed for Chinese numerals but not used: its decoder reads "一点二亿" as 1.2, "两千五百" as 500
 * and "三万五" as 30005, and it returns floats for decimals.
 */

/**
 * Why an amount was refused:
 * - `EMPTY`: nothing but spaces;
 * - `NOT_A_NUMBER`: not a number we can read exactly ("abc", "35,5万", "七八万" — a range, "35万万");
 * - `NEGATIVE`: a minus sign or 负 before a non-zero number ("-0" is read as 0);
 * - `FRACTIONAL_YUAN`: not whole after applying the unit ("0.5元", "1.23456万"); for counts, not a whole count;
 * - `TOO_LARGE`: above {@link MAX_AMOUNT}.
 */
export type AmountError = "EMPTY" | "NOT_A_NUMBER" | "NEGATIVE" | "FRACTIONAL_YUAN" | "TOO_LARGE";

export type AmountResult = { ok: true; value: bigint } | { ok: false; reason: AmountError };

/**
 * The largest amount accepted: 10^15 yuan (1000万亿). Far above any sales figure, far below PostgreSQL's
 * BIGINT (9.2×10^18), so sums of many stored amounts cannot overflow either.
 */
export const MAX_AMOUNT = 10n ** 15n;

/** An exact decimal number: `digits / 10^scale`. */
export interface Decimal {
  digits: bigint;
  scale: number;
}

/** A numeral read exactly, or why not; `RANGE` is "七八万" / "三四十万" (an estimate between two numbers). */
export type NumeralResult = { ok: true; value: Decimal } | { ok: false; reason: "NOT_A_NUMBER" | "RANGE" };

/** Pairs written as text, "萬万 億亿" → { 萬: "万", 億: "亿" }: compact to read, one pair per word. */
const pairs = (list: string): Record<string, string> =>
  Object.fromEntries(
    list
      .split(/\s+/)
      .filter((p) => p !== "")
      .map((p) => [p.slice(0, -1), p.slice(-1)]),
  );

const ZH_DIGIT_VALUES = pairs(
  "零0 〇0 一1 壹1 二2 贰2 两2 俩2 三3 叁3 四4 肆4 五5 伍5 六6 陆6 七7 柒7 八8 捌8 九9 玖9",
);
const UNIT_ALIASES = pairs("拾十 佰百 仟千 k千 K千 w万 W万 点.");

/** Traditional forms people type on Taiwan / Hong Kong keyboards, mapped to the simplified ones we match. */
const TRADITIONAL = pairs(`
  萬万 億亿 兩两 倆俩 點点 貳贰 參叁 陸陆 圓圆 塊块 錢钱 銷销 額额 業业 績绩 戶户 個个 週周 禮礼 帳账 賬账 潤润 單单 筆笔 這这
  沒没 無无 對对 為为 幫帮 麼么 數数 還还 實实 現现 計计 劃划 預预 約约 總总 開开 訂订 說说 錯错 應应 該该 簽签 營营 們们
`);
const TRADITIONAL_RE = new RegExp(`[${Object.keys(TRADITIONAL).join("")}]`, "g");

/**
 * The one normalisation every parser here starts with: NFKC turns full-width digits, letters, punctuation and
 * the ideographic space into ASCII ("３５．５万" → "35.5万", "，" → ","), typographic minus signs become "-",
 * and traditional characters become simplified ones. Lengths may change, so normalise before indexing.
 */
export function normalizeText(text: string): string {
  return text
    .normalize("NFKC")
    .replace(/[\u2212\u2013\uFE63]/g, "-")
    .replace(TRADITIONAL_RE, (c) => TRADITIONAL[c] ?? c);
}

/** Reads one money amount into whole yuan. Never throws. */
export function parseAmount(text: string): AmountResult {
  return parseQuantity(text, MONEY_SHAPE);
}

/** Reads a count such as a number of new customers ("2", "2家", "两个", "十位"). Never throws. */
export function parseCount(text: string): AmountResult {
  return parseQuantity(text, COUNT_SHAPE);
}

// The numeral in the middle is lazy so that the optional prefix and suffix words are peeled off around it.
const MONEY_SHAPE =
  /^(?:¥|rmb|cny|人民币)?(?<sign>[-+负])?(?:¥|rmb|cny)?(?<numeral>.+?)(?:元|圆|块钱|块|人民币|rmb|cny|yuan)?整?$/i;
const COUNT_SHAPE = /^(?<sign>[-+负])?(?<numeral>.+?)(?:家|个|位|户|名)?$/;

function parseQuantity(text: string, shape: RegExp): AmountResult {
  const compact = normalizeText(text).replace(/\s+/g, "");
  if (compact === "") return { ok: false, reason: "EMPTY" };
  const groups = shape.exec(compact)?.groups;
  const numeral = groups ? parseNumeral(groups.numeral ?? "") : undefined;
  if (!numeral?.ok) return { ok: false, reason: "NOT_A_NUMBER" };
  return toWholeAmount(numeral.value, groups?.sign === "-" || groups?.sign === "负");
}

/**
 * Checks an exactly-read number against the rules for a stored amount: not negative, not above
 * {@link MAX_AMOUNT}, whole. Zero is accepted with or without a sign.
 */
export function toWholeAmount(value: Decimal, negative: boolean): AmountResult {
  if (value.digits === 0n) return { ok: true, value: 0n };
  if (negative) return { ok: false, reason: "NEGATIVE" };
  const one = 10n ** BigInt(value.scale);
  if (value.digits > MAX_AMOUNT * one) return { ok: false, reason: "TOO_LARGE" };
  if (value.digits % one !== 0n) return { ok: false, reason: "FRACTIONAL_YUAN" };
  return { ok: true, value: value.digits / one };
}

const NUMERAL_CHARS = /^[0-9.,点零〇一二两俩三四五六七八九壹贰叁肆伍陆柒捌玖十拾百佰千仟万亿kKwW]+$/;
const ZH_NONZERO = "一二两俩三四五六七八九壹贰叁肆伍陆柒捌玖";
const ZH_ANY = `零〇${ZH_NONZERO}`;
const ADJACENT_ZH_DIGITS = new RegExp(`([${ZH_NONZERO}])([${ZH_ANY}])`);
const ZH_FRACTION = new RegExp(`点[${ZH_ANY}]+`, "g");
/** Longest numeral we read; longer ones are nonsense and would only cost recursion. */
const MAX_NUMERAL_LENGTH = 40;

/**
 * Reads the number part of an amount (no currency words, no sign) exactly: "35", "350,000", "3.75万",
 * "一点二亿", "1亿2000万", "三万五", "十万零五百", "35k". Spaces are ignored; "wan" is read as 万.
 */
export function parseNumeral(raw: string): NumeralResult {
  const text = raw.replace(/\s+/g, "").replace(/wan/gi, "万");
  if (!NUMERAL_CHARS.test(text)) return { ok: false, reason: "NOT_A_NUMBER" };
  const ungrouped = removeThousandsSeparators(text);
  if (ungrouped === undefined) return { ok: false, reason: "NOT_A_NUMBER" };
  if (ungrouped.length > MAX_NUMERAL_LENGTH && /[^0-9.]/.test(ungrouped)) return { ok: false, reason: "NOT_A_NUMBER" };
  const mixing = checkDigitMixing(ungrouped);
  if (mixing) return { ok: false, reason: mixing };
  const value = readCanonical([...ungrouped].map((c) => ZH_DIGIT_VALUES[c] ?? UNIT_ALIASES[c] ?? c).join(""));
  return value ? { ok: true, value } : { ok: false, reason: "NOT_A_NUMBER" };
}

/** "350,000" → "350000"; a comma anywhere else ("35,5万", "3,50") makes the numeral unreadable. */
function removeThousandsSeparators(text: string): string | undefined {
  if (!text.includes(",")) return text;
  let valid = true;
  const result = text.replace(/[0-9,]+/g, (run) => {
    if (run.includes(",") && !/^[0-9]{1,3}(,[0-9]{3})+$/.test(run)) valid = false;
    return run.replaceAll(",", "");
  });
  return valid && !/\.[0-9]*,/.test(text) ? result : undefined;
}

/**
 * Chinese digits side by side are an estimate ("七八万" = 7 to 8万), not a number; digits mixed with Arabic
 * ones ("3五万") are a typo. Digits after 点 are a decimal fraction and may follow each other ("三点七五万").
 */
function checkDigitMixing(text: string): "RANGE" | "NOT_A_NUMBER" | undefined {
  const integerParts = text.replace(ZH_FRACTION, ".");
  const pair = ADJACENT_ZH_DIGITS.exec(integerParts);
  if (pair) {
    const [first, second] = [Number(ZH_DIGIT_VALUES[pair[1] ?? ""]), Number(ZH_DIGIT_VALUES[pair[2] ?? ""])];
    return second === first + 1 ? "RANGE" : "NOT_A_NUMBER";
  }
  const arabicNextToChinese = new RegExp(`[0-9][${ZH_ANY}]|[${ZH_NONZERO}][0-9]`);
  return arabicNextToChinese.test(integerParts) ? "NOT_A_NUMBER" : undefined;
}

const UNIT_POWERS = [
  ["亿", 8],
  ["万", 4],
  ["千", 3],
  ["百", 2],
  ["十", 1],
] as const;
/** Units that may not appear in the multiplier in front of a unit of that power: "二十五百", "三万万". */
const TOO_BIG_FOR_MULTIPLIER: Record<number, RegExp> = {
  8: /亿/,
  4: /[万亿]/,
  3: /[十百千万亿]/,
  2: /[十百千万亿]/,
  1: /[十百千万亿]/,
};

/**
 * Reads a canonical numeral (ASCII digits, ".", units 十百千万亿) by splitting at its largest unit:
 * multiplier × unit + remainder, recursively. "1.2亿" = 1.2 × 10^8, "3千万" = (3 × 10^3) × 10^4.
 */
function readCanonical(text: string): Decimal | undefined {
  for (const [unit, power] of UNIT_POWERS) {
    const at = text.lastIndexOf(unit);
    if (at < 0) continue;
    const multiplier = readMultiplier(text.slice(0, at), power);
    const remainder = readRemainder(text.slice(at + 1), power);
    return multiplier && remainder ? add(shift(multiplier, power), remainder) : undefined;
  }
  return decimalOf(text);
}

function readMultiplier(text: string, power: number): Decimal | undefined {
  // "十五" is 15, but a bare "万" or "千" is not a number a person would type as an amount.
  if (text === "") return power === 1 ? { digits: 1n, scale: 0 } : undefined;
  if (TOO_BIG_FOR_MULTIPLIER[power]?.test(text)) return undefined;
  return readCanonical(text);
}

function readRemainder(text: string, power: number): Decimal | undefined {
  if (text === "") return { digits: 0n, scale: 0 };
  // A lone digit right after a unit counts in the next lower unit: "三万五" = 35,000, "一亿二" = 1.2亿.
  // After 零 it does not: "十万零五" = 100,005.
  if (/^[1-9]$/.test(text)) return shift({ digits: BigInt(text), scale: 0 }, power - 1);
  const withoutZeros = text.replace(/^0+/, "");
  if (withoutZeros === "") return { digits: 0n, scale: 0 };
  const value = readCanonical(withoutZeros);
  return value && value.digits < 10n ** BigInt(power + value.scale) ? value : undefined;
}

function decimalOf(text: string): Decimal | undefined {
  const match = /^([0-9]+)(?:\.([0-9]+))?$/.exec(text);
  if (!match) return undefined;
  const fraction = match[2] ?? "";
  return { digits: BigInt(`${match[1] ?? ""}${fraction}`), scale: fraction.length };
}

function shift(value: Decimal, power: number): Decimal {
  if (value.scale >= power) return { digits: value.digits, scale: value.scale - power };
  return { digits: value.digits * 10n ** BigInt(power - value.scale), scale: 0 };
}

function add(a: Decimal, b: Decimal): Decimal {
  const scale = Math.max(a.scale, b.scale);
  const widen = (d: Decimal) => d.digits * 10n ** BigInt(scale - d.scale);
  return { digits: widen(a) + widen(b), scale };
}
