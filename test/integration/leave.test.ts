import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cardsIn, robotTexts, say } from "../helpers/chat.ts";
import { createSmallPlan, SMALL_PLAN_REPS } from "../helpers/small-plan.ts";
import { startTestService, type TestService } from "../helpers/test-service.ts";

/*
 * Leave (docs/domain.md "Leave") through the started service in sandbox mode: the admin API with its auth, the
 * chat through the emulator and the real dingtalk-stream client, and the jobs run over the API. The service's
 * clock is Friday 2026-12-04 09:00 in Shanghai, so 「下周」 is 2026-W50, Monday 12-07 to Friday 12-11.
 */

const shanghai = (local: string) => new Date(`${local}+08:00`);
const clock = shanghai("2026-12-04T09:00:00");
const [LI, R2, R3] = SMALL_PLAN_REPS;

let svc: TestService;
let planId: string;
const emulator = () => svc.deps.emulator!;

const json = (method: string, body?: unknown) => ({
  method,
  headers: { "content-type": "application/json" },
  ...(body === undefined ? {} : { body: JSON.stringify(body) }),
});
const putLeave = async (userId: string, body: unknown) => {
  const res = await svc.api(`/api/staff/${userId}/leave`, json("PUT", body));
  return { status: res.status, body: (await res.json()) as Record<string, unknown> & { error?: { message: string } } };
};
const deleteLeave = async (userId: string, query = "") => {
  const res = await svc.api(`/api/staff/${userId}/leave${query}`, { method: "DELETE" });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> & { error?: { message: string } } };
};
/** Every leave row, as stored: what a refused request must leave untouched. */
const leaveRows = () =>
  svc.db.sql.query(
    `SELECT id::text, user_id, from_date::text, to_date::text, reason, source::text, created_at, cancelled_at
       FROM staff_leave ORDER BY id`,
  );
const liveLeaves = async (userId: string) =>
  (
    await svc.db.sql.query<{ range: string; reason: string | null; source: string }>(
      `SELECT from_date::text || '..' || to_date::text AS range, reason, source::text AS source FROM staff_leave
        WHERE user_id = $1 AND cancelled_at IS NULL ORDER BY from_date`,
      [userId],
    )
  ).map((r) => ({ ...r }));
const runJob = async (job: string, at: string) => {
  const res = await svc.api(`/api/jobs/${job}/run`, json("POST", { at }));
  expect(res.status, await res.clone().text()).toBe(200);
  await svc.dingtalk!.outbox.drain();
};
const cardsOf = (userId: string, prefix: string) => cardsIn(emulator(), userId, prefix);
const textsOf = (userId: string) => robotTexts(emulator(), userId);

beforeAll(async () => {
  svc = await startTestService({ DINGTALK_QPS: "500" }, { sandbox: { demo: false }, now: () => clock });
  ({ planId } = await createSmallPlan(svc));
  const published = await svc.api(`/api/plans/${planId}/publish`, { method: "POST" });
  expect(published.status, await published.clone().text()).toBe(200);
  await svc.dingtalk!.outbox.drain();
}, 120_000);
afterAll(() => svc?.close());

