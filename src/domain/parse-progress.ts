import { METRIC_LABELS } from "./format-amount.ts";
import { normalizeText, parseNumeral, toWholeAmount } from "./parse-amount.ts";

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
 * 6. which period it is about: "上周完成30万" is the previous week (`period: "previous"`), anything else the
 *    current one; "比上周多5万" is a comparison, not a reference; figures for both weeks at once are AMBIGUOUS.
 *
 * Pure and total: never throws, whatever the input.
 */

/** What a figure measures; the same four metrics a plan can have. */
export type Metric = "REVENUE" | "COLLECTION" | "GROSS_PROFIT" | "NEW_CUSTOMERS";

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
      /** Present only for a report about last week ("上周回款12万"); absent means the current period. */
      period?: "previous";
    }
  | { kind: "help" }
  | { kind: "invalid"; reason: InvalidReason; message: string }
  | { kind: "unrecognized" };

/** Blanks what has been read while keeping every index valid (private-use characters nobody types). */
const MASK = "\uE000";
/** Like {@link MASK}, and also ends a piece of the note. */
const CUT = "\uE001";

// ---------------------------------------------------------------------------------------------- vocabulary

/** Word lists are written as space-separated text: easier to read and extend than arrays of quoted strings. */
const words = (list: string): string[] => list.split(/\s+/).filter((w) => w !== "");

const METRIC_WORDS: Record<Metric, readonly string[]> = {
  REVENUE: words(`
    销售额 销售金额 销售业绩 销售 业绩 营收 营业收入 营业额 收入 成交额 成交金额 成交 签单金额 签单额 签单 签约金额 签约额 签约 签了 签下 完成额 完成了 完成 达成了
    达成 实现了 销量 出货 开单 卖了 卖出 订单金额 订单额 合同额 合同金额 流水 产值 做了 做到 拿下
  `),
  COLLECTION: words("回款额 回款金额 回款 收款 到账 回笼资金 回笼 收回"),
  GROSS_PROFIT: words("毛利润 毛利额 毛利"),
  NEW_CUSTOMERS: words(
    "新增客户数 新增客户 新客户数量 新客户数 新客户 新签客户数 新签客户 新签约客户 新开客户 新成交客户 新拓客户 新开发客户 新客数 新客",
  ),
};
/** Count new customers only when a count follows ("新增2家"); before money they say nothing ("新增35万"). */
const WEAK_CUSTOMER_WORDS = words(`新增 新开 新签 新拓 新开发 新成交`);
/** Words allowed between a metric word and its number (and spaces): "销售额是35万", "回款：12万", "新客户有2家". */
const CONNECTORS = words(`
  ${MASK} : = 了 共 一共 总共 合计 累计 共计 总计 是 为 约 约为 大约 大概 差不多 将近 接近 有 达到 达 到 额 金额 总额 总 计 已 已经 都 才 只有 只 仅 就
  数 数量 额度 的 也 - —
`);
const FILLERS = words(`
  了 哈 啊 呀 吧 哦 噢 嗯 呢 啦 嘛 的 哟 呗 喔 额 呃 哎 唉 是 为 有 我 我们 这边 目前 这 本 已 已经 总 到 实现 好 好的 收到 ok 报告 汇报 领导 老板 经理
  那个 这次 截至 截止 大家 金额 数据 谢谢 辛苦 把 刚才 刚刚 之前 上一条 上条 前面 一下 请 麻烦 帮我 记录 登记 填报 更新 客户 左右 上下 出头 其中 你好 您好 hi
  hello 在吗 一共 总共 合计 共 约 大约 大概 差不多 前 后 以前 之后 为止
`);
const CORRECTION_WORDS = words(`
  改成 改为 改作 改到 改一下 改下 更正为 更正一下 更正 修改为 修改成 修改一下 修改 修正为 修正 纠正 订正 更改为 更改 调整为 调整成 填错了 填错 写错了 写错 搞错了 搞错
  说错了 说错 输错了 输错 打错了 打错 报错了 应该是 应为 重新填报 重新填 重填 重报 以此为准 以这个为准 以这条为准 为准 更新为
`);

