import { setImmediate as yieldToLoop } from "node:timers/promises";
import ExcelJS from "exceljs";
import type { UploadLimits } from "../config.ts";
import type { OrgRecords, SourceRef } from "../domain/org-records.ts";
import { checkXlsx, readCsvLimited } from "../http/upload-limits.ts";
import { AppError, type InputProblem } from "../lib/errors.ts";
import {
  type ColumnSpec,
  DEPARTMENT_COLUMNS,
  DEPARTMENT_SHEET,
  STAFF_COLUMNS,
  STAFF_SHEET,
  sheetMatches,
} from "./org-columns.ts";
import { type RawTable, readTable } from "./read-table.ts";

export type ParseResult = { ok: true; records: OrgRecords } | { ok: false; problems: InputProblem[] };

/** Excel files are zip archives: this is how an upload is recognised whatever its name or content type. */
export function looksLikeXlsx(buf: Buffer): boolean {
  return buf.length > 4 && buf[0] === 0x50 && buf[1] === 0x4b && buf[2] === 0x03 && buf[3] === 0x04;
}

/**
 * Reads the two CSV files of the template (departments and staff; UTF-8, with or without BOM), as streams
 * within the upload limits (a 413 at the first one exceeded).
 */
export async function parseOrgCsv(
  files: { departments: Buffer; staff: Buffer },
  limits: UploadLimits,
): Promise<ParseResult> {
  const problems: InputProblem[] = [];
  const dept = await csvTable(files.departments, "departments.csv", limits, problems);
  const staff = await csvTable(files.staff, "staff.csv", limits, problems);
  if (!dept || !staff) return { ok: false, problems };
  return await fromTables(dept, staff);
}

/**
 * Reads the Excel template: sheets "部门 departments" and "员工 staff", headers in row 1. The file is checked
 * against the upload limits (unzipped size, rows, columns, cell size) before exceljs opens it.
 */
export async function parseOrgXlsx(buf: Buffer, limits: UploadLimits): Promise<ParseResult> {
  await checkXlsx(buf, limits);
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
    return ws ? sheetTable(ws, problems) : undefined;
  });
  const [dept, staff] = tables;
  if (!dept || !staff || problems.length > 0) return { ok: false, problems };
  return await fromTables(dept, staff);
}

/** Rows read into records between two turns of the event loop. */
const ROWS_PER_SLICE = 5_000;

/**
 * Both tables as records, a slice of rows at a time with the event loop given back in between: 100,000 rows in
 * one go were ~50–90 ms of one synchronous call (bench:hostile).
 */
async function fromTables(dept: RawTable, staff: RawTable): Promise<ParseResult> {
  const d = await readTableInSlices(dept, DEPARTMENT_COLUMNS);
  const s = await readTableInSlices(staff, STAFF_COLUMNS);
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

/** {@link readTable}, the header checked once, then the rows a slice at a time: the same records and problems. */
async function readTableInSlices<F extends string>(
  table: RawTable,
  columns: ColumnSpec<F>[],
): Promise<{ records: { values: Record<F, string>; ref: SourceRef }[]; problems: InputProblem[] }> {
  const header = readTable({ ...table, rows: [] }, columns);
  if (header.problems.length > 0) return header;
  const out: { records: { values: Record<F, string>; ref: SourceRef }[]; problems: InputProblem[] } = {
    records: [],
    problems: [],
  };
  for (let at = 0; at < table.rows.length; at += ROWS_PER_SLICE) {
    await yieldToLoop();
    const part = readTable({ ...table, rows: table.rows.slice(at, at + ROWS_PER_SLICE) }, columns);
    for (const r of part.records) out.records.push(r);
    for (const p of part.problems) out.problems.push(p);
  }
  return out;
}

async function csvTable(
  buf: Buffer,
  sheet: string,
  limits: UploadLimits,
  problems: InputProblem[],
): Promise<RawTable | undefined> {
  try {
    const [head, ...rest] = await readCsvLimited(buf, sheet, limits);
    if (!head) {
      problems.push({ sheet, message: "文件为空，第 1 行应为表头" });
      return undefined;
    }
    return { sheet, header: head.cells, rows: rest.map((r) => ({ row: r.line, cells: r.cells })) };
  } catch (err) {
    if (err instanceof AppError) throw err; // a limit: 413
    const line = (err as { lines?: number }).lines;
    problems.push({ sheet, ...(line ? { row: line } : {}), message: `CSV 格式错误：${(err as Error).message}` });
    return undefined;
  }
}

/**
 * A sheet as rows of cell texts. A merged cell is a problem named by its address, as in the plan import (exceljs
 * throws reading the text of a merged cell whose first cell is empty).
 */
function sheetTable(ws: ExcelJS.Worksheet, problems: InputProblem[]): RawTable {
  const cellsOf = (row: ExcelJS.Row) => {
    const cells: string[] = [];
    row.eachCell({ includeEmpty: true }, (cell, col) => {
      if (cell.isMerged) {
        problems.push({ sheet: ws.name, row: row.number, cell: cell.address, message: "不支持合并单元格，请取消合并" });
        cells[col - 1] = "";
        return;
      }
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
