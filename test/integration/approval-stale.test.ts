import type ExcelJS from "exceljs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cardsIn, robotTexts } from "../helpers/chat.ts";
import { jsonInit } from "../helpers/plan-api.ts";
import { planSnapshot } from "../helpers/plan-snapshot.ts";
import { COL, exportSheet as exportPlanSheet } from "../helpers/plan-workbook.ts";
import { publishedSmallPlan, SMALL_PLAN_REPS, type SmallPlan } from "../helpers/small-plan.ts";
import { startTestService, type TestService } from "../helpers/test-service.ts";

/*
 * Issue 13's acceptance "a request, then an Excel import that changes that target → approving it applies
 * nothing". On a published plan an import may reassign people (owner, co-owners) but not amounts; a people change
 * is a new version of the target, so a request made before it is stale at the next click: nothing applied, the
 * card says 已失效, the requester is told. Publishing again then sends the new owner their target card.
 */

const shanghai = (local: string) => new Date(`${local}+08:00`);
let svc: TestService;
let plan: SmallPlan;
const [LINA] = SMALL_PLAN_REPS;
const MANAGER = "m11";
const NEWCOMER = "r11004"; // another 华东 rep of m11's, who takes over 李娜's target
const emulator = () => svc.deps.emulator!;

/** The tree's amounts and versions and the plan total: what an approval would change. */
const tree = async () =>
  svc.db.sql.query<{ id: string; amount: string; version: number; owner: string | null }>(
    `SELECT id, amount::text, version, owner_user_id AS owner FROM target WHERE plan_id = $1 AND state <> 'ARCHIVED'
      UNION ALL SELECT 'total', total::text, 0, NULL FROM plan WHERE id = $1 ORDER BY id`,
    [plan.planId],
  );

const exportSheet = () => exportPlanSheet(svc, plan.planId);
const upload = async (wb: ExcelJS.Workbook) =>
  svc.api(`/api/plans/${plan.planId}/import`, {
    method: "POST",
    headers: { "x-actor": "analyst1", "x-reason": encodeURIComponent("李娜离职，目标转交") },
    body: Buffer.from(await wb.xlsx.writeBuffer()),
  });

beforeAll(async () => {
  svc = await startTestService(
    { DINGTALK_QPS: "500" },
    { sandbox: { demo: false }, now: () => shanghai("2026-04-01T09:00:00") },
  );
  plan = await publishedSmallPlan(svc);
}, 120_000);
afterAll(() => svc?.close());

describe("an Excel import on a published plan", () => {
  it("amount edits are refused with their cells, even beside a people change; nothing is written", async () => {
    const before = await planSnapshot(svc.db);
    const { wb, rowOf } = await exportSheet();
    // Conserved (one rep +100, another −100) and beside a co-owner change: still refused, whole.
    const a = rowOf(plan.leafIds[0]!);
    const b = rowOf(plan.leafIds[1]!);
    a.getCell(COL.amount).value = Number(a.getCell(COL.amount).text) + 100;
    b.getCell(COL.amount).value = Number(b.getCell(COL.amount).text) - 100;
    rowOf(plan.leafIds[2]!).getCell(COL.coOwners).value = `${MANAGER}, ${NEWCOMER}`;
    const res = await upload(wb);
    const body = (await res.json()) as { error: { message: string; details?: { cell: string; message: string }[] } };
    expect(res.status, JSON.stringify(body)).toBe(409);
    expect(body.error.message).toContain("计划已发布：目标金额调整需走审批流程");
    expect(body.error.details?.map((d) => d.cell)).toEqual([`J${a.number}`, `J${b.number}`]);
    expect(body.error.details?.[0]?.message).toMatch(/金额不能在已发布的计划中直接修改.*请发起目标调整申请/);
    expect(await planSnapshot(svc.db)).toEqual(before);
  });

  it("a request, then an import reassigning its target → 同意 applies nothing: STALE, 已失效, the requester told", async () => {
    const leaf = plan.leafIds[0]!;
    const amount = (await tree()).find((t) => t.id === leaf)!.amount;
    const proposed = BigInt(amount) - (BigInt(amount) * 3n) / 100n;
    const submitted = await svc.api(
      "/api/change-requests",
      jsonInit("POST", {
        targetId: leaf,
        requesterUserId: LINA,
        proposedAmount: proposed.toString(),
        reason: "大客户流失",
      }),
    );
    expect(submitted.status).toBe(201);
    const { id } = (await submitted.json()) as { id: string };
    await svc.dingtalk!.outbox.drain();

    // The admin reassigns 李娜's target in Excel: a new version of that target, its amount unchanged.
    const before = await tree();
    const { wb, rowOf } = await exportSheet();
    rowOf(leaf).getCell(COL.owner).value = NEWCOMER;
    const imported = await upload(wb);
    expect(imported.status, await imported.clone().text()).toBe(200);
    expect(await imported.json()).toMatchObject({ changed: 1 });
    const afterImport = await tree();
    expect(afterImport).toEqual(
      before.map((t) => (t.id === leaf ? { ...t, version: t.version + 1, owner: NEWCOMER } : t)),
    );

    const [card] = cardsIn(emulator(), MANAGER, `apr.${id}.`);
    const clicked = await emulator().clickCard(card!.outTrackId, MANAGER, { action: "approve" }, "approve");
    await svc.dingtalk!.outbox.drain();
    expect(clicked.status).toBe("applied");
    const shown = JSON.stringify(clicked.status === "applied" && clicked.card);
    expect(shown).toContain('"status":"stale"');
    expect(shown).toContain("已失效");
    const request = (await (await svc.api(`/api/change-requests/${id}`)).json()) as {
      status: string;
      steps: { status: string; decidedAt: string | null }[];
    };
    expect(request.status).toBe("STALE");
    expect(request.steps).toMatchObject([{ status: "CLOSED", decidedAt: null }]);
    expect(await tree()).toEqual(afterImport);
    const linked = await svc.db.sql.query("SELECT id FROM target_ledger WHERE change_request_id = $1", [id]);
    expect(linked).toEqual([]);
    expect(robotTexts(emulator(), LINA).filter((t) => t.includes("已失效") && t.includes("未作任何调整"))).toHaveLength(
      1,
    );

    // Publishing again sends the new owner the target card of the new version; nobody else gets anything new.
    expect(cardsIn(emulator(), NEWCOMER, `tgt.${leaf}.`)).toEqual([]);
    const published = await svc.api(`/api/plans/${plan.planId}/publish`, { method: "POST" });
    expect(published.status).toBe(200);
    expect(await published.json()).toMatchObject({ queued: 1 });
    await svc.dingtalk!.outbox.drain();
    expect(cardsIn(emulator(), NEWCOMER, `tgt.${leaf}.`).map((c) => c.outTrackId)).toEqual([
      `tgt.${leaf}.v2.${NEWCOMER}`,
    ]);
  });
});