/** Longest first, so that an alternation prefers "销售额" over "销售". */
const alternation = (list: readonly string[]) => [...list].sort((a, b) => b.length - a.length).join("|");
const STRONG_WORDS = new Map<string, Metric>(
  (Object.entries(METRIC_WORDS) as [Metric, readonly string[]][]).flatMap(([metric, list]) =>
    list.map((w) => [w, metric]),
  ),
);
const BINDING_WORDS = [...STRONG_WORDS.keys(), ...WEAK_CUSTOMER_WORDS];
/** How far before a number its metric word may be; keeps binding linear in the length of the message. */
const BINDING_REACH = 40;
const RIGHT_BINDING = new RegExp(`^的?(${alternation([...STRONG_WORDS.keys()])})`);
const KEYWORDS = new RegExp(
  `\\s|${alternation([...BINDING_WORDS, ...CONNECTORS, ...FILLERS, ...CORRECTION_WORDS])}`,
  "gi",
);
/** Longer messages are not answers to a progress prompt; refusing them keeps every step cheap. */
const MAX_MESSAGE_LENGTH = 1000;

// ------------------------------------------------------------------------------------------- what to blank

// "本周五" is a Friday, but "这周三十五万" is 35万 and "这周一单也没成" is "not one deal this week".
const NOT_A_WEEKDAY_AHEAD = "(?![0-9零〇一二两俩三四五六七八九十百千万亿点.单笔共直下些])";
/** Dates, periods, times and phone numbers: numbers that are never the amount. Applied in this order. */
const NOT_AMOUNTS: readonly RegExp[] = [
  /\d{4}\s*[-/.年]\s*\d{1,2}\s*[-/.月]\s*\d{1,2}\s*[日号]?/g,
  /\d{4}\s*-?\s*w\s*\d{1,2}(?!\d)/gi,
  /(?<![0-9a-z])(?:week|wk|w)\s*\d{1,2}(?!\d)/gi,
  /\d{1,2}\s*月\s*\d{1,2}\s*[日号]/g,
  /[零〇一二三四五六七八九十]{1,3}月(?:[一二三四五六七八九十]{1,3}[日号])?/g,
  /(?<![0-9.])\d{1,2}\/\d{1,2}(?![0-9])/g,
  /第\s*[0-9零〇一二两三四五六七八九十]+\s*(?:周|星期|礼拜|季度|个月|月|期|天)/g,
  /[0-9零〇一二两三四五六七八九十]+\s*(?:个\s*)?(?:周|星期|礼拜|季度|月份?|天|年|日|号)(?:底|初|中旬|上旬|下旬|末)?/g,
  new RegExp(
    `(?:本|这|上|当|这一|上一)\\s*(?:个\\s*)?(?:(?:周|星期|礼拜)(?:[一二三四五六日天1-7]${NOT_A_WEEKDAY_AHEAD})?|期|月|季度|季)`,
    "g",
  ),
  new RegExp(`(?:周|星期|礼拜)[一二三四五六日天1-7]${NOT_A_WEEKDAY_AHEAD}`, "g"),
  /到目前为止|目前为止|截[至止](?:目前|今天|今日)|今天|昨天|今日|昨日|前天|本日|至今|迄今/g,
  /(?:上午|下午|晚上|早上|中午|凌晨)\s*\d{1,2}\s*(?:[:点]\s*(?:\d{1,2}\s*分?|半)?)?/g,
  /\d{1,2}\s*:\s*\d{2}|\d{1,2}点(?:\d{1,2}分|半)/g,
  /(?<![0-9])(?:\+?86[-\s]?)?1[3-9]\d{9}(?![0-9])|(?<![0-9])0\d{2,3}-\d{7,8}(?![0-9])/g,
];
/** "改成30万", "不对，是30万": figures before the word are the old values. "对不对" and "不错了" are not. */
const REPLACE_MARKERS = new RegExp(`${alternation(CORRECTION_WORDS)}|(?<!(?<!不)对)不对|(?<![不没])错了`, "g");
/** "不是35万，是30万": the next figure is the old value. */
const NEGATE_MARKERS = /而不是|(?<!是)不是/g;

