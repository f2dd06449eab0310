import type { AppDeps } from "../../app-deps.ts";
import type { Tx } from "../../db/database.ts";
import type { Intent, TextContext } from "../../dingtalk/bot.ts";
import { formatAttainment } from "../../domain/attainment.ts";
import { formatAmountShort } from "../../domain/format-amount.ts";
import { type Cadence, periodKey } from "../../domain/period-key.ts";
import { periodRefWord, shortPeriod } from "../../domain/period-words.ts";
import { localDate } from "../../domain/zoned-time.ts";
import { liveLeafSql } from "../../plans/leaf-targets.ts";
import { type ProgressPrompt, progressPromptInputs, reportablePlans } from "../progress/index.ts";
import { issueDashboardToken } from "./dashboard-token.ts";
import { leadsPeople, teamMembers } from "./team.ts";

export type DigestChatDeps = Pick<AppDeps, "config" | "calendar" | "now">;

export const DIGEST_HELP = [
  "· 排名：你在团队里的年度累计达成率排名和前三名",
  "· 团队进度（经理）：团队本期完成情况，未填报的人在前",
  "· 看板（经理）：一个新的数据看板链接",
].join("\n");

/** People listed one by one in 「团队进度」 before 「等共 N 人」: a whole company does not fit a chat message. */
export const TEAM_LIST_MAX = 30;

const RANK = /^(?:我的)?(?:排名|排行|名次)(?:是多少|多少|怎么样|如何|第几)?$|^我排(?:第)?几$/;
const TEAM = /^(?:我的)?(?:团队|部门|小组|下属)(?:的)?(?:进度|完成情况|业绩|情况)$/;
const DASHBOARD = /^(?:打开|发我|给我)?(?:看板|数据看板|仪表盘)(?:链接)?$/;

/** The text as the matchers read it: no spaces, punctuation or symbols (「排名？」, 「看板 」). */
const bare = (ctx: TextContext) => ctx.event.text.replace(/[\s\p{P}\p{S}]/gu, "");
const inOneToOne = (ctx: TextContext) => ctx.event.conversationType === "1";

/**
 * The digest's questions in chat (issue #14 "Ask the bot"), instead of waiting for Monday: 「排名」 for anyone with
 * targets, 「团队进度」 and 「看板」 for those who lead people (a rep asking is told what they can ask instead).
 */
export function digestIntents(deps: DigestChatDeps): Intent[] {
  const claim = (name: string, re: RegExp, handle: (ctx: TextContext) => Promise<void>): Intent => ({
    name,
    match: (ctx) => inOneToOne(ctx) && re.test(bare(ctx)),
    handle,
  });
  return [
    claim("digest.rank", RANK, (ctx) => answerRank(deps, ctx)),
    claim("digest.team", TEAM, (ctx) => answerTeam(deps, ctx)),
    claim("digest.dashboard", DASHBOARD, (ctx) => answerDashboard(deps, ctx)),
  ];
}

const UNKNOWN = "系统里还没有你的员工信息，请联系管理员导入组织架构。";
const NOT_A_LEADER = (what: string) =>
  `「${what}」是给带团队的经理和总监看的，你名下目前没有下属。你可以说「进度」看自己本期的完成情况，或说「排名」看你在团队里的位置。`;

/**
 * 「排名」: per published plan the person owns targets in, their place among the plan's owners of their department
 * by year-to-date attainment before this period (the figures 「进度」 shows), ties sharing a place, with the top 3.
 */
