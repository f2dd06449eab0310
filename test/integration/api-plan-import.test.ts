import type ExcelJS from "exceljs";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type ApiPlan, planApi, serviceWithOrg } from "../helpers/plan-api.ts";
import { planSnapshot } from "../helpers/plan-snapshot.ts";
import { COL, exportSheet as exportPlanSheet } from "../helpers/plan-workbook.ts";
import type { TestService } from "../helpers/test-service.ts";

let svc: TestService;
const api = planApi(() => svc);
let plan: ApiPlan;

beforeAll(async () => {
  svc = await serviceWithOrg();
  ({ plan } = await api.twoRepPlan(1_200_000));
  await api.phase(plan.id, "EQUAL");
});
afterAll(() => svc.close());

const exportSheet = () => exportPlanSheet(svc, plan.id);
/** The workbook as a multipart upload (a browser form's way), with who and why for the ledger. */
async function upload(wb: ExcelJS.Workbook) {
  const form = new FormData();
  form.append("file", new Blob([Buffer.from(await wb.xlsx.writeBuffer())]), "plan.xlsx");
  return svc.api(`/api/plans/${plan.id}/import`, {
    method: "POST",
    headers: { "x-actor": "analyst1", "x-reason": encodeURIComponent("人员调整") },
    body: form,
  });
}
const leafIds = async () => {
  const tree = await api.tree(plan.id);
  return Object.fromEntries(tree.children.map((c) => [c.key, c.id]));
};

describe("POST /api/plans/:id/import as a multipart upload", () => {
  let before: Awaited<ReturnType<typeof planSnapshot>>;
  beforeEach(async () => {
    before = await planSnapshot(svc.db);
  });
  const refused = async (res: Response, cell: RegExp, message: RegExp) => {
    const body = (await res.json()) as { error: { details?: { cell?: string; message: string }[] } };
    expect(res.status, JSON.stringify(body)).toBe(400);
    expect(
      body.error.details?.some((d) => cell.test(d.cell ?? "") && message.test(d.message)),
      JSON.stringify(body.error.details),
    ).toBe(true);
    expect(await planSnapshot(svc.db)).toEqual(before);
  };

  it("an owner named as their own co-owner, or a co-owner named twice, is refused with the cell", async () => {
    const ids = await leafIds();
    const same = await exportSheet();
    same.rowOf(ids.r11001!).getCell(COL.coOwners).value = "m11, r11001";
    await refused(await upload(same.wb), /^I\d+$/, /协作人不能与负责人相同/);

    const twice = await exportSheet();
    twice.rowOf(ids.r11001!).getCell(COL.coOwners).value = "m11，m11";
    await refused(await upload(twice.wb), /^I\d+$/, /重复/);
  });

  it("owner, co-owner and amount edits: new versions, the tree shows the people, the ledger records them", async () => {
    const ids = await leafIds();
    const { wb, rowOf } = await exportSheet();
    const li = rowOf(ids.r11001!);
    li.getCell(COL.owner).value = "r11003";
    li.getCell(COL.coOwners).value = "m11, r11004";
    li.getCell(COL.amount).value = 590_000;
    rowOf(ids.r11002!).getCell(COL.amount).value = 610_000;

    const res = await upload(wb);
    const body = (await res.json()) as { changed: number; targets: { id: string; version: number }[] };
    expect(res.status, JSON.stringify(body)).toBe(200);
    expect(body.changed).toBe(2);

    const tree = await api.tree(plan.id);
    const [a, b] = [ids.r11001!, ids.r11002!].map((id) => tree.children.find((c) => c.id === id)!);
    expect(a).toMatchObject({ amount: "590000", owner: { userId: "r11003", name: "胡玉兰" } });
    expect(a!.coOwners.map((c) => c.userId).sort()).toEqual(["m11", "r11004"]);
    expect(a!.months?.map(BigInt).reduce((x, y) => x + y)).toBe(590_000n);
    expect(b).toMatchObject({ amount: "610000", owner: { userId: "r11002" } });

    const ledger = (await api.ledger(plan.id, `?targetId=${ids.r11001}`)).entries;
    const entry = ledger.find((e) => e.kind === "IMPORT") as Record<string, unknown> | undefined;
    expect(entry).toMatchObject({
      actor: "analyst1",
      reason: "人员调整",
      oldAmount: "600000",
      newAmount: "590000",
      version: a!.version,
      changes: { ownerUserId: ["r11001", "r11003"], coOwnerUserIds: [["m11"], ["m11", "r11004"]] },
    });
  });
});