const ZERO_WORDS: Record<string, Metric> = {
  成交: "REVENUE",
  签单: "REVENUE",
  开单: "REVENUE",
  出单: "REVENUE",
  业绩: "REVENUE",
  销售额: "REVENUE",
  销售: "REVENUE",
  营收: "REVENUE",
  收入: "REVENUE",
  订单: "REVENUE",
  回款: "COLLECTION",
  收款: "COLLECTION",
  到账: "COLLECTION",
  毛利润: "GROSS_PROFIT",
  毛利: "GROSS_PROFIT",
  新增客户: "NEW_CUSTOMERS",
  新客户: "NEW_CUSTOMERS",
  新签客户: "NEW_CUSTOMERS",
  新开客户: "NEW_CUSTOMERS",
  新客: "NEW_CUSTOMERS",
};
const ZERO_ALONE_WHAT =
  "开单 出单 成单 单子 单 业绩 进账 销售 成交 签单 生意 订单 卖出去 卖出 任何业绩 任何成交 任何进展 进展";
const ZERO_WORD_ALT = alternation(Object.keys(ZERO_WORDS));
/** "没有成交", "无新客户", "未回款" — at the start of a clause, so that "还有10万未到账" is not read as 0. */
const ZERO_BEFORE = new RegExp(
  `(?:还|都|暂时|目前)?(?:没有|没|无|暂无|尚未|未|木有)(?:任何|新的|产生任何|产生)?(${ZERO_WORD_ALT})`,
  "g",
);
/** "回款：无", "新客户没有". */
const ZERO_AFTER = new RegExp(`(${ZERO_WORD_ALT})\\s*[:=]?\\s*(?:没有|无|暂无)(?=$|[\\s,.;!?~。、${MASK}])`, "g");
/** A whole message that says nothing was sold: "没有", "挂零", "还没开单", "一单也没成". */
const ZERO_ALONE = new RegExp(
  "^(?:我|我们|这边|目前|暂时|还|都|也|一直)*" +
    `(?:(?:没有|没|无|暂无|木有|没得)(?:${alternation(words(ZERO_ALONE_WHAT))})?|挂零|颗粒无收|零蛋|鸭蛋|一单(?:都|也)?(?:没有|没|没成|未成))` +
    "(?:呢|啊|哈|呀|哦|了|的|哎|唉)*$",
);
const HELP_EXACT = /^(?:\?+|h|help|帮助|菜单|menu|说明|使用说明|教程|指南|示例|例子|格式|求助|\/help|\/帮助)$/;
const HELP_ANYWHERE =
  /怎么填|如何填|咋填|怎么报|如何报|怎么写|咋写|怎么弄|怎么用|如何使用|怎么回复|回复什么|回什么|填什么|填啥|不知道|不懂|不会填|不会弄|看不懂|什么意思|啥意思|帮助|帮帮我|怎么操作|help/;

// ------------------------------------------------------------------------------------------- numbers

const ZH_DIGITS = "零〇一二两俩三四五六七八九壹贰叁肆伍陆柒捌玖";
const ATOM = `(?:[0-9]+(?:,[0-9]{3}(?![0-9]))*(?:[.点][0-9]+)?|[${ZH_DIGITS}]+(?:点[${ZH_DIGITS}]+)?)`;
// 完/玩/晚/湾 are how a pinyin keyboard mistypes 万 ("35完"); only at the end of a word, so "35万完成" is not.
const UNIT = `(?:[十拾百佰千仟万亿]|(?:wan|w|k)(?![a-z])|[完玩晚湾](?![\\u4e00-\\u9fff]))`;
const NUMERAL = `(?:${ATOM}|[十拾])(?:\\s*${UNIT}|${ATOM})*`;
const TOKEN = new RegExp(
  `(?:(?:¥|rmb|cny)\\s*)?(?<sign>-|\\+|负\\s*)?(?:¥\\s*)?(?<numeral>${NUMERAL})(?:多|余)?` +
    `(?<money>\\s*(?:元整|元|圆|块钱|块|人民币|rmb|cny))?整?(?:多|余|左右|上下|出头|\\+)?(?<count>\\s*(?:家|个|位|户|名))?`,
  "giu",
);
const TYPO_WAN = /[完玩晚湾]/g;
/** A number followed by these counts something other than money or customers: "两单", "80%", "3个月". */
const NOT_AN_AMOUNT_AFTER =
  /^\s*(?:多|半)?(?:%|‰|个?百分点|个点|成(?!交)|折|倍|单|笔|次|件|台|套|人|天|周|月|年|号|日|点|时|小时|分|秒|岁|条|场|趟|期|季|星期|礼拜|楼|层|米|斤|吨|箱|张|份|级)/;