describe("PUT / DELETE /api/staff/:userId/leave", () => {
  it("stores a leave (201) and answers it; the same range again is a retry (200, nothing new)", async () => {
    const first = await putLeave(R3, { from: "2026-12-21", to: "2026-12-23", reason: "年假" });
    expect(first).toMatchObject({
      status: 201,
      body: { userId: R3, from: "2026-12-21", to: "2026-12-23", reason: "年假", source: "API", cancelledAt: null },
    });
    const before = await leaveRows();
    const again = await putLeave(R3, { from: "2026-12-21", to: "2026-12-23" });
    expect(again).toMatchObject({ status: 200, body: { id: first.body.id, reason: "年假" } });
    expect(await leaveRows()).toEqual(before);
  });

  it("refuses bad input with 400 and a clear message, storing nothing", async () => {
    const before = await leaveRows();
    const cases: [unknown, RegExp][] = [
      [{ from: "2026-12-23", to: "2026-12-21" }, /结束日期 2026-12-21 早于开始日期 2026-12-23/],
      [{ from: "2026-02-30", to: "2026-03-02" }, /日期「2026-02-30」无效/],
      [{ from: "next monday", to: "2026-12-21" }, /请求体无效/],
      [{ from: "2026-12-22", to: "2026-12-28" }, /与已登记的休假（2026-12-21 至 2026-12-23）重叠/],
      [{ from: "2026-12-01", to: "2028-01-01" }, /超过一年/],
      [{ from: "2029-01-01", to: "2029-01-02" }, /距今天（2026-12-04）超过一年/],
      [{ from: "2026-12-28", to: "2026-12-29", days: 2 }, /请求体无效/],
    ];
    for (const [body, message] of cases) {
      const res = await putLeave(R3, body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.error?.message, JSON.stringify(body)).toMatch(message);
    }
    expect(await leaveRows()).toEqual(before);
  });

  it("of overlapping requests sent at once, exactly one is stored", async () => {
    const ranges = ["2027-01-04", "2027-01-05", "2027-01-06", "2027-01-07"].map((from) => ({ from, to: "2027-01-08" }));
    const answers = await Promise.all(ranges.map((r) => putLeave(R2, r)));
    expect(answers.map((a) => a.status).sort()).toEqual([201, 400, 400, 400]);
    expect(await liveLeaves(R2)).toHaveLength(1);
    const stored = answers.find((a) => a.status === 201)!;
    expect(await deleteLeave(R2, `?from=${String(stored.body.from)}`)).toMatchObject({ status: 200 });
  });

  it("answers 404 for an unknown person and 401 without the token, storing nothing", async () => {
    const before = await leaveRows();
    const unknown = await putLeave("nobody", { from: "2026-12-21", to: "2026-12-23" });
    expect(unknown).toMatchObject({ status: 404, body: { error: { message: "员工 nobody 不存在" } } });
    expect((await deleteLeave("nobody")).status).toBe(404);
    const anonymous = await fetch(
      `${svc.url}/api/staff/${R3}/leave`,
      json("PUT", { from: "2027-01-04", to: "2027-01-05" }),
    );
    expect(anonymous.status).toBe(401);
    expect(await leaveRows()).toEqual(before);
  });

  it("DELETE cancels the leave named by ?from=, or else the current or next one; 404 when there is none", async () => {
    expect((await putLeave(R3, { from: "2026-12-28", to: "2026-12-30" })).status).toBe(201);
    expect((await putLeave(R3, { from: "2026-11-30", to: "2026-12-01" })).status).toBe(201); // past: admins may
    const named = await deleteLeave(R3, "?from=2026-12-28");
    expect(named).toMatchObject({ status: 200, body: { from: "2026-12-28", to: "2026-12-30" } });
    expect(named.body.cancelledAt).toEqual(expect.any(String));
    const next = await deleteLeave(R3); // 11-30..12-01 has ended: the next one is 12-21..12-23
    expect(next).toMatchObject({ status: 200, body: { from: "2026-12-21", to: "2026-12-23" } });
    expect(await liveLeaves(R3)).toEqual([{ range: "2026-11-30..2026-12-01", reason: null, source: "API" }]);
    const before = await leaveRows();
    const none = await deleteLeave(R3);
    expect(none).toMatchObject({ status: 404, body: { error: { message: expect.stringMatching(/没有今天/) } } });
    expect((await deleteLeave(R3, "?from=2026-12-28")).status).toBe(404); // already cancelled
    expect((await deleteLeave(R3, "?from=12-28")).status).toBe(400);
    expect(await leaveRows()).toEqual(before);
    // A cancelled range is free again.
    expect((await putLeave(R3, { from: "2026-12-22", to: "2026-12-24" })).status).toBe(201);
  });
});

