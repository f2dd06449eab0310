import ExcelJS from "exceljs";
import type { InputProblem } from "../lib/errors.ts";
import { badCharMessage, findBadChar } from "../lib/text-rule.ts";
import { columnLetter, headerMatches, sheetMatches } from "../org/org-columns.ts";
import { MONTH_HEADERS, PLAN_SHEET, TARGET_COLUMNS, TARGET_SHEET } from "./plan-workbook-columns.ts";

export interface WorkbookRow {
  row: number;
  id: string;
  ownerUserId: string | null;
  coOwnerUserIds: string[];
  amount: bigint;
  version: number;
  months: (bigint | null)[];
  /** Cell addresses for problem reports, e.g. { amount: "J5" }. */
  cells: { amount: string; ownerUserId: string; coOwnerUserIds: string; months: string };
}

export type ReadResult = { ok: true; planId: string; rows: WorkbookRow[] } | { ok: false; problems: InputProblem[] };

/**
 * Reads an exported plan workbook back, refusing anything it cannot read exactly: missing sheets or headers,
 * formulas, merged cells, text or fractions where a whole number belongs. Every problem names sheet and cell.
 */
export async function readPlanWorkbook(buf: Buffer): Promise<ReadResult> {
  const wb = new ExcelJS.Workbook();
  try {
    await wb.xlsx.load(buf as unknown as ArrayBuffer);
  } catch {
    return { ok: false, problems: [{ message: "无法读取 Excel 文件：文件已损坏或不是 .xlsx 格式" }] };
  }
  const info = wb.worksheets.find((w) => sheetMatches(w.name, PLAN_SHEET));
  const ws = wb.worksheets.find((w) => sheetMatches(w.name, TARGET_SHEET));
  const missing = [!info && PLAN_SHEET, !ws && TARGET_SHEET].filter((x): x is string => Boolean(x));
  if (!info || !ws) return { ok: false, problems: missing.map((s) => ({ sheet: s, message: `缺少工作表“${s}”` })) };
  const planId = info.getCell("B1").text.trim();
  const header = (ws.getRow(1).values as unknown[]).slice(1).map((v) => String(v ?? ""));
  const problems: InputProblem[] = [];
  const col = new Map<string, number>();
  for (const [i, spec] of TARGET_COLUMNS.entries()) {
    const at = header.findIndex((h) => headerMatches(h, spec));
    if (at >= 0) col.set(spec.field, at + 1);
    else if (spec.required)
      problems.push({ sheet: ws.name, cell: `${columnLetter(i)}1`, message: `缺少列“${spec.header}”` });
  }
  const monthCols = MONTH_HEADERS.map(
    (h) => header.findIndex((x) => headerMatches(x, { field: h, header: h, required: false })) + 1,
  );
  if (problems.length > 0) return { ok: false, problems };
  const rows: WorkbookRow[] = [];
  ws.eachRow((r, n) => {
    if (n === 1) return;
    const row = readRow(ws, r, n, col, monthCols, problems);
    if (row) rows.push(row);
  });
  return problems.length > 0 ? { ok: false, problems } : { ok: true, planId, rows };
}

function readRow(
  ws: ExcelJS.Worksheet,
  r: ExcelJS.Row,
  n: number,
  col: Map<string, number>,
  monthCols: number[],
  problems: InputProblem[],
): WorkbookRow | undefined {
  const cell = (field: string) => r.getCell(col.get(field) ?? 0);
  const id = cell("id").text.trim();
  if (!id) return undefined; // blank line
  const bad = (c: ExcelJS.Cell, message: string) => problems.push({ sheet: ws.name, cell: c.address, row: n, message });
  let clean = true;
  r.eachCell({ includeEmpty: false }, (c) => {
    if (c.isMerged) {
      bad(c, "不支持合并单元格，请取消合并");
      clean = false;
    } else if (c.type === ExcelJS.ValueType.Formula || c.formula) {
      bad(c, "不支持公式，请粘贴为数值");
      clean = false;
    }
  });
  // The text rule (src/lib/text-rule.ts) for the cells whose text is stored or looked up.
  for (const field of ["id", "ownerUserId", "coOwnerUserIds"]) {
    const c = cell(field);
    const found = col.has(field) ? findBadChar(c.text) : undefined;
    if (found) {
      bad(c, badCharMessage(`单元格 ${c.address}`, found));
      clean = false;
    }
  }
  const amount = wholeNumber(cell("amount"), bad);
  const version = wholeNumber(cell("version"), bad);
  const months = monthCols.map((c) => (c > 0 && r.getCell(c).value !== null ? wholeNumber(r.getCell(c), bad) : null));
  if (!clean || amount === undefined || version === undefined || months.includes(undefined)) return undefined;
  const owner = cell("ownerUserId").text.trim();
  return {
    row: n,
    id,
    ownerUserId: owner || null,
    coOwnerUserIds: cell("coOwnerUserIds")
      .text.split(/[,，;；\s]+/)
      .map((s) => s.trim())
      .filter(Boolean),
    amount,
    version: Number(version),
    months: months as (bigint | null)[],
    cells: {
      amount: cell("amount").address,
      ownerUserId: cell("ownerUserId").address,
      coOwnerUserIds: cell("coOwnerUserIds").address,
      months: monthCols[0]
        ? `${r.getCell(monthCols[0]).address}:${r.getCell(monthCols[11] ?? monthCols[0]).address}`
        : "",
    },
  };
}

/** A numeric cell holding a whole, non-negative number; anything else is reported with the cell address. */
function wholeNumber(c: ExcelJS.Cell, bad: (c: ExcelJS.Cell, m: string) => void): bigint | undefined {
  const v = c.value;
  if (typeof v !== "number") {
    bad(
      c,
      v === null || v === undefined || v === ""
        ? "金额不能为空"
        : `“${c.text}”不是数字：请填写整数（元），不要写“万”等文字`,
    );
    return undefined;
  }
  if (!Number.isSafeInteger(v)) {
    bad(c, `${v} 不是整数：金额以元为单位，不能有小数`);
    return undefined;
  }
  if (v < 0) {
    bad(c, `${v} 是负数：目标金额不能为负`);
    return undefined;
  }
  return BigInt(v);
}
