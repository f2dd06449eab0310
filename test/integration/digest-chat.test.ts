import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DIRECTOR_ID } from "../../src/demo/reference-org.ts";
import { formatAmountShort } from "../../src/domain/format-amount.ts";
import { expectedForPeriod } from "../../src/domain/phasing.ts";
import { verifyDashboardToken } from "../../src/flows/digest/dashboard-token.ts";
import { say, sessionReplies } from "../helpers/chat.ts";
import { jsonInit } from "../helpers/plan-api.ts";
import { publishedSmallPlan, SMALL_PLAN_REPS, type SmallPlan } from "../helpers/small-plan.ts";
import { startTestService, type TestService } from "../helpers/test-service.ts";

/*
 * 「排名」, 「团队进度」 and 「看板」 in chat, through the real stream client against the emulator: a rep's place among
 * their department's owners, a manager's team this period with non-reporters first, a fresh signed dashboard link
 * — and a rep asking a manager's question is told what they can ask instead.
 */

const shanghai = (local: string) => new Date(`${local}+08:00`);
const clock = shanghai("2026-04-15T09:00:00"); // Wednesday of W16
let svc: TestService;
let plan: SmallPlan;
const [LINA, ZHAO, THIRD] = SMALL_PLAN_REPS;
const MANAGER = "m11";
const emulator = () => svc.deps.emulator!;

const report = async (userId: string, period: string, amount: number) => {
  const res = await svc.api(
    "/api/progress",
    jsonInit("POST", { entries: [{ planId: plan.planId, userId, period, amount: String(amount) }] }),
  );
  expect(res.status, await res.clone().text()).toBe(200);
};
const nameOf = async (userId: string) =>
  (await svc.db.sql.query<{ name: string }>("SELECT name FROM staff WHERE user_id = $1", [userId]))[0]!.name;
const weekTarget = async (leafId: string) => {
  const rows = await svc.db.sql.query<{ amount: string }>(
    "SELECT amount::text FROM target_month WHERE target_id = $1 ORDER BY month",
    [leafId],
  );
  const months = rows.map((r) => BigInt(r.amount));
  return expectedForPeriod(months, 2026, "2026-W16", svc.deps.calendar);
};
/** The markdown of a person's latest chat reply. */
const lastMarkdown = (userId: string) => {
  const body = sessionReplies(emulator(), userId).at(-1)!.body as { markdown?: { title: string; text: string } };
  return body.markdown;
};

beforeAll(async () => {
  svc = await startTestService({ DINGTALK_QPS: "500" }, { sandbox: { demo: false }, now: () => clock });
  plan = await publishedSmallPlan(svc);
  // Year to date before W16: 李娜 30万, 赵涛 10万, the third rep nothing; this week only 李娜 has reported.
  await report(LINA, "2026-W15", 300_000);
  await report(ZHAO, "2026-W15", 100_000);
  await report(LINA, "2026-W16", 20_000);
}, 120_000);
afterAll(() => svc?.close());

describe("「排名」", () => {
  it("a rep's place among their department's owners by year-to-date attainment, with the top 3", async () => {
    const [lina, zhao] = [await nameOf(LINA), await nameOf(ZHAO)];
    const reply = await say(emulator(), ZHAO, "我的排名？");
    expect(reply).toMatch(/^华东小计划：你在华东大区 3 人中排第 2（年度累计达成 \d+%，截至上周）\n前三：/);
    expect(reply).toContain(`1. ${lina} `);
    expect(reply).toContain("2. 你 ");
    const third = await say(emulator(), THIRD, "排名");
    expect(third).toContain("排第 3（年度累计达成 0%");
    expect(third).toContain(`1. ${lina} `);
    expect(third).toContain(`2. ${zhao} `);
    expect(third).toContain("3. 你 0%");
  });

  it("someone with no targets is told so, and pointed at 「团队进度」", async () => {
    expect(await say(emulator(), DIRECTOR_ID, "排名")).toBe(
      "你目前没有已发布的目标，没有排名。带团队的话可以说「团队进度」。",
    );
  });
});

