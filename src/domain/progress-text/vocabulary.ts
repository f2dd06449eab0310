import type { Metric } from "../metric.ts";

/*
 * The words and patterns the progress reader knows: metric words, connectors and fillers, correction words,
 * what is never an amount (dates, periods, times, phones), "nothing sold" phrases, help requests, and the shape
 * of a number. Word lists are data; the reading itself is in find-figures.ts.
 */

/** Blanks what has been read while keeping every index valid (private-use characters nobody types). */
export const MASK = "\uE000";
/** Like {@link MASK}, and also ends a piece of the note. */
export const CUT = "\uE001";

// ---------------------------------------------------------------------------------------------- vocabulary

/** Word lists are written as space-separated text: easier to read and extend than arrays of quoted strings. */
export const words = (list: string): string[] => list.split(/\s+/).filter((w) => w !== "");

export const METRIC_WORDS: Record<Metric, readonly string[]> = {
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
export const WEAK_CUSTOMER_WORDS = words(`新增 新开 新签 新拓 新开发 新成交`);
/** Words allowed between a metric word and its number (and spaces): "销售额是35万", "回款：12万", "新客户有2家". */
export const CONNECTORS = words(`
  ${MASK} : = 了 共 一共 总共 合计 累计 共计 总计 是 为 约 约为 大约 大概 差不多 将近 接近 有 达到 达 到 额 金额 总额 总 计 已 已经 都 才 只有 只 仅 就
  数 数量 额度 的 也 - —
`);
export const FILLERS = words(`
  了 哈 啊 呀 吧 哦 噢 嗯 呢 啦 嘛 的 哟 呗 喔 额 呃 哎 唉 是 为 有 我 我们 这边 目前 这 本 已 已经 总 到 实现 好 好的 收到 ok 报告 汇报 领导 老板 经理
  那个 这次 截至 截止 大家 金额 数据 谢谢 辛苦 把 刚才 刚刚 之前 上一条 上条 前面 一下 请 麻烦 帮我 记录 登记 填报 更新 客户 左右 上下 出头 其中 你好 您好 hi
  hello 在吗 一共 总共 合计 共 约 大约 大概 差不多 前 后 以前 之后 为止
`);
export const CORRECTION_WORDS = words(`
  改成 改为 改作 改到 改一下 改下 更正为 更正一下 更正 修改为 修改成 修改一下 修改 修正为 修正 纠正 订正 更改为 更改 调整为 调整成 填错了 填错 写错了 写错 搞错了 搞错
  说错了 说错 输错了 输错 打错了 打错 报错了 应该是 应为 重新填报 重新填 重填 重报 以此为准 以这个为准 以这条为准 为准 更新为
`);

/** Longest first, so that an alternation prefers "销售额" over "销售". */
export const alternation = (list: readonly string[]) => [...list].sort((a, b) => b.length - a.length).join("|");
export const STRONG_WORDS = new Map<string, Metric>(
  (Object.entries(METRIC_WORDS) as [Metric, readonly string[]][]).flatMap(([metric, list]) =>
    list.map((w) => [w, metric]),
  ),
);
export const BINDING_WORDS = [...STRONG_WORDS.keys(), ...WEAK_CUSTOMER_WORDS];
/** How far before a number its metric word may be; keeps binding linear in the length of the message. */
export const BINDING_REACH = 40;
export const RIGHT_BINDING = new RegExp(`^的?(${alternation([...STRONG_WORDS.keys()])})`);
export const KEYWORDS = new RegExp(
  `\\s|${alternation([...BINDING_WORDS, ...CONNECTORS, ...FILLERS, ...CORRECTION_WORDS])}`,
  "gi",
);

// ------------------------------------------------------------------------------------------- what to blank

// "本周五" is a Friday, but "这周三十五万" is 35万 and "这周一单也没成" is "not one deal this week".
export const NOT_A_WEEKDAY_AHEAD = "(?![0-9零〇一二两俩三四五六七八九十百千万亿点.单笔共直下些])";
/** Dates, periods, times and phone numbers: numbers that are never the amount. Applied in this order. */
export const NOT_AMOUNTS: readonly RegExp[] = [
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
export const REPLACE_MARKERS = new RegExp(`${alternation(CORRECTION_WORDS)}|(?<!(?<!不)对)不对|(?<![不没])错了`, "g");
/** "不是35万，是30万": the next figure is the old value. */
export const NEGATE_MARKERS = /而不是|(?<!是)不是/g;

export const ZERO_WORDS: Record<string, Metric> = {
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
export const ZERO_ALONE_WHAT =
  "开单 出单 成单 单子 单 业绩 进账 销售 成交 签单 生意 订单 卖出去 卖出 任何业绩 任何成交 任何进展 进展";
export const ZERO_WORD_ALT = alternation(Object.keys(ZERO_WORDS));
/** "没有成交", "无新客户", "未回款" — at the start of a clause, so that "还有10万未到账" is not read as 0. */
export const ZERO_BEFORE = new RegExp(
  `(?:还|都|暂时|目前)?(?:没有|没|无|暂无|尚未|未|木有)(?:任何|新的|产生任何|产生)?(${ZERO_WORD_ALT})`,
  "g",
);
/** "回款：无", "新客户没有". */
export const ZERO_AFTER = new RegExp(
  `(${ZERO_WORD_ALT})\\s*[:=]?\\s*(?:没有|无|暂无)(?=$|[\\s,.;!?~。、${MASK}])`,
  "g",
);
/** A whole message that says nothing was sold: "没有", "挂零", "还没开单", "一单也没成". */
export const ZERO_ALONE = new RegExp(
  "^(?:我|我们|这边|目前|暂时|还|都|也|一直)*" +
    `(?:(?:没有|没|无|暂无|木有|没得)(?:${alternation(words(ZERO_ALONE_WHAT))})?|挂零|颗粒无收|零蛋|鸭蛋|一单(?:都|也)?(?:没有|没|没成|未成))` +
    "(?:呢|啊|哈|呀|哦|了|的|哎|唉)*$",
);
export const HELP_EXACT = /^(?:\?+|h|help|帮助|菜单|menu|说明|使用说明|教程|指南|示例|例子|格式|求助|\/help|\/帮助)$/;
export const HELP_ANYWHERE =
  /怎么填|如何填|咋填|怎么报|如何报|怎么写|咋写|怎么弄|怎么用|如何使用|怎么回复|回复什么|回什么|填什么|填啥|不知道|不懂|不会填|不会弄|看不懂|什么意思|啥意思|帮助|帮帮我|怎么操作|help/;

// ------------------------------------------------------------------------------------------- numbers

export const ZH_DIGITS = "零〇一二两俩三四五六七八九壹贰叁肆伍陆柒捌玖";
export const ATOM = `(?:[0-9]+(?:,[0-9]{3}(?![0-9]))*(?:[.点][0-9]+)?|[${ZH_DIGITS}]+(?:点[${ZH_DIGITS}]+)?)`;
// 完/玩/晚/湾 are how a pinyin keyboard mistypes 万 ("35完"); only at the end of a word, so "35万完成" is not.
export const UNIT = `(?:[十拾百佰千仟万亿]|(?:wan|w|k)(?![a-z])|[完玩晚湾](?![\\u4e00-\\u9fff]))`;
export const NUMERAL = `(?:${ATOM}|[十拾])(?:\\s*${UNIT}|${ATOM})*`;
export const TOKEN = new RegExp(
  `(?:(?:¥|rmb|cny)\\s*)?(?<sign>-|\\+|负\\s*)?(?:¥\\s*)?(?<numeral>${NUMERAL})(?:多|余)?` +
    `(?<money>\\s*(?:元整|元|圆|块钱|块|人民币|rmb|cny))?整?(?:多|余|左右|上下|出头|\\+)?(?<count>\\s*(?:家|个|位|户|名))?`,
  "giu",
);
export const TYPO_WAN = /[完玩晚湾]/g;
/** A number followed by these counts something other than money or customers: "两单", "80%", "3个月". */
export const NOT_AN_AMOUNT_AFTER =
  /^\s*(?:多|半)?(?:%|‰|个?百分点|个点|成(?!交)|折|倍|单|笔|次|件|台|套|人|天|周|月|年|号|日|点|时|小时|分|秒|岁|条|场|趟|期|季|星期|礼拜|楼|层|米|斤|吨|箱|张|份|级)/;
export const NOT_MONEY_AFTER = /^\s*(?:项目|合同|商机|机会|订单)/;
export const NOT_AN_AMOUNT_BEFORE = /(?:百分之|第|no\.?|#|编号|单号|工号|电话|手机|尾号|tel|qq|微信|vx|wx|id)\s*$/i;
/** In the clause before a number: it is a plan, a target, a comparison or a forecast, not this period's result. */
export const NOT_AN_ACTUAL = new RegExp(
  alternation(
    words(`
      下周 下星期 下个星期 下礼拜 下个礼拜 下月 下个月 下季度 明天 明年 目标 任务 指标 计划 预计 预估 预测 预期 争取 还差 相差 差距
      差额 缺口 还剩 剩下 剩余 还需 还要 同比 环比 同期 比上 比去年 比昨 增长 下降 减少 提升 提高 平均 单价 报价 在谈 跟进 意向 潜在 商机
    `),
  ),
  "i",
);
/** "其中老客户20万": a breakdown of a figure already given, unless it names its own metric ("其中回款20万"). */
export const BREAKDOWN = /其中|包括|包含/;
/** A running total ("累计120万"): kept when alone ("本周累计完成35万"), dropped next to the period's own figure. */
export const CUMULATIVE = /累计|累积|总计|共计|合计|一共|总共|本月|这个月|当月|上个?月|月度|季度/;
/** A year's figure ("今年累计120万") is never the period's — unless the clause also names a week or month. */
export const YEAR_SCOPE = /今年|全年|本年|年度|去年|上年|年初至今|ytd|[0-9]{4}\s*年/i;
export const PERIOD_NAMED = /周|星期|礼拜|月|期|w\s*[0-9]/i;
export const CLAUSE_END = /[,.;!?。；\n]/;
