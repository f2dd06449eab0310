import { describe, expect, it } from "vitest";
import { digestMarkdown, pointsChange } from "../../src/domain/digest-markdown.ts";
import type { Digest, DigestException, DigestFigures, DigestRank } from "../../src/domain/digest-types.ts";

/*
 * The digest message, from hand-built digests: headline figures first, then exceptions (streaks first, counted
 * when long), the leaderboard, freshness, bot health only when something is stuck, the link — and never a table.
 */

const figures = (over: Partial<DigestFigures> = {}): DigestFigures => ({
  ytdActual: 123_450_000n,
  ytdTarget: 150_000_000n,
  ytdAttainment: 0.823,
  periodActual: 8_500_000n,
  periodTarget: 10_000_000n,
  periodAttainment: 0.85,
  previousYtdAttainment: 0.791,
  annualTarget: 180_000_000n,
  projectedYearEnd: 160_000_000n,
  requiredRunRate: 3_200_000n,
  ...over,
});
const rank = (label: string, ytdActual: bigint, ytdTarget: bigint): DigestRank => ({
  key: label,
  label,
  attainment: Number(ytdActual) / Number(ytdTarget),
  ytdActual,
  ytdTarget,
});
const digest = (over: Partial<Digest> = {}): Digest => ({
  plan: { id: "p1", name: "2026年度销售目标", fiscalYear: 2026, cadence: "WEEK", unit: "CNY", metric: "REVENUE" },
  period: "2026-W15",
  previousPeriod: "2026-W14",
  viewer: { userId: "wangjianguo", name: "王建国", scope: "PLAN", role: "DIRECTOR" },
  totals: figures(),
  breakdowns: [],
  exceptions: [],
  top: { people: [rank("李娜", 112n, 100n), rank("赵涛", 105n, 100n)], regions: [rank("华东", 105n, 100n)] },
  bottom: { people: [rank("王五", 42n, 100n)], regions: [rank("西北", 62n, 100n)] },
  freshness: { owners: 50, reported: 45, share: 0.9 },
  health: { undelivered: 0 },
  series: [],
  empty: false,
  ...over,
});
const exc = (kind: DigestException["kind"], name: string, text: string, extra: Partial<DigestException> = {}) => ({
  kind,
  userId: name,
  name,
  text,
  ...extra,
});

