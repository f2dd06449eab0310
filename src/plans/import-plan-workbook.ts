import type { Database, Tx } from "../db/database.ts";
import { type Calendar, defaultCalendar } from "../domain/calendar.ts";
import { formatAmountExact } from "../domain/format-amount.ts";
import { AppError, type InputProblem, validationError } from "../lib/errors.ts";
import { assertPlanConserved } from "./check-plan-conservation.ts";
import { type LedgerEntry, writeLedger } from "./ledger.ts";
import { peopleChanges, replaceCoOwners } from "./people-changes.ts";
import { rephaseIfPhased } from "./phase-plan.ts";
import { planNotFound } from "./plan-errors.ts";
import { TARGET_SHEET } from "./plan-workbook-columns.ts";
import type { WorkbookRow } from "./read-plan-workbook.ts";

export interface ImportPlanWorkbookOptions {
  db: Database;
  planId: string;
  file: Buffer;
  actor: string;
  reason?: string | undefined;
  calendar?: Calendar;
}

type Current = {
  id: string;
  parentId: string | null;
  label: string;
  amount: bigint;
  version: number;
  ownerUserId: string | null;
  coOwners: string[];
  months: bigint[] | null;
  state: string;
};

/**
 * Applies an edited export: changed amounts, owners and co-owners become new versions with ledger entries;
 * an unchanged file changes nothing. On a published plan only owners and co-owners may change (refuseAmountEdits). The whole file is refused (with sheet and cell references) if it breaks
 * conservation, names unknown people, is stale, or edits what is read-only.
 */
export async function importPlanWorkbook({
  db,
  planId,
  file,
  actor,
  reason,
  calendar = defaultCalendar,
}: ImportPlanWorkbookOptions) {
  // ExcelJS loads at the first workbook, not at start.
  const { readPlanWorkbook } = await import("./read-plan-workbook.ts");
  const read = await readPlanWorkbook(file);
  if (!read.ok) throw validationError(`Excel 文件有 ${read.problems.length} 处错误，未导入任何内容`, read.problems);
  if (read.planId !== planId) {
    throw validationError("这个文件属于另一个计划", [
      { sheet: "计划 plan", cell: "B1", message: `文件中的计划ID为 ${read.planId}` },
    ]);
  }
  return db.prisma.$transaction(
    async (tx) => {
      const plan = await tx.plan.findUnique({ where: { id: planId } });
      if (!plan) throw planNotFound(planId);
      await tx.$executeRawUnsafe("SELECT id FROM target WHERE plan_id = $1 FOR UPDATE", planId);
      const current = await loadCurrent(tx, planId);
      const changes = diffRows(read.rows, current);
      if (changes.length === 0) return { changed: 0, targets: [] };
      if (plan.status === "CLOSED") throw new AppError("CONFLICT", "计划已关闭，不能再导入修改");
      if (plan.status === "PUBLISHED") refuseAmountEdits(changes, current);
      await checkPeople(tx, changes);
      checkConservation(read.rows, current, changes);
      const result = await applyChanges(tx, { planId, changes, current, actor, reason: reason ?? "Excel 导入" });
      const amountChanged = changes.filter((c) => c.amount !== current.get(c.id)?.amount).map((c) => c.id);
      await rephaseIfPhased(tx, { plan, targetIds: amountChanged, actor, calendar });
      await assertPlanConserved(tx, planId);
      return { changed: result.length, targets: result };
    },
    { timeout: 300_000, maxWait: 30_000 },
  );
}

/**
 * On a published plan an import may reassign people (a leaver's targets, docs/domain.md "Escalation") but not
 * change amounts: those go through change approval, so every amount edit is refused with its cell. A people
 * change still makes a new version, which makes a pending request for that target stale and gets the new
 * owner's card out when the plan is published again.
 */