async function answerRank(deps: DigestChatDeps, ctx: TextContext): Promise<void> {
  if (!ctx.staff?.active) return ctx.reply(UNKNOWN);
  const me = ctx.staff;
  const plans = await reportablePlans(ctx.tx, me.userId);
  const parts: string[] = [];
  for (const plan of plans) {
    const cadence = plan.cadence as Cadence;
    const period = periodKey(cadence, localDate(deps.now(), plan.timezone));
    const prompts = await progressPromptInputs(ctx.tx, { planId: plan.id, period, calendar: deps.calendar });
    const dept = await ctx.tx.$queryRawUnsafe<{ user_id: string; dept: string }[]>(
      `SELECT s.user_id, d.name AS dept FROM staff s JOIN department d ON d.id = s.dept_id
        WHERE s.dept_id = $1 AND s.active`,
      me.deptId,
    );
    const peers = new Set(dept.map((d) => d.user_id));
    const team = prompts.filter((p) => peers.has(p.input.owner.userId));
    const deptName = dept[0]?.dept ?? "团队";
    const ranked = rankByYtd(team);
    const mine = ranked.find((r) => r.userId === me.userId);
    if (!mine) continue;
    if (mine.share === null) {
      parts.push(`${plan.name}：还没有可比的年度累计数字（本期之前没有应完成的目标），暂无排名。`);
      continue;
    }
    const top = ranked
      .slice(0, 3)
      .map((r) => `${r.place}. ${r.userId === me.userId ? "你" : r.name} ${r.attainment}`)
      .join("，");
    const upTo = periodRefWord(cadence, "previous");
    parts.push(
      [
        `${plan.name}：你在${deptName} ${ranked.length} 人中排第 ${mine.place}（年度累计达成 ${mine.attainment}，截至${upTo}）`,
        `前三：${top}`,
      ].join("\n"),
    );
  }
  if (parts.length === 0) return ctx.reply("你目前没有已发布的目标，没有排名。带团队的话可以说「团队进度」。");
  return ctx.reply(parts.join("\n\n"));
}

interface Ranked {
  userId: string;
  name: string;
  /** ytd actual / ytd target, for ordering; null without a target to date. */
  share: number | null;
  attainment: string;
  place: number;
}

/** Highest attainment first; equal attainment shares a place (1, 2, 2, 4); no target to date last, unplaced. */
function rankByYtd(prompts: readonly ProgressPrompt[]): Ranked[] {
  const rows = prompts.map((p) => {
    const { ytdActual, ytdTarget } = p.input;
    // Compared exactly: a / b > c / d ⇔ a·d > c·b for positive targets; the number is for display only.
    return { p, ytdActual, ytdTarget, name: p.input.owner.name, userId: p.input.owner.userId };
  });
  const cmp = (a: (typeof rows)[number], b: (typeof rows)[number]) => {
    if (a.ytdTarget <= 0n || b.ytdTarget <= 0n) return (a.ytdTarget <= 0n ? 1 : 0) - (b.ytdTarget <= 0n ? 1 : 0);
    const l = a.ytdActual * b.ytdTarget;
    const r = b.ytdActual * a.ytdTarget;
    return l === r ? 0 : l > r ? -1 : 1;
  };
  rows.sort((a, b) => cmp(a, b) || a.name.localeCompare(b.name, "zh"));
  const out: Ranked[] = [];
  rows.forEach((row, i) => {
    const prev = rows[i - 1];
    const place = prev && cmp(prev, row) === 0 ? (out[i - 1]?.place ?? i + 1) : i + 1;
    out.push({
      userId: row.userId,
      name: row.name,
      share: row.ytdTarget > 0n ? Number(row.ytdActual) / Number(row.ytdTarget) : null,
      attainment: formatAttainment(row.ytdActual, row.ytdTarget),
      place,
    });
  });
  return out;
}

/**
 * 「团队进度」: per published plan where anyone under the manager owns targets, this period's team total and each
 * person's figure — those who have not reported first, then the rest from the lowest attainment up.
 */
async function answerTeam(deps: DigestChatDeps, ctx: TextContext): Promise<void> {
  if (!ctx.staff?.active) return ctx.reply(UNKNOWN);
  if (!(await leadsPeople(ctx.tx, ctx.staff))) return ctx.reply(NOT_A_LEADER("团队进度"));
  const team = await teamMembers(ctx.tx, ctx.staff.userId);
  const parts: string[] = [];
  for (const plan of await teamPlans(ctx.tx, [...team])) {
    const cadence = plan.cadence as Cadence;
    const period = periodKey(cadence, localDate(deps.now(), plan.timezone));
    const prompts = (await progressPromptInputs(ctx.tx, { planId: plan.id, period, calendar: deps.calendar })).filter(
      (p) => team.has(p.input.owner.userId),
    );
    if (prompts.length === 0) continue;
    parts.push(teamText(plan.name, `${periodRefWord(cadence, "current")}（${shortPeriod(period)}）`, prompts));
  }
  if (parts.length === 0) return ctx.reply("你的团队目前没有已发布的目标。");
  return ctx.reply(parts.join("\n\n"));
}

