import ExcelJS from "exceljs";
import { expect } from "vitest";
import type { TestService } from "./test-service.ts";

/** The editable columns of the 目标 sheet the tests change (src/plans/plan-workbook-columns.ts). */
export const COL = { id: 1, owner: 7, coOwners: 9, amount: 10 };

/** A plan's export as an ExcelJS workbook, and its 目标 row of a target id (to edit before importing). */
export async function exportSheet(svc: Pick<TestService, "api">, planId: string) {
  const res = await svc.api(`/api/plans/${planId}/export.xlsx`);
  expect(res.status).toBe(200);
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.load(await res.arrayBuffer());
  const ws = wb.getWorksheet("目标 targets")!;
  const rowOf = (id: string) => {
    let found: ExcelJS.Row | undefined;
    ws.eachRow((r) => {
      if (r.getCell(COL.id).text === id) found = r;
    });
    return found!;
  };
  return { wb, rowOf };
}