function refuseAmountEdits(changes: WorkbookRow[], current: Map<string, Current>): void {
  const problems: InputProblem[] = changes.flatMap((r) => {
    const t = current.get(r.id)!;
    if (r.amount === t.amount) return [];
    const message = `“${t.label}”的金额不能在已发布的计划中直接修改（${formatAmountExact(t.amount)} → ${formatAmountExact(r.amount)}），请发起目标调整申请`;
    return [{ sheet: TARGET_SHEET, row: r.row, cell: r.cells.amount, message }];
  });
  if (problems.length === 0) return;
  throw new AppError(
    "CONFLICT",
    "计划已发布：目标金额调整需走审批流程，不能通过 Excel 直接修改；负责人和协作人可以修改",
    {
      details: problems,
    },
  );
}

async function loadCurrent(tx: Tx, planId: string): Promise<Map<string, Current>> {
  const targets = await tx.target.findMany({
    where: { planId, state: { not: "ARCHIVED" } },
    include: { coOwners: true },
  });
  const monthRows = await tx.$queryRawUnsafe<{ id: string; months: string[] }[]>(
    `SELECT m.target_id AS id, m.amounts::text[] AS months
       FROM target_month_amounts m JOIN target t ON t.id = m.target_id
      WHERE t.plan_id = $1 AND t.state <> 'ARCHIVED'`,
    planId,
  );
  const months = new Map(monthRows.map((r) => [r.id, r.months.map(BigInt)] as const));
  return new Map(
    targets.map((t) => [
      t.id,
      {
        ...t,
        coOwners: t.coOwners.map((c) => c.userId).sort(),
        months: months.get(t.id) ?? null,
      },
    ]),
  );
}

/** Rows that differ from the database; unknown rows, stale versions and edited read-only cells are problems. */
function diffRows(rows: WorkbookRow[], current: Map<string, Current>): WorkbookRow[] {
  const problems: InputProblem[] = [];
  const at = (r: WorkbookRow, cell: string, message: string) =>
    problems.push({ sheet: TARGET_SHEET, row: r.row, cell, message });
  const changed: WorkbookRow[] = [];
  for (const r of rows) {
    const t = current.get(r.id);
    if (!t) {
      at(r, `A${r.row}`, `目标 ${r.id} 不存在或不属于该计划（不能在 Excel 中新增目标，请用拆分接口）`);
      continue;
    }
    const amountChanged = r.amount !== t.amount;
    const peopleChanged =
      Object.keys(peopleChanges({ ownerUserId: t.ownerUserId, coOwnerUserIds: t.coOwners }, r)).length > 0;
    const monthsDiffer = t.months !== null && r.months.some((m, i) => m !== null && m !== t.months?.[i]);
    if (r.version !== t.version && (amountChanged || peopleChanged || monthsDiffer)) {
      at(
        r,
        r.cells.amount,
        `“${t.label}”在导出后已被修改（文件版本 ${r.version}，当前版本 ${t.version}），请重新导出后再改`,
      );
      continue;
    }
    if (monthsDiffer && !amountChanged)
      at(r, r.cells.months, `“${t.label}”的月度金额由分月规则生成，请修改目标金额列，不要直接改月度列`);
    if (amountChanged || peopleChanged) changed.push(r);
  }
  if (problems.length > 0) throw validationError(`Excel 文件有 ${problems.length} 处错误，未导入任何内容`, problems);
  return changed;
}