const NOT_MONEY_AFTER = /^\s*(?:项目|合同|商机|机会|订单)/;
const NOT_AN_AMOUNT_BEFORE = /(?:百分之|第|no\.?|#|编号|单号|工号|电话|手机|尾号|tel|qq|微信|vx|wx|id)\s*$/i;
/** In the clause before a number: it is a plan, a target, a comparison or a forecast, not this period's result. */
const NOT_AN_ACTUAL = new RegExp(
  alternation(
    words(`
      下周 下星期 下个星期 下礼拜 下个礼拜 下月 下个月 下季度 明天 明年 目标 任务 指标 计划 预计 预估 预测 预期 争取 还差 相差 差距
      差额 缺口 还剩 剩下 剩余 还需 还要 同比 环比 同期 比上 比去年 比昨 增长 下降 减少 提升 提高 平均 单价 报价 在谈 跟进 意向 潜在 商机
    `),
  ),
  "i",
);
/** "其中老客户20万": a breakdown of a figure already given, unless it names its own metric ("其中回款20万"). */
const BREAKDOWN = /其中|包括|包含/;
/** A running total ("累计120万"): kept when alone ("本周累计完成35万"), dropped next to the period's own figure. */
const CUMULATIVE = /累计|累积|总计|共计|合计|一共|总共|本月|这个月|当月|上个?月|月度|季度/;
/** A year's figure ("今年累计120万") is never the period's — unless the clause also names a week or month. */
const YEAR_SCOPE = /今年|全年|本年|年度|去年|上年|年初至今|ytd|[0-9]{4}\s*年/i;
const PERIOD_NAMED = /周|星期|礼拜|月|期|w\s*[0-9]/i;
const CLAUSE_END = /[,.;!?。；\n]/;

// ------------------------------------------------------------------------------------------- parsing

interface Span {
  start: number;
  end: number;
}
interface Marker extends Span {
  kind: "replace" | "negate";
}
interface Token extends Span {
  numeral: string;
  negative: boolean;
  kind: "money" | "count" | "bare";
  /** Chinese digits with no unit, such as the 一 of 一共: a number only if a metric word claims it. */
  weak: boolean;
}
interface Binding extends Span {
  metric: Metric;
  weak: boolean;
}
interface Candidate extends Span {
  metric: Metric;
  amount: bigint;
  /** Said of a longer span than the period: a running total ("累计120万") or a year ("今年120万"). */
  scope: "period" | "cumulative" | "year";
}
interface Problem {
  reason: InvalidReason;
  message: string;
}
type Reading = { candidate: Candidate } | { problem: Problem } | undefined;

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
    ...(period === "previous" ? { period } : {}),
  };
}

// "上周", "上个星期", "上一礼拜", "上周五" — but not "比上周多5万" or "较上周", which compare.
const PREVIOUS_WEEK = /(?<![比较同于])上\s*(?:一\s*)?(?:个\s*)?(?:周|星期|礼拜)/;
const CURRENT_WEEK = /(?:本|这|这一|当)\s*(?:个\s*)?(?:周|星期|礼拜)/;

/**
 * Which week the figures are about: the week named in a figure's own clause ("上周回款12万，本周销售35万" names
 * both, which is refused), else the one named anywhere in the message ("上周的，30万"), else the current one.
 */
