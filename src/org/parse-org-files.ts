import { parse } from "csv-parse/sync";
import ExcelJS from "exceljs";
import type { OrgRecords } from "../domain/org-records.ts";
import type { InputProblem } from "../lib/errors.ts";
import { DEPARTMENT_COLUMNS, DEPARTMENT_SHEET, STAFF_COLUMNS, STAFF_SHEET, sheetMatches } from "./org-columns.ts";
import { type RawTable, readTable } from "./read-table.ts";

export type ParseResult = { ok: true; records: OrgRecords } | { ok: false; problems: InputProblem[] };

/** Excel files are zip archives: this is how an upload is recognised whatever its name or content type. */
export function looksLikeXlsx(buf: Buffer): boolean {
  return buf.length > 4 && buf[0] === 0x50 && buf[1] === 0x4b && buf[2] === 0x03 && buf[3] === 0x04;
}

/** Reads the two CSV files of the template (departments and staff; UTF-8, with or without BOM). */
export function parseOrgCsv(files: { departments: Buffer; staff: Buffer }): ParseResult {
  const problems: InputProblem[] = [];
  const dept = csvTable(files.departments, "departments.csv", problems);
  const staff = csvTable(files.staff, "staff.csv", problems);
  if (!dept || !staff) return { ok: false, problems };
  return fromTables(dept, staff);
}

/** Reads the Excel template: sheets "部门 departments" and "员工 staff", headers in row 1. */
export async function parseOrgXlsx(buf: Buffer): Promise<ParseResult> {
  const wb = new ExcelJS.Workbook();
  try {
    await wb.xlsx.load(buf as unknown as ArrayBuffer);
  } catch {
    return { ok: false, problems: [{ message: "无法读取 Excel 文件：文件已损坏或不是 .xlsx 格式" }] };
  }
  const problems: InputProblem[] = [];
  const tables = [DEPARTMENT_SHEET, STAFF_SHEET].map((name) => {
    const ws = wb.worksheets.find((w) => sheetMatches(w.name, name));
    if (!ws) problems.push({ sheet: name, message: `缺少工作表“${name}”` });
    return ws ? sheetTable(ws) : undefined;
  });
  const [dept, staff] = tables;
  if (!dept || !staff) return { ok: false, problems };
  return fromTables(dept, staff);
}

function fromTables(dept: RawTable, staff: RawTable): ParseResult {
  const d = readTable(dept, DEPARTMENT_COLUMNS);
  const s = readTable(staff, STAFF_COLUMNS);
  const problems = [...d.problems, ...s.problems];
  if (problems.length > 0) return { ok: false, problems };
  return {
    ok: true,
    records: {
      departments: d.records.map(({ values: v, ref }) => ({
        id: v.id,
        name: v.name,
        parentId: v.parentId || null,
        ref,
      })),
      staff: s.records.map(({ values: v, ref }) => ({
        userId: v.userId,
        name: v.name,
        deptId: v.deptId,
        managerUserId: v.managerUserId || null,
        title: v.title || null,
        role: v.role,
        ref,
      })),
    },
  };
}

function csvTable(buf: Buffer, sheet: string, problems: InputProblem[]): RawTable | undefined {
  try {
    const records = parse(buf, {
      bom: true,
      info: true,
      relax_column_count: true,
      skip_empty_lines: true,
    }) as unknown as {
      record: string[];
      info: { lines: number };
    }[];
    const [head, ...rest] = records;
    if (!head) {
      problems.push({ sheet, message: "文件为空，第 1 行应为表头" });
      return undefined;
    }
    return { sheet, header: head.record, rows: rest.map((r) => ({ row: r.info.lines, cells: r.record })) };
  } catch (err) {
    const line = (err as { lines?: number }).lines;
    problems.push({ sheet, ...(line ? { row: line } : {}), message: `CSV 格式错误：${(err as Error).message}` });
    return undefined;
  }
}

function sheetTable(ws: ExcelJS.Worksheet): RawTable {
  const cellsOf = (row: ExcelJS.Row) => {
    const cells: string[] = [];
    row.eachCell({ includeEmpty: true }, (cell, col) => {
      cells[col - 1] = cell.text ?? "";
    });
    return Array.from(cells, (c) => c ?? "");
  };
  const rows: RawTable["rows"] = [];
  ws.eachRow((row, n) => {
    if (n > 1) rows.push({ row: n, cells: cellsOf(row) });
  });
  return { sheet: ws.name, header: cellsOf(ws.getRow(1)), rows };
}
