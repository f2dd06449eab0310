import ExcelJS from "exceljs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DIRECTOR_ID } from "../../src/demo/reference-org.ts";
import type { CardClickResult } from "../../src/dingtalk/emulator/emulator-types.ts";
import { cardsIn, robotTexts } from "../helpers/chat.ts";
import { jsonInit } from "../helpers/plan-api.ts";
import { publishedSmallPlan, SMALL_PLAN_REPS, type SmallPlan } from "../helpers/small-plan.ts";
import { startTestService, type TestService } from "../helpers/test-service.ts";

/*
 * Issue 13's "Bad input and edge cases": every refusal of a change request over the API, and every click that is
 * not the current approver's decision on a pending request, answers in Chinese and changes nothing (the tree, the
 * plan total, every request and step row, the ledger). Then SIBLINGS and PARENT applied end to end, and the
 * ledger API showing them with their requests. One published small plan (three 华东 reps under m11, who also owns
 * the plan); the tests run in order and each leaves no request pending.
 */

const shanghai = (local: string) => new Date(`${local}+08:00`);
let svc: TestService;
let plan: SmallPlan;
const [LINA, WANG, ZHAO] = SMALL_PLAN_REPS;
const MANAGER = "m11";
const SOUTH_REP = "r12001"; // 华南: neither owns nor manages a 华东 target
const emulator = () => svc.deps.emulator!;
const drain = () => svc.dingtalk!.outbox.drain();
const q = <T = Record<string, unknown>>(sql: string, params: unknown[] = []) => svc.db.sql.query<T>(sql, params);

interface RequestJson {
  id: string;
  status: string;
  currentApproverUserId: string | null;
  skipped: { userId: string | null; reason: string }[];
  steps: { level: number; role: string; approverUserId: string; status: string }[];
}

/** Every row a change request could touch: equal states mean nothing was written. */
const state = async () => ({
  targets: await q("SELECT * FROM target WHERE plan_id = $1 ORDER BY id", [plan.planId]),
  plan: await q("SELECT id, total::text, status::text, updated_at FROM plan WHERE id = $1", [plan.planId]),
  requests: await q("SELECT * FROM change_request ORDER BY id"),
  steps: await q("SELECT * FROM approval_step ORDER BY request_id, level"),
  ledger: await q("SELECT count(*)::int AS n, coalesce(max(id), 0)::text AS last FROM target_ledger"),
});
const amountOf = async (id: string) =>
  BigInt((await q<{ amount: string }>("SELECT amount::text FROM target WHERE id = $1", [id]))[0]!.amount);
const versionOf = async (id: string) =>
  (await q<{ version: number }>("SELECT version FROM target WHERE id = $1", [id]))[0]!.version;
/** Conservation in one query: every parent equals the sum of its live children, the root the plan total. */
const unconserved = () =>
  q(
    `SELECT p.id FROM target p JOIN target c ON c.parent_id = p.id AND c.state <> 'ARCHIVED'
      WHERE p.plan_id = $1 GROUP BY p.id, p.amount HAVING p.amount <> sum(c.amount)
     UNION ALL SELECT t.id FROM target t JOIN plan pl ON pl.id = t.plan_id
      WHERE t.plan_id = $1 AND t.parent_id IS NULL AND t.amount <> pl.total`,
    [plan.planId],
  );