function periodReferred(src: string, figures: readonly Candidate[]): "current" | "previous" | Problem {
  const clauseOf = (c: Candidate) => `${clausePrefix(src, c.start)}${src.slice(c.start, clauseEnd(src, c.end))}`;
  const named = figures.map((c) => {
    const clause = clauseOf(c);
    if (PREVIOUS_WEEK.test(clause)) return "previous";
    return CURRENT_WEEK.test(clause) ? "current" : undefined;
  });
  if (named.includes("previous") && named.includes("current")) {
    return ambiguous("一条消息里既有上周又有本周的数字，请分两条发送，例如先发“上周完成30万”，再发“本周完成35万”。");
  }
  const found = named.find((n) => n !== undefined);
  if (found) return found;
  return PREVIOUS_WEEK.test(src) && !CURRENT_WEEK.test(src) ? "previous" : "current";
}

function clauseEnd(text: string, from: number): number {
  let end = from;
  while (end < text.length && !(CLAUSE_END.test(text[end] ?? "") && !isThousandsComma(text, end))) end += 1;
  return end;
}

function readWithoutFigures(src: string, work: string): ParsedMessage {
  const compact = src.toLowerCase().replace(/[^\p{L}\p{N}?]/gu, "");
  if (HELP_EXACT.test(compact) || HELP_ANYWHERE.test(compact)) return { kind: "help" };
  const residue = work.replace(new RegExp(`[^\\p{L}\\p{N}]|${MASK}`, "gu"), "");
  if (residue !== "" && ZERO_ALONE.test(residue)) {
    return { kind: "report", figures: [{ metric: "REVENUE", amount: 0n, text: residue }], correction: false };
  }
  return { kind: "unrecognized" };
}

const EMOJI = /\p{Extended_Pictographic}|[\u{1F3FB}-\u{1F3FF}]|\u{FE0F}|\u{20E3}|\u{200D}/gu;
/** DingTalk sends its own emoticons as text: "[赞]", "[微笑]". */
const DINGTALK_EMOTICON = /\[[\u4e00-\u9fffa-z]{1,6}\]/giu;

function prepareText(text: string): string {
  return normalizeText(text)
    .replace(DINGTALK_EMOTICON, " ")
    .replace(EMOJI, " ")
    .replace(/^\s*@\S+/, " ");
}

function maskSpans(text: string, spans: readonly Span[], mask = MASK): string {
  let result = text;
  for (const { start, end } of spans) result = result.slice(0, start) + mask.repeat(end - start) + result.slice(end);
  return result;
}

function maskMatches(text: string, pattern: RegExp): string {
  return text.replace(pattern, (match) => MASK.repeat(match.length));
}

function findMarkers(work: string): Marker[] {
  const found = (pattern: RegExp, kind: Marker["kind"]) =>
    [...work.matchAll(pattern)].map((m) => ({ start: m.index, end: m.index + m[0].length, kind }));
  return [...found(REPLACE_MARKERS, "replace"), ...found(NEGATE_MARKERS, "negate")];
}