describe("chat", () => {
  const reply = (text: string) => say(emulator(), LI, text);

  it("records 「下周休假」, 「12月14日到12月18日请假」 and 「12/21-12/23 年假」, echoing the dates", async () => {
    expect(await reply("下周休假")).toBe("已记录你的休假：12月7日（周一）至12月11日（周五），期间不会提醒你填报。");
    expect(await reply("12月14日到12月18日请假")).toBe(
      "已记录你的休假：12月14日（周一）至12月18日（周五），期间不会提醒你填报。",
    );
    expect(await reply("12/21-12/23 年假")).toBe(
      "已记录你的休假：12月21日（周一）至12月23日（周三），期间不会提醒你填报。",
    );
    expect(await liveLeaves(LI)).toEqual([
      { range: "2026-12-07..2026-12-11", reason: null, source: "CHAT" },
      { range: "2026-12-14..2026-12-18", reason: null, source: "CHAT" },
      { range: "2026-12-21..2026-12-23", reason: "年假", source: "CHAT" },
    ]);
  });

  it("answers dates it cannot use with why, storing nothing", async () => {
    const before = await leaveRows();
    expect(await reply("2月30日请假")).toBe("日期「2月30日」不存在，请检查日期。");
    expect(await reply("12月1日到12月2日请假")).toMatch(/^12月1日（周二）至12月2日（周三）已经过去或已开始/);
    expect(await reply("我要请假")).toMatch(/^没看懂休假的日期。/);
    expect(await reply("12月10日请假")).toMatch(/与已登记的休假（2026-12-07 至 2026-12-11）重叠/);
    expect(await leaveRows()).toEqual(before);
  });

  it("leaves a message with a figure to progress: 「本周完成8万」 is a report, not leave", async () => {
    const before = await leaveRows();
    expect(await reply("本周完成8万")).toMatch(/^已记录：.*8万/);
    expect(await reply("本周完成8万，下周休假")).toMatch(/^已记录：.*8万/);
    expect(await leaveRows()).toEqual(before);
    const reported = await svc.db.prisma.progressEntry.count({ where: { userId: LI, planId } });
    expect(reported).toBeGreaterThan(0);
  });

  it("「明天请假」 records one day, 「取消休假」 cancels the next one with an echo, and help lists leave", async () => {
    expect(await reply("明天请假")).toBe("已记录你的休假：12月5日（周六），期间不会提醒你填报。");
    expect(await reply("取消休假")).toBe("已取消你的休假：12月5日（周六）。");
    expect((await liveLeaves(LI)).map((l) => l.range)).toEqual([
      "2026-12-07..2026-12-11",
      "2026-12-14..2026-12-18",
      "2026-12-21..2026-12-23",
    ]);
    // Help lists reporting progress first (what people ask about most), though leave's intents are tried first.
    const help = await reply("帮助");
    expect(help.startsWith("直接回复本期完成情况即可")).toBe(true);
    expect(help).toContain("下周休假");
    // The progress parser would refuse 「12.28」 as a fraction of a yuan: leave is tried first and takes it.
    expect(await reply("12.28-12.30请假")).toBe(
      "已记录你的休假：12月28日（周一）至12月30日（周三），期间不会提醒你填报。",
    );
  });
});

describe("jobs skip people on leave", () => {
  it("weekly-prompt and progress-reminder skip a rep away all the week's workdays, not one away part of it", async () => {
    // 李娜 (chat above) is away all of W50; r11003 only Monday–Wednesday of it; r11002 is at work.
    expect((await putLeave(R3, { from: "2026-12-07", to: "2026-12-09" })).status).toBe(201);
    await runJob("weekly-prompt", "2026-12-11T16:00:00+08:00");
    expect(cardsOf(LI, `prg.${planId}.2026-W50.`)).toHaveLength(0);
    expect(cardsOf(R2, `prg.${planId}.2026-W50.`)).toHaveLength(1);
    expect(cardsOf(R3, `prg.${planId}.2026-W50.`)).toHaveLength(1);

    await runJob("progress-reminder", "2026-12-14T10:00:00+08:00");
    const reminded = (u: string) => textsOf(u).filter((t) => t.includes("进度填报提醒")).length;
    expect([reminded(LI), reminded(R2), reminded(R3)]).toEqual([0, 1, 1]);
  });

  it("confirm-reminder waits while the owner is away and reminds them once back", async () => {
    const reminded = (u: string) => textsOf(u).filter((t) => t.includes("目标确认提醒")).length;
    await runJob("confirm-reminder", "2026-12-08T10:00:00+08:00"); // 李娜 away 12-07..12-11
    expect([reminded(LI), reminded(R2), reminded(R3)]).toEqual([0, 1, 0]); // r11003 away 12-07..12-09
    await runJob("confirm-reminder", "2026-12-10T10:00:00+08:00");
    expect([reminded(LI), reminded(R2), reminded(R3)]).toEqual([0, 1, 1]);
    await runJob("confirm-reminder", "2026-12-25T10:00:00+08:00"); // 李娜 back (12-24 free)
    expect(reminded(LI)).toBe(1);
  });
});