const post = (path: string, body: Record<string, unknown>) => svc.api(path, jsonInit("POST", body));
async function refused(res: Response, status: number, message: RegExp) {
  const body = (await res.json()) as { error?: { message: string; details?: unknown } };
  expect(res.status, JSON.stringify(body)).toBe(status);
  // The headline, or for a malformed body the field's own message among the details.
  expect(JSON.stringify(body.error)).toMatch(message);
}
async function submit(body: Record<string, unknown>): Promise<RequestJson> {
  const res = await post("/api/change-requests", body);
  expect(res.status, await res.clone().text()).toBe(201);
  await drain();
  return (await res.json()) as RequestJson;
}
const getRequest = async (id: string) => (await (await svc.api(`/api/change-requests/${id}`)).json()) as RequestJson;
const cardOf = (id: string, level: number, userId: string) => {
  const [card, ...more] = cardsIn(emulator(), userId, `apr.${id}.L${level}.`);
  expect(more).toEqual([]);
  return card!.outTrackId;
};
async function click(outTrackId: string, userId: string, params: Record<string, unknown>): Promise<CardClickResult> {
  const res = await emulator().clickCard(outTrackId, userId, params, String(params.action));
  await drain();
  expect(res.status).toBe("applied");
  return res;
}
const said = (r: CardClickResult) => JSON.stringify(r.status === "applied" && r.response);
/** A click that must be refused with `message` and change nothing at all. */
async function clickRefused(outTrackId: string, userId: string, params: Record<string, unknown>, message: string) {
  const before = await state();
  expect(said(await click(outTrackId, userId, params))).toContain(message);
  expect(await state()).toEqual(before);
}
const minus = (amount: bigint, pct: bigint) => amount - (amount * pct) / 100n;

beforeAll(async () => {
  svc = await startTestService(
    { DINGTALK_QPS: "500" },
    { sandbox: { demo: false }, now: () => shanghai("2026-04-01T09:00:00") },
  );
  plan = await publishedSmallPlan(svc);
}, 120_000);
afterAll(() => svc?.close());

