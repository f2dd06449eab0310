import ExcelJS from "exceljs";
import type { OrgData } from "../domain/org-records.ts";
import { DEPARTMENT_COLUMNS, DEPARTMENT_SHEET, STAFF_COLUMNS, STAFF_SHEET } from "./org-columns.ts";

type Rows = {
  departments: OrgData["departments"];
  staff: (Omit<OrgData["staff"][number], "role"> & { role: string })[];
};

/** The Excel template (empty) or a filled workbook: two sheets with bilingual headers, plus a 说明 sheet. */
export async function buildOrgWorkbook(data: Rows = { departments: [], staff: [] }): Promise<Buffer> {
  const wb = new ExcelJS.Workbook();
  wb.creator = "target-bot";
  const dept = wb.addWorksheet(DEPARTMENT_SHEET);
  dept.columns = DEPARTMENT_COLUMNS.map((c) => ({ header: c.header, width: 24 }));
  for (const d of data.departments) dept.addRow([d.id, d.name, d.parentId ?? ""]);
  const staff = wb.addWorksheet(STAFF_SHEET);
  staff.columns = STAFF_COLUMNS.map((c) => ({ header: c.header, width: 22 }));
  for (const s of data.staff) staff.addRow([s.userId, s.name, s.deptId, s.managerUserId ?? "", s.title ?? "", s.role]);
  for (const ws of [dept, staff]) {
    ws.getRow(1).font = { bold: true };
    ws.views = [{ state: "frozen", ySplit: 1 }];
    // Ids are text: keep Excel from turning a long DingTalk id into 1.23E+15.
    ws.getColumn(1).numFmt = "@";
  }
  const help = wb.addWorksheet("说明 help");
  help.columns = [{ width: 100 }];
  for (const line of HELP) help.addRow([line]);
  return Buffer.from(await wb.xlsx.writeBuffer());
}

const HELP = [
  "组织导入模板 / Org import template",
  "1. “部门 departments”：每行一个部门。部门ID 用钉钉 dept_id；顶级部门的上级部门ID 留空。",
  "2. “员工 staff”：每行一人。员工ID 用钉钉 userId；直属上级ID 填上级的员工ID，最高层留空。",
  "3. 角色：DIRECTOR(销售总监) / MANAGER(区域经理) / REP(客户经理) / PRODUCT_OWNER(产品经理) / ADMIN(管理员)。",
  "4. 导入是整体生效的：任何一行有错，都不会写入，错误会列出工作表、行号和列。",
  "5. 全量导入时，表中没有的员工会被标记为离职（不会删除），其未完成的目标会提示重新分配。",
];

/** CSV text (UTF-8 with BOM so Excel opens Chinese correctly) for one of the two template tables. */
export function orgCsv(headers: string[], rows: (string | null)[][]): string {
  const cell = (v: string | null) => {
    const s = v ?? "";
    return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  return `\uFEFF${[headers, ...rows].map((r) => r.map(cell).join(",")).join("\r\n")}\r\n`;
}