function teamText(planName: string, word: string, prompts: readonly ProgressPrompt[]): string {
  const missing = prompts.filter((p) => p.reported === null).sort(byName);
  const reported = prompts
    .filter((p) => p.reported !== null)
    .sort((a, b) => {
      // Lowest attainment first, compared exactly (a zero target last).
      const [ax, at] = [a.reported?.amount ?? 0n, a.input.periodTarget];
      const [bx, bt] = [b.reported?.amount ?? 0n, b.input.periodTarget];
      if (at <= 0n || bt <= 0n) return (at <= 0n ? 1 : 0) - (bt <= 0n ? 1 : 0) || byName(a, b);
      const l = ax * bt;
      const r = bx * at;
      return l === r ? byName(a, b) : l < r ? -1 : 1;
    });
  const target = prompts.reduce((s, p) => s + p.input.periodTarget, 0n);
  const actual = reported.reduce((s, p) => s + (p.reported?.amount ?? 0n), 0n);
  const lines = [
    `${planName} · ${word}团队进度：${reported.length}/${prompts.length} 人已填报，完成 ${formatAmountShort(actual)} / 目标 ${formatAmountShort(target)}（${formatAttainment(actual, target)}）`,
  ];
  const rows = [
    ...missing.map((p) => `- ${p.input.owner.name}：未填报（目标 ${formatAmountShort(p.input.periodTarget)}）`),
    ...reported.map((p) => {
      const amount = p.reported?.amount ?? 0n;
      return `- ${p.input.owner.name}：${formatAmountShort(amount)} / ${formatAmountShort(p.input.periodTarget)}（${formatAttainment(amount, p.input.periodTarget)}）`;
    }),
  ];
  lines.push(...rows.slice(0, TEAM_LIST_MAX));
  if (rows.length > TEAM_LIST_MAX) lines.push(`- 等共 ${rows.length} 人，完整名单请说「看板」打开数据看板`);
  return lines.join("\n");
}

const byName = (a: ProgressPrompt, b: ProgressPrompt) => a.input.owner.name.localeCompare(b.input.owner.name, "zh");

/** Published plans in which any of `userIds` owns a live leaf target, oldest first. */
async function teamPlans(
  tx: Tx,
  userIds: string[],
): Promise<{ id: string; name: string; cadence: string; timezone: string }[]> {
  if (userIds.length === 0) return [];
  return tx.$queryRawUnsafe(
    `SELECT p.id, p.name, p.cadence::text AS cadence, p.timezone FROM plan p
      WHERE p.status = 'PUBLISHED'
        AND EXISTS (SELECT 1 FROM target t WHERE t.plan_id = p.id AND t.owner_user_id = ANY($1::text[]) AND ${liveLeafSql("t")})
      ORDER BY p.created_at, p.id`,
    userIds,
  );
}

/** 「看板」: a fresh signed link (DASHBOARD_LINK_DAYS days) to the dashboard, scoped to the person when opened. */
async function answerDashboard(deps: DigestChatDeps, ctx: TextContext): Promise<void> {
  if (!ctx.staff?.active) return ctx.reply(UNKNOWN);
  if (!(await leadsPeople(ctx.tx, ctx.staff))) return ctx.reply(NOT_A_LEADER("看板"));
  const url = dashboardUrl(deps, ctx.staff.userId, deps.now());
  if (!url) return ctx.reply("数据看板的访问地址还没有配置（PUBLIC_URL），请联系管理员。");
  const days = deps.config.dashboardLinkDays;
  return ctx.reply({
    title: "数据看板",
    markdown: [
      `[打开数据看板](${url})`,
      "",
      `链接 ${days} 天内有效，只显示你和你团队的数据，请不要转发。过期后再对我说「看板」即可获取新链接。`,
    ].join("\n"),
  });
}

/** `${PUBLIC_URL}/dashboard?t=<token>` for `userId`, valid DASHBOARD_LINK_DAYS from `now`; undefined without PUBLIC_URL. */
export function dashboardUrl(deps: Pick<AppDeps, "config">, userId: string, now: Date): string | undefined {
  const { publicUrl, dashboardSecret, dashboardLinkDays } = deps.config;
  if (!publicUrl) return undefined;
  return `${publicUrl}/dashboard?t=${issueDashboardToken(dashboardSecret, userId, now, dashboardLinkDays)}`;
}