describe("POST /api/change-requests refuses bad input, writing nothing", () => {
  it("amounts, reasons, modes, fields, people and targets: 400 / 404 / 409 with a clear Chinese message", async () => {
    const leaf = plan.leafIds[0]!;
    const current = await amountOf(leaf);
    const ok = {
      targetId: leaf,
      requesterUserId: LINA,
      proposedAmount: minus(current, 3n).toString(),
      reason: "客户流失",
    };
    const cases: [string, Record<string, unknown>, number, RegExp][] = [
      ["unparseable amount", { ...ok, proposedAmount: "abc" }, 400, /“abc”不是整数金额/],
      ["zero", { ...ok, proposedAmount: 0 }, 400, /调整后的目标必须大于0/],
      ["negative", { ...ok, proposedAmount: "-5" }, 400, /金额不能为负数/],
      ["equal to the current one", { ...ok, proposedAmount: current.toString() }, 400, /与当前目标相同/],
      [
        "SIBLINGS making a sibling negative",
        { ...ok, proposedAmount: (current * 3n + 2n).toString(), rebalance: "SIBLINGS" },
        400,
        /同级目标不够分摊/,
      ],
      [
        "reason missing",
        { targetId: leaf, requesterUserId: LINA, proposedAmount: ok.proposedAmount },
        400,
        /请填写调整原因/,
      ],
      ["reason empty", { ...ok, reason: "   " }, 400, /请填写调整原因/],
      ["reason over 500 characters", { ...ok, reason: "流".repeat(501) }, 400, /调整原因最多500字，现在有501字/],
      ["another region's rep", { ...ok, requesterUserId: SOUTH_REP }, 409, /你既不是.*负责人，也不是.*的上级/],
      ["unknown target", { ...ok, targetId: "no-such-target" }, 404, /目标 no-such-target 不存在/],
      ["unknown requester", { ...ok, requesterUserId: "nobody" }, 404, /申请人 nobody 不在通讯录中/],
      [
        "the root (not a leaf)",
        { ...ok, targetId: plan.rootTargetId, requesterUserId: MANAGER },
        400,
        /已拆分到下级，请对具体的下级目标申请调整/,
      ],
      ["an unknown field", { ...ok, approver: MANAGER }, 400, /approver/],
      [
        "rebalance not one of three",
        { ...ok, rebalance: "EVERYONE" },
        400,
        /rebalance 只能是 RESERVE、SIBLINGS 或 PARENT/,
      ],
    ];
    const before = await state();
    for (const [what, body, status, message] of cases) {
      await refused(await post("/api/change-requests", body), status, message).catch((err: Error) => {
        throw new Error(`${what}: ${err.message}`);
      });
    }
    expect(await state()).toEqual(before);
  });

  it("SIBLINGS when every sibling is locked: 400, nothing written", async () => {
    const created = await post("/api/plans", {
      name: "锁定计划",
      fiscalYear: 2026,
      total: 3_000_000,
      ownerUserId: MANAGER,
    });
    expect(created.status).toBe(201);
    const locked = (await created.json()) as { id: string; rootTargetId: string };
    const split = await post(`/api/plans/${locked.id}/splits`, {
      parentTargetId: locked.rootTargetId,
      dimension: "OWNER",
      method: "MANUAL",
      children: SMALL_PLAN_REPS.map((userId, i) => ({
        key: userId,
        ownerUserId: userId,
        coOwnerUserIds: [MANAGER],
        amount: 1_000_000,
        locked: i > 0,
      })),
    });
    expect(split.status, await split.clone().text()).toBe(201);
    const { children } = (await split.json()) as { children: { id: string; key: string }[] };
    expect((await post(`/api/plans/${locked.id}/phasing`, { profile: "EQUAL" })).status).toBe(200);
    const published = await svc.api(`/api/plans/${locked.id}/publish`, { method: "POST" });
    expect(published.status, await published.clone().text()).toBe(200);
    await drain();
    const lockedTree = () => q("SELECT * FROM target WHERE plan_id = $1 ORDER BY id", [locked.id]);
    const before = { ...(await state()), lockedTree: await lockedTree() };
    const body = {
      targetId: children.find((c) => c.key === LINA)!.id,
      requesterUserId: LINA,
      proposedAmount: 900_000,
      reason: "客户流失",
      rebalance: "SIBLINGS",
    };
    await refused(await post("/api/change-requests", body), 400, /没有未锁定的同级目标可以分摊这次调整/);
    expect({ ...(await state()), lockedTree: await lockedTree() }).toEqual(before);
  });

  it("a second pending request for the same target is refused (409); cancel by another user or twice is 409", async () => {
    const leaf = plan.leafIds[0]!;
    const proposed = minus(await amountOf(leaf), 3n).toString();
    const first = await submit({ targetId: leaf, requesterUserId: LINA, proposedAmount: proposed, reason: "客户流失" });
    let before = await state();
    // The manager asking too is a second request for the same target.
    const again = { targetId: leaf, requesterUserId: MANAGER, proposedAmount: proposed, reason: "同一个目标" };
    await refused(await post("/api/change-requests", again), 409, /已有一项待审批的调整申请/);
    await refused(
      await post(`/api/change-requests/${first.id}/cancel`, { userId: WANG }),
      409,
      /只有申请人.*可以撤回这项申请/,
    );
    await refused(
      await post("/api/change-requests/no-such-id/cancel", { userId: LINA }),
      404,
      /调整申请 no-such-id 不存在/,
    );
    expect(await state()).toEqual(before);

    const cancelled = await post(`/api/change-requests/${first.id}/cancel`, { userId: LINA });
    expect(cancelled.status).toBe(200);
    expect(await cancelled.json()).toMatchObject({ status: "WITHDRAWN", currentApproverUserId: null });
    await drain();
    expect(robotTexts(emulator(), MANAGER).some((t) => t.includes("已撤回目标调整申请"))).toBe(true);
    before = await state();
    await refused(await post(`/api/change-requests/${first.id}/cancel`, { userId: LINA }), 409, /已撤回，不能撤回/);
    expect(await state()).toEqual(before);
  });
});

