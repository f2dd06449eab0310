import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DIRECTOR_ID } from "../../src/demo/reference-org.ts";
import { formatAmountShort } from "../../src/domain/format-amount.ts";
import { expectedForPeriod } from "../../src/domain/phasing.ts";
import { say } from "../helpers/chat.ts";
import { publishedSmallPlan, SMALL_PLAN_REPS, type SmallPlan } from "../helpers/small-plan.ts";
import { startTestService, type TestService } from "../helpers/test-service.ts";

/*
 * 「我的目标」 / 「进度」 / 「还差多少」 in chat, through the real stream client: this week's target, the figure in force
 * and what is missing, the year to date and the run-rate now needed, without waiting for Friday's card.
 */

const shanghai = (local: string) => new Date(`${local}+08:00`);
const clock = shanghai("2026-04-08T09:00:00"); // Wednesday of W15
let svc: TestService;
let plan: SmallPlan;
const [LINA, ZHAO] = SMALL_PLAN_REPS;
const emulator = () => svc.deps.emulator!;

beforeAll(async () => {
  svc = await startTestService({ DINGTALK_QPS: "500" }, { sandbox: { demo: false }, now: () => clock });
  plan = await publishedSmallPlan(svc);
}, 120_000);
afterAll(() => svc?.close());

/** This week's target of a leaf, by phasing's own rule (what evaluation will judge). */
const weekTarget = async (leafId: string) => {
  const rows = await svc.db.sql.query<{ amount: string }>(
    "SELECT amount::text FROM target_month WHERE target_id = $1 ORDER BY month",
    [leafId],
  );
  return expectedForPeriod(
    rows.map((r) => BigInt(r.amount)),
    2026,
    "2026-W15",
    svc.deps.calendar,
  );
};

describe("asking the bot for one's progress", () => {
  it("「还差多少？」 after a report: the week's target, the figure, what is missing, the year and the run-rate", async () => {
    const target = await weekTarget(plan.leafIds[0]!);
    expect(await say(emulator(), LINA, "本周完成3万")).toContain("已记录");
    const reply = await say(emulator(), LINA, "还差多少？");
    expect(reply).toContain("华东小计划：全年目标 520万");
    expect(reply).toContain(`本周（W15）目标 ${formatAmountShort(target)}，已报 3万`);
    expect(reply).toContain(`还差 ${formatAmountShort(target - 30_000n)}`);
    expect(reply).toMatch(/年度累计（本期之前）：完成 0 \/ 应完成 .+\n要完成全年目标，此后每周需完成 .+/);
  });

  it("「我的目标」 before any report says so; someone with no target is told that instead", async () => {
    const target = await weekTarget(plan.leafIds[1]!);
    expect(await say(emulator(), ZHAO, "我的目标")).toContain(
      `本周（W15）目标 ${formatAmountShort(target)}，还没有填报`,
    );
    expect(await say(emulator(), DIRECTOR_ID, "进度")).toBe("你目前没有已发布的目标。");
    // A figure is still a report, not a question.
    expect(await say(emulator(), ZHAO, "本周完成2万")).toContain("已记录");
  });
});
