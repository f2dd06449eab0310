import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DIRECTOR_ID } from "../../src/demo/reference-org.ts";
import { cardsIn, robotTexts } from "../helpers/chat.ts";
import { jsonInit } from "../helpers/plan-api.ts";
import { publishedSmallPlan, SMALL_PLAN_REPS, type SmallPlan } from "../helpers/small-plan.ts";
import { startTestService, type TestService } from "../helpers/test-service.ts";

/*
 * The daily approval-reminder job (docs/domain.md "Change approval"), run through POST /api/jobs/approval-reminder/run
 * against the real service, the emulator and the real stream client, with the clock injected: one reminder per
 * step attempt after 1 workday, the step moved up to the approver's manager after 3 (never auto-approved),
 * holidays not counted, a leaver's request withdrawn and a stale one ended before anyone is reminded of it.
 * Each scenario ends its request before the next starts, so each run's counts are about one request.
 */

const shanghai = (local: string) => new Date(`${local}+08:00`);
let clock = shanghai("2026-04-15T09:00:00");
let svc: TestService;
let plan: SmallPlan;
const [LINA, WANG, HU] = SMALL_PLAN_REPS;
const MANAGER = "m11";
const emulator = () => svc.deps.emulator!;
const cardsOf = (userId: string, requestId: string) => cardsIn(emulator(), userId, `apr.${requestId}.`);
const texts = (userId: string, needle: string) => robotTexts(emulator(), userId).filter((t) => t.includes(needle));
const REMINDER = "【审批提醒】";
const NONE = { withdrawn: 0, stale: 0, reminded: 0, movedUp: 0, routed: 0 };

interface RunResult {
  ran: boolean;
  result?: { withdrawn: number; stale: number; reminded: number; movedUp: number };
}
interface RequestJson {
  id: string;
  status: string;
  statusNote: string | null;
  currentApproverUserId: string | null;
  steps: { level: number; approverUserId: string; status: string; handedOver: { userId: string; name: string }[] }[];
}

const runJob = async (local: string): Promise<RunResult> => {
  clock = shanghai(local);
  const res = await svc.api("/api/jobs/approval-reminder/run", jsonInit("POST", { at: `${local}+08:00` }));
  expect(res.status, await res.clone().text()).toBe(200);
  await svc.dingtalk!.outbox.drain();
  return (await res.json()) as RunResult;
};
const submit = async (local: string, targetId: string, requesterUserId: string, reason: string) => {
  clock = shanghai(local);
  const amount = BigInt(
    (await svc.db.sql.query<{ amount: string }>("SELECT amount::text FROM target WHERE id = $1", [targetId]))[0]!
      .amount,
  );
  // −3 %: the direct manager (m11) alone approves.
  const proposedAmount = (amount - (amount * 3n) / 100n).toString();
  const res = await svc.api(
    "/api/change-requests",
    jsonInit("POST", { targetId, requesterUserId, proposedAmount, reason }),
  );
  expect(res.status, await res.clone().text()).toBe(201);
  await svc.dingtalk!.outbox.drain();
  return (await res.json()) as RequestJson;
};
const getRequest = async (id: string) => (await (await svc.api(`/api/change-requests/${id}`)).json()) as RequestJson;
const click = async (outTrackId: string, userId: string, params: Record<string, unknown>) => {
  const res = await emulator().clickCard(outTrackId, userId, params, String(params.action));
  await svc.dingtalk!.outbox.drain();
  return res;
};
const outboxCount = async () =>
  Number((await svc.db.sql.query<{ n: number }>("SELECT count(*)::int AS n FROM outbox_message"))[0]!.n);
/** Targets (amounts, versions), the plan total and the ledger, for "nothing else changed". */
const snapshot = async () => ({
  targets: await svc.db.sql.query(
    "SELECT id, amount::text, version, state FROM target WHERE plan_id = $1 ORDER BY id",
    [plan.planId],
  ),
  total: await svc.db.sql.query("SELECT total::text FROM plan WHERE id = $1", [plan.planId]),
  ledger: await svc.db.sql.query("SELECT count(*)::int AS n FROM target_ledger"),
});