describe("clicks that are not the current approver's decision on a pending request change nothing", () => {
  it("anyone else, the requester, a repeated click, a click on a withdrawn request", async () => {
    const leaf = plan.leafIds[1]!;
    const r = await submit({
      targetId: leaf,
      requesterUserId: WANG,
      proposedAmount: minus(await amountOf(leaf), 10n).toString(),
      reason: "渠道调整",
    });
    expect(r.steps.map((s) => s.approverUserId)).toEqual([MANAGER, DIRECTOR_ID]);
    const first = cardOf(r.id, 1, MANAGER);
    await clickRefused(first, LINA, { action: "approve" }, "只有审批人");
    await clickRefused(first, WANG, { action: "approve" }, "只有审批人"); // the requester themself
    await clickRefused(first, DIRECTOR_ID, { action: "approve" }, "只有审批人"); // a later approver, too early

    expect(said(await click(first, MANAGER, { action: "approve", comment: "可以" }))).not.toContain("未生效");
    expect((await getRequest(r.id)).currentApproverUserId).toBe(DIRECTOR_ID);
    // The same click again is a duplicate (the inbound dedupe key: card, user, action and params); any other
    // click reaches the flow, which finds the step decided.
    await clickRefused(first, MANAGER, { action: "approve", comment: "可以" }, "已处理，无需重复操作");
    await clickRefused(first, MANAGER, { action: "approve" }, "你已于");
    await clickRefused(first, MANAGER, { action: "reject", comment: "改主意了" }, "你已于");
    const second = cardOf(r.id, 2, DIRECTOR_ID);
    await clickRefused(second, MANAGER, { action: "approve" }, "只有审批人");

    const told = (who: string) => robotTexts(emulator(), who).filter((t) => t.includes("已撤回目标调整申请")).length;
    const toldBefore = [told(MANAGER), told(DIRECTOR_ID)];
    const cancelled = await post(`/api/change-requests/${r.id}/cancel`, { userId: WANG });
    expect(cancelled.status).toBe(200);
    await drain();
    // Both approvers who had it are told once; the director's card shows it is withdrawn, without buttons.
    expect([told(MANAGER), told(DIRECTOR_ID)]).toEqual(toldBefore.map((n) => n + 1));
    const withdrawnCard = emulator().getCard(second);
    expect(JSON.stringify(withdrawnCard)).toContain('"status":"withdrawn"');
    await clickRefused(second, DIRECTOR_ID, { action: "approve" }, "这项申请已撤回，无需再操作");
    await refused(await post(`/api/change-requests/${r.id}/cancel`, {}), 409, /已撤回，不能撤回/);
  });

  it("a click on a decided (rejected) request's card, and on a stale request's card", async () => {
    const leaf = plan.leafIds[2]!;
    const body = {
      targetId: leaf,
      requesterUserId: ZHAO,
      proposedAmount: minus(await amountOf(leaf), 3n).toString(),
      reason: "客户流失",
    };
    const rejected = await submit(body);
    const card = cardOf(rejected.id, 1, MANAGER);
    await click(card, MANAGER, { action: "reject", comment: "先再跟进一个月" });
    expect((await getRequest(rejected.id)).status).toBe("REJECTED");
    await clickRefused(card, MANAGER, { action: "approve" }, "这项申请已驳回，无需再操作");

    // A new request, then the target reassigned by an import: the first click finds it stale, the next one
    // finds a stale request and changes nothing.
    const stale = await submit(body);
    await reassignCoOwner(leaf, `${MANAGER}, r11005`);
    const staleCard = cardOf(stale.id, 1, MANAGER);
    expect(said(await click(staleCard, MANAGER, { action: "approve" }))).toContain('"status":"stale"');
    expect((await getRequest(stale.id)).status).toBe("STALE");
    await clickRefused(staleCard, MANAGER, { action: "reject", comment: "不同意" }, "这项申请已失效，无需再操作");
  });
});

/** Exports the plan, sets `coOwners` on the row of `targetId`, and imports it (a people change: a new version). */
async function reassignCoOwner(targetId: string, coOwners: string) {
  const res = await svc.api(`/api/plans/${plan.planId}/export.xlsx`);
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.load(await res.arrayBuffer());
  wb.getWorksheet("目标 targets")!.eachRow((row) => {
    if (row.getCell(1).text === targetId) row.getCell(9).value = coOwners;
  });
  const imported = await svc.api(`/api/plans/${plan.planId}/import`, {
    method: "POST",
    body: Buffer.from(await wb.xlsx.writeBuffer()),
  });
  expect(imported.status, await imported.clone().text()).toBe(200);
}

