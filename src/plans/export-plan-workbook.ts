import ExcelJS from "exceljs";
import type { Database } from "../db/database.ts";
import { getTargetTree, type TargetNode } from "./get-target-tree.ts";
import { DIMENSION_LABELS, MONTH_HEADERS, PLAN_SHEET, TARGET_COLUMNS, TARGET_SHEET } from "./plan-workbook-columns.ts";

const READ_ONLY_FILL: ExcelJS.Fill = { type: "pattern", pattern: "solid", fgColor: { argb: "FFF2F2F2" } };

/**
 * The plan as an Excel workbook: a 计划 sheet (which plan, exported when), a 目标 sheet with one row per target
 * in tree order (parents before children), and a 说明 sheet. Import reads it back (import-plan-workbook.ts).
 */
export async function exportPlanWorkbook(db: Database, planId: string): Promise<{ filename: string; buffer: Buffer }> {
  const { plan, root } = await getTargetTree(db, planId);
  const wb = new ExcelJS.Workbook();
  wb.creator = "target-bot";
  const info = wb.addWorksheet(PLAN_SHEET);
  info.columns = [{ width: 22 }, { width: 48 }];
  info.addRows([
    ["计划ID / plan_id", plan.id],
    ["名称 / name", plan.name],
    ["年度 / fiscal_year", plan.fiscalYear],
    ["指标 / metric", plan.metric],
    ["单位 / unit", plan.unit === "CNY" ? "元" : "个"],
    ["总额 / total", Number(plan.total)],
    ["状态 / status", plan.status],
    ["导出时间 / exported_at", new Date().toISOString()],
  ]);
  const ws = wb.addWorksheet(TARGET_SHEET);
  ws.columns = [
    ...TARGET_COLUMNS.map((c) => ({ header: c.header, width: c.width })),
    ...MONTH_HEADERS.map((h) => ({ header: h, width: 12 })),
  ];
  const rows: TargetNode[] = [];
  const walk = (n: TargetNode, path: string[]) => {
    rows.push(n);
    for (const c of n.children) walk(c, [...path, c.label]);
  };
  if (root) walk(root, []);
  const pathOf = new Map<string, string>();
  for (const n of rows) {
    const parentPath = n.parentId ? pathOf.get(n.parentId) : undefined;
    pathOf.set(n.id, parentPath ? `${parentPath} › ${n.label}` : n.label);
    ws.addRow([
      n.id,
      n.parentId ?? "",
      n.depth,
      pathOf.get(n.id),
      n.dimension ? DIMENSION_LABELS[n.dimension] : "",
      n.label,
      n.owner?.userId ?? "",
      n.owner?.name ?? "",
      n.coOwners.map((c) => c.userId).join(","),
      Number(n.amount),
      n.version,
      ...(n.months ?? []).map(Number),
    ]);
  }
  styleTargetSheet(ws);
  const help = wb.addWorksheet("说明 help");
  help.columns = [{ width: 110 }];
  help.addRows(HELP.map((l) => [l]));
  return {
    filename: `plan-${plan.fiscalYear}-${plan.id.slice(0, 8)}.xlsx`,
    buffer: Buffer.from(await wb.xlsx.writeBuffer()),
  };
}

function styleTargetSheet(ws: ExcelJS.Worksheet): void {
  ws.getRow(1).font = { bold: true };
  ws.views = [{ state: "frozen", ySplit: 1, xSplit: 1 }];
  TARGET_COLUMNS.forEach((c, i) => {
    const col = ws.getColumn(i + 1);
    if (!c.editable) col.eachCell((cell, row) => row > 1 && Object.assign(cell, { fill: READ_ONLY_FILL }));
    if (c.field === "amount") col.numFmt = "#,##0";
  });
  for (let m = 0; m < 12; m++) {
    const col = ws.getColumn(TARGET_COLUMNS.length + m + 1);
    col.numFmt = "#,##0";
    col.eachCell((cell, row) => row > 1 && Object.assign(cell, { fill: READ_ONLY_FILL }));
  }
}

const HELP = [
  "目标计划导出 / Plan export — 修改后用 POST /api/plans/:id/import 导回",
  "1. 可修改的列（白色）：目标金额、负责人ID、协作人ID（多个用英文逗号分隔）。灰色列只读，导入时会校验。",
  "2. 守恒：每个上级目标必须等于其子目标之和。调高一个人的目标，需要同时调低同级其他目标（或上级）。不守恒的文件会被整体拒绝，并指出单元格。",
  "3. 金额填整数（元），不要填文字（如“420万”）、公式或合并单元格。",
  "4. 月度金额由分月规则自动生成；修改目标金额后会自动重新分月，不要直接改月度列。",
  "5. 导入时会核对版本：若导出后目标已被他人修改，该行会被拒绝，请重新导出。",
  "6. 未修改的文件导入后不会产生任何变更；每项变更都会生成新版本并记入变更日志。",
];