async function checkPeople(tx: Tx, rows: WorkbookRow[]): Promise<void> {
  const ids = [...new Set(rows.flatMap((r) => [r.ownerUserId ?? [], ...r.coOwnerUserIds].flat()))];
  const staff = new Map((await tx.staff.findMany({ where: { userId: { in: ids } } })).map((s) => [s.userId, s]));
  const problems: InputProblem[] = [];
  for (const r of rows) {
    const check = (id: string, cell: string) => {
      const s = staff.get(id);
      if (!s?.active)
        problems.push({ sheet: TARGET_SHEET, row: r.row, cell, message: `员工 ${id} ${s ? "已离职" : "不存在"}` });
    };
    if (r.ownerUserId) check(r.ownerUserId, r.cells.ownerUserId);
    for (const id of r.coOwnerUserIds) check(id, r.cells.coOwnerUserIds);
    // The same rules as a split (resolve-children.ts): an owner is not also a co-owner, nobody is named twice.
    const at = (message: string) =>
      problems.push({ sheet: TARGET_SHEET, row: r.row, cell: r.cells.coOwnerUserIds, message });
    if (r.ownerUserId && r.coOwnerUserIds.includes(r.ownerUserId)) at(`协作人不能与负责人相同（${r.ownerUserId}）`);
    if (new Set(r.coOwnerUserIds).size < r.coOwnerUserIds.length) at("协作人重复填写");
  }
  if (problems.length > 0) throw validationError(`Excel 文件有 ${problems.length} 处错误，未导入任何内容`, problems);
}

/** Every parent must equal the sum of its children after the edits; the root must stay the plan total. */
function checkConservation(rows: WorkbookRow[], current: Map<string, Current>, changes: WorkbookRow[]): void {
  const amount = new Map([...current].map(([id, t]) => [id, t.amount]));
  for (const c of changes) amount.set(c.id, c.amount);
  const cellOf = new Map(rows.map((r) => [r.id, r.cells.amount]));
  const children = new Map<string, string[]>();
  for (const t of current.values())
    if (t.parentId) children.set(t.parentId, [...(children.get(t.parentId) ?? []), t.id]);
  const problems: InputProblem[] = [];
  for (const [parentId, kids] of children) {
    const sum = kids.reduce((s, k) => s + (amount.get(k) ?? 0n), 0n);
    const own = amount.get(parentId) ?? 0n;
    if (sum === own) continue;
    const p = current.get(parentId)!;
    const kidCells = kids.map((k) => cellOf.get(k) ?? "?").join("、");
    problems.push({
      sheet: TARGET_SHEET,
      cell: cellOf.get(parentId) ?? "?",
      message: `“${p.label}” ${formatAmountExact(own)} ≠ 子目标合计 ${formatAmountExact(sum)}（差 ${formatAmountExact(own - sum)}；子目标单元格 ${kidCells}）`,
    });
  }
  const root = [...current.values()].find((t) => t.parentId === null);
  if (root && amount.get(root.id) !== root.amount) {
    problems.push({
      sheet: TARGET_SHEET,
      cell: cellOf.get(root.id) ?? "?",
      message: "计划总额不能在 Excel 中修改，请走计划调整审批",
    });
  }
  if (problems.length > 0)
    throw validationError(`修改后不守恒：${problems.length} 处上级目标与子目标之和不一致`, problems);
}

async function applyChanges(
  tx: Tx,
  a: { planId: string; changes: WorkbookRow[]; current: Map<string, Current>; actor: string; reason: string },
) {
  const ledger: LedgerEntry[] = [];
  const out = [];
  for (const r of a.changes) {
    const t = a.current.get(r.id)!;
    const version = t.version + 1;
    await tx.target.update({ where: { id: r.id }, data: { amount: r.amount, ownerUserId: r.ownerUserId, version } });
    await replaceCoOwners(tx, r.id, r.coOwnerUserIds);
    const changes = peopleChanges({ ownerUserId: t.ownerUserId, coOwnerUserIds: t.coOwners }, r);
    ledger.push({
      planId: a.planId,
      targetId: r.id,
      version,
      kind: "IMPORT",
      actor: a.actor,
      reason: a.reason,
      oldAmount: t.amount,
      newAmount: r.amount,
      changes,
    });
    out.push({ id: r.id, label: t.label, version, oldAmount: t.amount, newAmount: r.amount });
  }
  await writeLedger(tx, ledger);
  return out;
}