function findZeroPhrases(work: string): Candidate[] {
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

function clausePrefix(text: string, at: number): string {
  let start = at;
  // A comma between digits is a thousands separator ("350,000"), not the end of a clause.
  while (start > 0 && !(CLAUSE_END.test(text[start - 1] ?? "") && !isThousandsComma(text, start - 1))) start -= 1;
  return text.slice(start, at);
}

function isThousandsComma(text: string, at: number): boolean {
  return text[at] === "," && /[0-9]/.test(text[at - 1] ?? "") && /^[0-9]{3}(?![0-9])/.test(text.slice(at + 1));
}

function findTokens(work: string): Token[] {
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

function readTokens(src: string, work: string, tokens: Token[]): { candidates: Candidate[] } | { problem: Problem } {
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

const ASK_ONE_NUMBER = "请发一个具体数字，例如“35万”。";

function ambiguous(message: string): Problem {
  return { reason: "AMBIGUOUS", message };
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

interface Settled {
  figures: Candidate[];
  superseded: Candidate[];
  correction: boolean;
}

/** Applies corrections and scope, then refuses what is still two figures for one metric. */
function settle(candidates: Candidate[], markers: Marker[], src: string): Settled | { problem: Problem } {
  const sameMetricAfter = (c: Candidate, at: number) => candidates.some((o) => o.metric === c.metric && o.start >= at);
  const superseded = candidates.filter((c) =>
    markers.some((m) =>
      m.kind === "replace"
        ? c.end <= m.start && sameMetricAfter(c, m.end)
        : candidates.find((o) => o.start >= m.end) === c && candidates.some((o) => o !== c && o.metric === c.metric),
    ),
  );
  const current = candidates.filter((c) => !superseded.includes(c));
  const figures = current.filter(
    (c) => c.scope === "period" || !current.some((o) => o.metric === c.metric && o.scope === "period"),
  );
  const yearly = figures.find((c) => c.scope === "year");
  if (yearly) {
    const text = `${clausePrefix(src, yearly.start)}${src.slice(yearly.start, yearly.end)}`.trim();
    return { problem: ambiguous(`“${text}”像是全年的数，请发本期的数字，例如“本周完成35万”。`) };
  }
  for (const metric of Object.keys(METRIC_LABELS) as Metric[]) {
    const same = figures.filter((c) => c.metric === metric);
    if (same.length < 2) continue;
    const texts = same.map((c) => src.slice(c.start, c.end).trim()).join("、");
    return {
      problem: ambiguous(
        `消息里有${same.length}个${METRIC_LABELS[metric]}（${texts}），不确定以哪个为准。请只发一个，或写明指标，例如“销售额35万，回款12万”。`,
      ),
    };
  }
  const correction = markers.some((m) => m.kind === "replace") || superseded.length > 0;
  return { figures, superseded, correction };
}

// Dots, commas, colons and dashes between digits belong to a number ("20.5万", "350,000"), not to the text.
const NOTE_SEPARATOR = new RegExp(
  `[${CUT};!?~、|/\\\\()\\[\\]{}"'“”‘’…—_=*#@&^<>《》「」『』【】。\\n\\r\\t]|(?<![0-9])[.,:]|[.,:](?![0-9])|[-+](?![0-9])`,
  "g",
);
const EDGE_LEAD = new RegExp(`^(?:[\\s${MASK}]|一共|总共|合计|共|了|是|为|约|把)+`);
const EDGE_TRAIL = new RegExp(`(?:[\\s${MASK}]|左右|上下|出头|[共了哈啊呀吧哦噢嗯呢啦嘛的哟呗喔])+$`);
const JUNK_PIECES = new Set(["单", "单子", "的单", "一单", "这单", "元", "块", "万"]);

/**
 * What is left once figures, corrections and keywords are taken out: "35万，主要是老客户复购" → "主要是老客户复购".
 * `cut` is `src` with figures blanked by {@link CUT} and periods by {@link MASK}; a piece made only of periods and
 * keywords ("本周", "完成了", "哈") is dropped, the others are kept as typed, joined with "，".
 */
function buildNote(src: string, cut: string): string | undefined {
  const pieces: string[] = [];
  let from = 0;
  for (const separator of [...cut.matchAll(NOTE_SEPARATOR), undefined]) {
    const to = separator?.index ?? cut.length;
    const piece = cut.slice(from, to);
    from = to + (separator?.[0].length ?? 0);
    const lead = EDGE_LEAD.exec(piece)?.[0].length ?? 0;
    const trail = EDGE_TRAIL.exec(piece.slice(lead))?.[0].length ?? 0;
    const kept = src.slice(to - piece.length + lead, to - trail).replace(/\s+/g, " ");
    const meaning = piece
      .slice(lead, piece.length - trail)
      .replaceAll(MASK, "")
      .replace(KEYWORDS, "")
      .trim();
    if (meaning !== "" && !JUNK_PIECES.has(kept)) pieces.push(kept);
  }
  return pieces.length > 0 ? pieces.join("，") : undefined;
}