describe("GET /api/change-requests", () => {
  it("filters by plan and status (case-insensitive); a bad status is 400, an unknown plan or request 404", async () => {
    const list = async (query: string) => svc.api(`/api/change-requests?${query}`);
    const res = await list(`planId=${plan.planId}&status=withdrawn`);
    expect(res.status).toBe(200);
    const { changeRequests } = (await res.json()) as { changeRequests: RequestJson[] };
    expect(changeRequests.map((r) => r.status)).toEqual(["WITHDRAWN", "WITHDRAWN"]);
    const all = (await (await list(`planId=${plan.planId}`)).json()) as { changeRequests: RequestJson[] };
    expect(all.changeRequests.map((r) => r.status).sort()).toEqual(["REJECTED", "STALE", "WITHDRAWN", "WITHDRAWN"]);
    await refused(await list("status=MAYBE"), 400, /status 只能是 PENDING、APPROVED、REJECTED、STALE 或 WITHDRAWN/);
    for (const bad of ["0", "1001", "2.5", "many"])
      await refused(await list(`limit=${bad}`), 400, /limit 必须是 1 到 1000 的整数/);
    await refused(await list("planId=no-such-plan"), 404, /计划 no-such-plan 不存在/);
    await refused(await svc.api("/api/change-requests/no-such-id"), 404, /调整申请 no-such-id 不存在/);
  });
});

describe("GET /api/change-requests pages", () => {
  it("limit=N gives the newest N, each whole, and says there are more; the rest on a bigger page", async () => {
    const page = async (limit: number) =>
      (await (await svc.api(`/api/change-requests?planId=${plan.planId}&limit=${limit}`)).json()) as {
        changeRequests: RequestJson[];
        more: boolean;
      };
    const all = await page(1000);
    expect(all.more).toBe(false);
    expect(all.changeRequests.length).toBeGreaterThanOrEqual(3);
    const two = await page(2);
    expect(two.more).toBe(true);
    expect(two.changeRequests).toEqual(all.changeRequests.slice(0, 2));
    const exact = await page(all.changeRequests.length);
    expect(exact.more).toBe(false);
    // Each request of the list reads as it does alone (the list reads them together).
    for (const r of all.changeRequests) expect(await (await svc.api(`/api/change-requests/${r.id}`)).json()).toEqual(r);
  });
});