beforeAll(async () => {
  svc = await startTestService({ DINGTALK_QPS: "500" }, { sandbox: { demo: false }, now: () => clock });
  plan = await publishedSmallPlan(svc);
}, 120_000);
afterAll(() => svc?.close());

describe("the approval-reminder job", () => {
  let requestId = "";
  let holidayRequest = "";

  it("submitted Wednesday: Thursday 10:00 one reminder to the manager; a rerun and Friday send nothing new", async () => {
    const r = await submit("2026-04-15T09:30:00", plan.leafIds[0]!, LINA, "大客户流失");
    requestId = r.id;
    expect(r.currentApproverUserId).toBe(MANAGER);

    expect((await runJob("2026-04-16T10:00:00")).result).toEqual({
      withdrawn: 0,
      stale: 0,
      reminded: 1,
      movedUp: 0,
      routed: 0,
    });
    const [reminder, ...more] = texts(MANAGER, REMINDER);
    expect(more).toHaveLength(0);
    expect(reminder).toContain("李娜 申请调整「李娜」");
    expect(reminder).toMatch(/520万 → 504\.4万（-15\.6万，-3(\.0)?%）/);
    expect(reminder).toContain("4月15日 09:30 起待你审批，已等待 1 个工作日");
    expect(reminder).toContain("请在审批卡片上处理");

    const before = await outboxCount();
    expect((await runJob("2026-04-16T15:00:00")).ran).toBe(false); // the day's run is done
    expect((await runJob("2026-04-17T10:00:00")).result).toEqual({
      withdrawn: 0,
      stale: 0,
      reminded: 0,
      movedUp: 0,
      routed: 0,
    });
    expect(await outboxCount()).toBe(before);
    expect(texts(MANAGER, REMINDER)).toHaveLength(1);
    expect(cardsOf(DIRECTOR_ID, requestId)).toHaveLength(0);
  });

  it("Monday (3 workdays): the step moves up to the director; the manager's old card is 已转交 and a click on it changes nothing", async () => {
    expect((await runJob("2026-04-20T10:00:00")).result).toEqual({
      withdrawn: 0,
      stale: 0,
      reminded: 0,
      movedUp: 1,
      routed: 0,
    });
    const r = await getRequest(requestId);
    expect(r).toMatchObject({ status: "PENDING", currentApproverUserId: DIRECTOR_ID });
    expect(r.steps).toEqual([
      expect.objectContaining({
        level: 1,
        approverUserId: DIRECTOR_ID,
        status: "PENDING",
        handedOver: [expect.objectContaining({ userId: MANAGER, name: "王伟" })],
      }),
    ]);
    const [directorCard, ...moreDirector] = cardsOf(DIRECTOR_ID, requestId);
    expect(moreDirector).toHaveLength(0);
    expect(directorCard!.outTrackId).toBe(`apr.${requestId}.L1.A2`);
    expect(directorCard!.privateData).toMatchObject({ canAct: "true" });
    expect(directorCard!.publicData.historyText).toContain("王伟 超过3个工作日未处理，已转交 王建国");
    const [old] = cardsOf(MANAGER, requestId);
    expect(old!.outTrackId).toBe(`apr.${requestId}.L1.A1`);
    expect(old!.publicData).toMatchObject({
      status: "reassigned",
      statusText: "超过3个工作日未处理，已转交 王建国 审批",
    });
    expect(texts(MANAGER, "已转交王建国审批，你无需再处理")).toHaveLength(1);
    expect(texts(LINA, "王伟超过3个工作日未处理，已转交王建国审批")).toHaveLength(1);

    const unchanged = await snapshot();
    const late = await click(old!.outTrackId, MANAGER, { action: "approve", comment: "同意" });
    expect(late.status).toBe("applied");
    expect(JSON.stringify(late.status === "applied" && late.response)).toContain("已超时转交王建国");
    expect(await snapshot()).toEqual(unchanged);
    expect((await getRequest(requestId)).currentApproverUserId).toBe(DIRECTOR_ID);
  });

  it("the director approves on the new card: the change applies as usual", async () => {
    clock = shanghai("2026-04-20T11:00:00");
    const [card] = cardsOf(DIRECTOR_ID, requestId);
    const ok = await click(card!.outTrackId, DIRECTOR_ID, { action: "approve", comment: "同意" });
    expect(ok.status).toBe("applied");
    const r = await getRequest(requestId);
    expect(r.status).toBe("APPROVED");
    expect(r.steps[0]).toMatchObject({ approverUserId: DIRECTOR_ID, status: "APPROVED" });
    expect(texts(LINA, "已审批通过并生效")).toHaveLength(1);
    expect(cardsIn(emulator(), LINA, `tgt.${plan.leafIds[0]}.v2.`)).toHaveLength(1);
  });

  it("Thursday before May Day: the holiday does not count — reminded Wednesday 05-06, moved up Friday 05-08", async () => {
    const r = await submit("2026-04-30T16:00:00", plan.leafIds[1]!, WANG, "渠道调整");
    holidayRequest = r.id;
    const other = await submit("2026-04-30T17:00:00", plan.leafIds[2]!, HU, "客户转移");
    // An admin's run on a holiday: no workday has passed.
    expect((await runJob("2026-05-05T10:00:00")).result).toEqual(NONE);
    const before = texts(MANAGER, REMINDER).length;
    // Both requests wait for the manager: one message lists both (reminded counts approvers).
    expect((await runJob("2026-05-06T10:00:00")).result).toEqual({ ...NONE, reminded: 1 });
    const batched = texts(MANAGER, REMINDER).slice(before);
    expect(batched).toHaveLength(1);
    expect(batched[0]).toContain("你有 2 项目标调整申请等待审批");
    expect(batched[0]).toContain("赵涛 申请调整「赵涛」");
    expect(batched[0]).toContain("4月30日 16:00 起待你审批，已等待 1 个工作日");
    expect(batched[0]).toContain("胡玉兰 申请调整「胡玉兰」");
    const cancel = await svc.api(`/api/change-requests/${other.id}/cancel`, jsonInit("POST", {}));
    expect(cancel.status).toBe(200);
    await svc.dingtalk!.outbox.drain();
    expect((await runJob("2026-05-07T10:00:00")).result).toEqual(NONE);
    expect((await runJob("2026-05-08T10:00:00")).result).toEqual({ ...NONE, movedUp: 1 });
    expect((await getRequest(r.id)).currentApproverUserId).toBe(DIRECTOR_ID);
  });

  it("nobody above the director (the plan owner already had it): the step stays with them, reminded every workday, never approved", async () => {
    // Saturday 05-09 is a make-up workday: 1 workday since the step reached the director on Friday.
    expect((await runJob("2026-05-09T10:00:00")).result).toEqual({ ...NONE, reminded: 1 });
    expect((await runJob("2026-05-11T10:00:00")).result).toEqual(NONE);
    expect((await runJob("2026-05-12T10:00:00")).result).toEqual({ ...NONE, reminded: 1 });
    expect((await runJob("2026-05-13T10:00:00")).result).toEqual({ ...NONE, reminded: 1 });
    expect(texts(DIRECTOR_ID, "赵涛 申请调整")).toHaveLength(3);
    expect(await getRequest(holidayRequest)).toMatchObject({
      status: "PENDING",
      currentApproverUserId: DIRECTOR_ID,
      steps: [expect.objectContaining({ status: "PENDING" })],
    });
    const cancel = await svc.api(`/api/change-requests/${holidayRequest}/cancel`, jsonInit("POST", {}));
    expect(cancel.status).toBe(200);
    await svc.dingtalk!.outbox.drain();
  });

  it("a requester who left: WITHDRAWN at the next run, the approver told, the card 已撤回, nothing else changed", async () => {
    const r = await submit("2026-05-18T09:00:00", plan.leafIds[2]!, HU, "客户转移");
    await svc.db.sql.query("UPDATE staff SET active = false WHERE user_id = $1", [HU]);
    const remindersOfHu = texts(MANAGER, "胡玉兰 申请调整").length;
    const unchanged = await snapshot();
    expect((await runJob("2026-05-19T10:00:00")).result).toEqual({
      withdrawn: 1,
      stale: 0,
      reminded: 0,
      movedUp: 0,
      routed: 0,
    });
    expect(await getRequest(r.id)).toMatchObject({ status: "WITHDRAWN", statusNote: "申请人已离职，申请自动撤回" });
    expect(texts(MANAGER, "已离职，其目标调整申请「胡玉兰」")).toHaveLength(1);
    const [card] = cardsOf(MANAGER, r.id);
    expect(card!.publicData).toMatchObject({ status: "withdrawn", statusText: "申请人已离职，申请自动撤回" });
    expect(texts(MANAGER, "胡玉兰 申请调整")).toHaveLength(remindersOfHu); // only the one from May
    expect(await snapshot()).toEqual(unchanged);
  });

  it("a request whose target got a new version: STALE at the next run, the requester told, nobody reminded", async () => {
    const r = await submit("2026-05-19T11:00:00", plan.leafIds[0]!, LINA, "再调一次");
    // A new version of the target made some other way (another approved change, a plan edit) bumps its version;
    // the request's stored effects name the version it was planned on, which is what isStale compares.
    await svc.db.sql.query("UPDATE target SET version = version + 1 WHERE id = $1", [plan.leafIds[0]]);
    const reminders = texts(MANAGER, REMINDER).length;
    // Two workdays later a reminder would be due, were the request still current.
    expect((await runJob("2026-05-21T10:00:00")).result).toEqual({
      withdrawn: 0,
      stale: 1,
      reminded: 0,
      movedUp: 0,
      routed: 0,
    });
    expect((await getRequest(r.id)).status).toBe("STALE");
    expect(texts(LINA, "已失效：目标在申请后已有新版本")).toHaveLength(1);
    expect(cardsOf(MANAGER, r.id)[0]!.publicData).toMatchObject({ status: "stale" });
    expect(texts(MANAGER, REMINDER)).toHaveLength(reminders);
  });

  it("a dispute stored before routing existed (no steps) is routed at the next run; one that no longer can be is withdrawn", async () => {
    // Rows as the 有异议 of the release before approval left them: PENDING, no steps, no planned effects.
    const bare = async (id: string, targetId: string, requester: string, version: number | null) => {
      const [t] = await svc.db.sql.query<{ amount: string; version: number }>(
        "SELECT amount::text, version FROM target WHERE id = $1",
        [targetId],
      );
      await svc.db.sql.query(
        `INSERT INTO change_request (id, plan_id, target_id, target_version, kind, requester_user_id, reason,
                                     current_amount, proposed_amount, created_at)
         VALUES ($1, $2, $3, $4, 'DISPUTE', $5, '客户预算削减', $6::int8, $6::int8 - 1000, '2026-05-20T01:00:00Z')`,
        [id, plan.planId, targetId, version ?? t!.version, requester, t!.amount],
      );
    };
    const routedId = "00000000-0000-4000-8000-000000000001";
    const oldId = "00000000-0000-4000-8000-000000000002";
    await bare(routedId, plan.leafIds[0]!, LINA, null);
    await bare(oldId, plan.leafIds[1]!, WANG, 0); // made against a version the target no longer has
    expect((await runJob("2026-05-22T10:00:00")).result).toEqual({ ...NONE, routed: 1, withdrawn: 1 });
    const routed = await getRequest(routedId);
    expect(routed).toMatchObject({ status: "PENDING", currentApproverUserId: MANAGER });
    expect(cardsOf(MANAGER, routedId)).toHaveLength(1);
    expect(texts(LINA, "已送审，等待王伟审批")).toHaveLength(1);
    expect(await getRequest(oldId)).toMatchObject({
      status: "WITHDRAWN",
      statusNote: "无法送审：目标在申请后已有新版本",
    });
    expect(texts(WANG, "无法送审（目标在申请后已有新版本），已撤回")).toHaveLength(1);
    expect(cardsOf(MANAGER, oldId)).toHaveLength(0);
  });
});