describe("「团队进度」", () => {
  it("the manager's team this week: totals, those who have not reported first, then by attainment", async () => {
    const [lina, zhao, third] = [await nameOf(LINA), await nameOf(ZHAO), await nameOf(THIRD)];
    const targets = await Promise.all(plan.leafIds.map(weekTarget));
    const total = targets.reduce((s, t) => s + t, 0n);
    const reply = await say(emulator(), MANAGER, "团队进度");
    const lines = reply.split("\n");
    expect(lines[0]).toBe(
      `华东小计划 · 本周（W16）团队进度：1/3 人已填报，完成 2万 / 目标 ${formatAmountShort(total)}（${Math.round(
        (20_000 / Number(total)) * 100,
      )}%）`,
    );
    const notReported = [
      [zhao, targets[1]!],
      [third, targets[2]!],
    ]
      .sort(([a], [b]) => String(a).localeCompare(String(b), "zh"))
      .map(([n, t]) => `- ${n}：未填报（目标 ${formatAmountShort(t as bigint)}）`);
    expect(lines.slice(1, 3)).toEqual(notReported);
    expect(lines[3]).toMatch(new RegExp(`^- ${lina}：2万 / ${formatAmountShort(targets[0]!)}（\\d+%）$`));
    expect(lines).toHaveLength(4);
  });

  it("the director sees everyone under them; a manager whose team has no targets is told so", async () => {
    const director = await say(emulator(), DIRECTOR_ID, "团队进度");
    expect(director).toContain("1/3 人已填报");
    expect(await say(emulator(), "m12", "团队进度")).toBe("你的团队目前没有已发布的目标。");
  });

  it("a rep asking is told it is for managers, and what to ask instead", async () => {
    const reply = await say(emulator(), LINA, "团队进度");
    expect(reply).toBe(
      "「团队进度」是给带团队的经理和总监看的，你名下目前没有下属。你可以说「进度」看自己本期的完成情况，或说「排名」看你在团队里的位置。",
    );
  });
});

describe("「看板」", () => {
  it("a manager gets a fresh signed link, valid DASHBOARD_LINK_DAYS days, naming them", async () => {
    const before = sessionReplies(emulator(), MANAGER).length;
    expect(emulator().sendText(MANAGER, "看板")).toBeTruthy();
    await expect.poll(() => sessionReplies(emulator(), MANAGER).length, { timeout: 10_000 }).toBeGreaterThan(before);
    const md = lastMarkdown(MANAGER)!;
    expect(md.title).toBe("数据看板");
    const m = /\[打开数据看板\]\((http[^)]+\/dashboard\?t=([^)]+))\)/.exec(md.text);
    expect(m, md.text).not.toBeNull();
    expect(m![1]!.startsWith(`${svc.deps.config.publicUrl}/dashboard?t=`)).toBe(true);
    const check = verifyDashboardToken(svc.deps.config.dashboardSecret, m![2]!, clock);
    expect(check).toEqual({
      ok: true,
      claims: { userId: MANAGER, expiresAt: new Date(clock.getTime() + 7 * 86_400_000) },
    });
    expect(md.text).toContain("链接 7 天内有效");
    // Not a table, and a rep's text check below keeps working.
  });

  it("a rep asking is told it is for managers", async () => {
    expect(await say(emulator(), LINA, "看板")).toBe(
      "「看板」是给带团队的经理和总监看的，你名下目前没有下属。你可以说「进度」看自己本期的完成情况，或说「排名」看你在团队里的位置。",
    );
  });

  it("the help reply lists the three questions; someone not in the org is told to be imported", async () => {
    const help = await say(emulator(), LINA, "帮助");
    expect(help).toContain("· 排名：");
    expect(help).toContain("· 团队进度（经理）：");
    expect(help).toContain("· 看板（经理）：");
    expect(await say(emulator(), "nobody404", "看板")).toBe("系统里还没有你的员工信息，请联系管理员导入组织架构。");
  });
});