describe("SIBLINGS and PARENT applied end to end", () => {
  it("SIBLINGS: the other two reps absorb the difference by largest remainder and each re-confirms", async () => {
    const [leaf, ...siblings] = plan.leafIds as [string, string, string];
    const current = await amountOf(leaf);
    const proposed = minus(current, 3n) - 1n; // an odd difference: one sibling takes the extra yuan
    const before = await Promise.all(
      siblings.map(async (id) => ({ amount: await amountOf(id), version: await versionOf(id) })),
    );
    const r = await submit({
      targetId: leaf,
      requesterUserId: LINA,
      proposedAmount: proposed.toString(),
      reason: "大客户流失",
      rebalance: "SIBLINGS",
    });
    await click(cardOf(r.id, 1, MANAGER), MANAGER, { action: "approve" });
    expect((await getRequest(r.id)).status).toBe("APPROVED");
    expect(await amountOf(leaf)).toBe(proposed);
    const diff = current - proposed;
    const gains = await Promise.all(siblings.map(async (id, i) => (await amountOf(id)) - before[i]!.amount));
    expect(gains.reduce((a, b) => a + b, 0n)).toBe(diff);
    expect(gains.map((g) => g - diff / 2n).sort()).toEqual([0n, 1n]);
    expect(await unconserved()).toEqual([]);
    expect(await q("SELECT id FROM target WHERE plan_id = $1 AND reserve", [plan.planId])).toEqual([]);
    // Each sibling's owner gets the new version's target card to re-confirm.
    for (const [i, id] of siblings.entries()) {
      const owner = SMALL_PLAN_REPS[i + 1]!;
      expect(await versionOf(id)).toBe(before[i]!.version + 1);
      expect(cardsIn(emulator(), owner, `tgt.${id}.`).map((c) => c.outTrackId)).toContain(
        `tgt.${id}.v${before[i]!.version + 1}.${owner}`,
      );
    }
  });

  it("PARENT: the root and the plan total change; tier 3 with the plan owner (m11) as the manager step", async () => {
    const leaf = plan.leafIds[1]!;
    const current = await amountOf(leaf);
    const [{ total }] = (await q<{ total: string }>("SELECT total::text FROM plan WHERE id = $1", [plan.planId])) as [
      { total: string },
    ];
    const proposed = minus(current, 3n);
    const r = await submit({
      targetId: leaf,
      requesterUserId: WANG,
      proposedAmount: proposed.toString(),
      reason: "区域合并",
      rebalance: "PARENT",
    });
    // −3 % would be one step, but changing the plan total always needs the plan owner: m11 already approves as
    // the manager, so the director is the second step and the plan-owner level is covered by m11.
    expect(r.steps.map((s) => [s.approverUserId, s.role])).toEqual([
      [MANAGER, "MANAGER"],
      [DIRECTOR_ID, "DIRECTOR"],
    ]);
    expect(r.skipped).toEqual([expect.objectContaining({ userId: MANAGER, reason: "已是前一审批人" })]);
    const unchanged = await state();
    await click(cardOf(r.id, 1, MANAGER), MANAGER, { action: "approve" });
    expect((await state()).targets).toEqual(unchanged.targets);
    await click(cardOf(r.id, 2, DIRECTOR_ID), DIRECTOR_ID, { action: "approve", comment: "同意合并" });
    expect((await getRequest(r.id)).status).toBe("APPROVED");
    const delta = proposed - current;
    expect(await amountOf(leaf)).toBe(proposed);
    expect(await amountOf(plan.rootTargetId)).toBe(BigInt(total) + delta);
    const [after] = await q<{ total: string }>("SELECT total::text FROM plan WHERE id = $1", [plan.planId]);
    expect(BigInt(after!.total)).toBe(BigInt(total) + delta);
    expect(await unconserved()).toEqual([]);
  });

  it("GET /api/plans/:id/ledger lists the applied changes with their requests", async () => {
    const res = await svc.api(`/api/plans/${plan.planId}/ledger`);
    expect(res.status).toBe(200);
    const all = (await res.json()) as {
      entries: {
        targetId: string;
        reason: string;
        changeRequest: { requesterUserId: string; approvals: { approverUserId: string }[]; rebalance: string } | null;
      }[];
    };
    // Only entries applying an approved request name one (not create, split, phasing or the import).
    const entries = all.entries.filter((e) => e.changeRequest).map((e) => ({ ...e, changeRequest: e.changeRequest! }));
    expect(all.entries.filter((e) => !e.changeRequest).every((e) => e.changeRequest === null)).toBe(true);
    const [lina, wang, zhao, root] = [...plan.leafIds, plan.rootTargetId];
    const rows = entries.map((e) => [e.targetId, e.reason, e.changeRequest.requesterUserId, e.changeRequest.rebalance]);
    expect(rows).toEqual([
      [lina, "大客户流失", LINA, "SIBLINGS"],
      [wang, "大客户流失", LINA, "SIBLINGS"],
      [zhao, "大客户流失", LINA, "SIBLINGS"],
      [wang, "区域合并", WANG, "PARENT"],
      [root, "区域合并", WANG, "PARENT"],
    ]);
    expect(entries.map((e) => e.changeRequest.approvals.map((a) => a.approverUserId))).toEqual([
      [MANAGER],
      [MANAGER],
      [MANAGER],
      [MANAGER, DIRECTOR_ID],
      [MANAGER, DIRECTOR_ID],
    ]);
    await refused(await svc.api("/api/plans/no-such-plan/ledger"), 404, /计划 no-such-plan 不存在/);
  });
});