describe("digest markdown", () => {
  it("headline figures first, in the order a director reads them", () => {
    const { title, text } = digestMarkdown(digest(), "https://bot.example.com/dashboard?t=abc");
    expect(title).toBe("2026年度销售目标 W15周报");
    expect(text.split("\n").slice(0, 7)).toEqual([
      "### 2026年度销售目标 W15周报",
      "全公司 · 年度累计达成 **82%**",
      "",
      "- **年度累计**：完成 1.23亿 / 应完成 1.5亿，达成 82%（周环比 +3.2个百分点）",
      "- **W15**：完成 850万 / 目标 1,000万，达成 85%",
      "- **全年预计**：按当前进度完成 1.6亿（全年目标 1.8亿，89%）",
      "- **要完成全年目标**：此后每周需完成 320万",
    ]);
    expect(text).toContain("- 填报率：45/50 人已填报（90%）");
    expect(text.endsWith("[打开看板查看明细](https://bot.example.com/dashboard?t=abc)")).toBe(true);
    // DingTalk's phone client renders no tables (docs/dingtalk.md §4.0).
    expect(text).not.toMatch(/^\s*\|/m);
    expect(text).not.toContain("|");
  });

  it("a manager's digest names their team; no bot-health line while nothing is stuck", () => {
    const { text } = digestMarkdown(
      digest({ viewer: { userId: "m11", name: "王伟", scope: "SUBTREE", role: "MANAGER" } }),
    );
    expect(text).toContain("王伟的团队 · 年度累计达成 **82%**");
    expect(text).not.toContain("机器人");
    expect(text).not.toContain("看板"); // no link given, none made up
    const stuck = digestMarkdown(digest({ health: { undelivered: 3 } })).text;
    expect(stuck).toContain("- 机器人：3 条消息未能送达，请管理员查看");
  });

  it("exceptions come before the leaderboard; streaks first, longest first, their misses not repeated", () => {
    const { text } = digestMarkdown(
      digest({
        exceptions: [
          exc("MISS", "张三", "张三 本周未达标（62%）"),
          exc("MISS", "李四", "李四 本周未达标（40%）"),
          exc("ESCALATION", "张三", "张三 连续2周未达标", { streak: 2 }),
          exc("ESCALATION", "钱七", "钱七 连续3周未达标", { streak: 3 }),
          exc("NOT_REPORTED", "孙八", "孙八 本周未填报"),
        ],
      }),
    );
    const lines = text.split("\n");
    const at = lines.indexOf("#### 需要关注");
    expect(lines.slice(at, at + 5)).toEqual([
      "#### 需要关注",
      "- 钱七 连续3周未达标",
      "- 张三 连续2周未达标",
      "- 李四 本周未达标（40%）",
      "- 孙八 本周未填报",
    ]);
    expect(text.indexOf("#### 需要关注")).toBeLessThan(text.indexOf("#### 排行榜"));
    expect(text.indexOf("#### 排行榜")).toBeLessThan(text.indexOf("填报率"));
  });

  it("a long list is counted, with a few names; many streaks end with how many there are", () => {
    const names = ["甲", "乙", "丙", "丁", "戊", "己", "庚"];
    const { text } = digestMarkdown(
      digest({
        exceptions: [
          ...names.map((n) => exc("ESCALATION", n, `${n} 连续2周未达标`, { streak: 2 })),
          ...names.map((n) => exc("NOT_REPORTED", `${n}2`, `${n}2 本周未填报`)),
          ...[1, 2, 3, 4].map((i) => ({ kind: "UNCONFIRMED" as const, targetId: `t${i}`, text: `目标 t${i} 未确认` })),
        ],
      }),
    );
    // Equal streaks keep the order given: the first five are named.
    expect(text).toContain("- 戊 连续2周未达标");
    expect(text).not.toContain("- 己 连续2周未达标");
    expect(text.match(/连续2周未达标/g)).toHaveLength(5);
    expect(text).toContain("- 等共 7 人连续未达标");
    expect(text).toContain("- 本周未填报 7 人：甲2、乙2、丙2 等");
    expect(text).toContain("- 目标未确认 4 个");
    expect(text).not.toContain("目标 t1 未确认");
  });

  it("the counts of the whole scope, when the digest lists only some of each kind", () => {
    const listed = ["甲", "乙", "丙", "丁", "戊", "己"].map((n) =>
      exc("ESCALATION", n, `${n} 连续2周未达标`, { streak: 2 }),
    );
    const { text } = digestMarkdown(
      digest({
        exceptions: [...listed, ...["子", "丑", "寅", "卯"].map((n) => exc("NOT_REPORTED", n, `${n} 本周未填报`))],
        exceptionCounts: {
          ESCALATION: 31,
          MISS: 0,
          NOT_REPORTED: 240,
          UNCONFIRMED: 0,
          APPROVAL_OVERDUE: 0,
          NEEDS_OWNER: 0,
        },
      }),
    );
    expect(text).toContain("- 等共 31 人连续未达标");
    expect(text).toContain("- 本周未填报 240 人：子、丑、寅 等");
  });

  it("the leaderboard: regions for a director, people top and bottom", () => {
    const { text } = digestMarkdown(digest());
    expect(text).toContain(
      [
        "#### 排行榜（年度累计达成率）",
        "- 区域领先：华东 105%",
        "- 区域落后：西北 62%",
        "- 前2名：李娜 112%、赵涛 105%",
        "- 后1名：王五 42%",
      ].join("\n"),
    );
  });

  it("amounts at the bigint limit render, exactly rounded, and a met year says so", () => {
    const max = 9_223_372_036_854_775_807n;
    const { text } = digestMarkdown(
      digest({
        totals: figures({
          ytdActual: max,
          ytdTarget: max,
          periodActual: max,
          periodTarget: max,
          annualTarget: max,
          projectedYearEnd: max,
          requiredRunRate: 0n,
        }),
        top: { people: [rank("李娜", max, max)], regions: [] },
        bottom: { people: [], regions: [] },
      }),
    );
    expect(text).toContain("完成 92,233,720,368.55亿 / 应完成 92,233,720,368.55亿，达成 100%");
    expect(text).toContain("- **全年目标已完成**");
    expect(text).toContain("- 前1名：李娜 100%");
    expect(text).not.toMatch(/NaN|undefined|Infinity|e\+/);
  });

  it("a monthly plan of new customers counts 家, and says 月环比 and 每月", () => {
    const { title, text } = digestMarkdown(
      digest({
        plan: { id: "p", name: "新客户", fiscalYear: 2026, cadence: "MONTH", unit: "COUNT", metric: "NEW_CUSTOMERS" },
        period: "2026-04",
        totals: figures({
          ytdActual: 30n,
          ytdTarget: 40n,
          ytdAttainment: 0.75,
          previousYtdAttainment: 0.823,
          periodActual: 3n,
          periodTarget: 4n,
          requiredRunRate: 9n,
        }),
      }),
    );
    expect(title).toBe("新客户 4月月报");
    expect(text).toContain("完成 30家 / 应完成 40家，达成 75%（月环比 -7.3个百分点）");
    expect(text).toContain("此后每月需完成 9家");
  });

  it("no targets to measure against: a dash, not NaN; nobody to report: said plainly", () => {
    const zero = figures({
      ytdActual: 0n,
      ytdTarget: 0n,
      ytdAttainment: null,
      periodTarget: 0n,
      periodActual: 0n,
      periodAttainment: null,
      previousYtdAttainment: null,
    });
    const { text } = digestMarkdown(digest({ totals: zero, freshness: { owners: 0, reported: 0, share: null } }));
    expect(text).toContain("- **年度累计**：完成 0 / 应完成 0，达成 —\n");
    expect(text).toContain("- 填报率：本周没有需要填报的人");
  });

  it("a name with a line break cannot start a heading of its own", () => {
    const { text } = digestMarkdown(
      digest({ exceptions: [exc("ESCALATION", "x", "坏\n### 名字 连续2周未达标", { streak: 2 })] }),
    );
    expect(text).toContain("- 坏 ### 名字 连续2周未达标");
    expect(text).not.toMatch(/^### 名字/m);
  });

  it("points of change: rounded to a tenth, signed, 持平 when unchanged", () => {
    expect(pointsChange(0.823, 0.791)).toBe("+3.2个百分点");
    expect(pointsChange(0.5, 0.52)).toBe("-2个百分点");
    expect(pointsChange(0.5, 0.50001)).toBe("持平");
    expect(pointsChange(null, 0.5)).toBeNull();
  });
});
