import { setImmediate as yieldToLoop } from "node:timers/promises";
import type { InputProblem } from "../lib/errors.ts";
import {
  type OrgData,
  type OrgRecords,
  ROLE_ALIASES,
  ROLES,
  type SourceRef,
  sourceColumn,
  type TRole,
} from "./org-records.ts";

/**
 * Checks an org import as a whole and lists every problem with its row (and column): empty names, bad roles,
 * duplicate ids, unknown departments or managers, and cycles in the department tree or the manager chain.
 * Pure: `known` supplies ids that already exist (for a merge import); a full import passes none. Gives the event
 * loop back every {@link ROWS_PER_SLICE} staff rows: 100,000 invalid rows were ~0.2 s of one synchronous call
 * (bench:hostile), with /healthz, chat pushes and card clicks waiting.
 */
export async function validateOrg(
  input: OrgRecords,
  known: { departmentIds?: ReadonlySet<string>; userIds?: ReadonlySet<string> } = {},
): Promise<{ ok: true; data: OrgData } | { ok: false; problems: InputProblem[] }> {
  const problems: InputProblem[] = [];
  const at = (ref: SourceRef, field: string, message: string) =>
    problems.push({
      message,
      row: ref.row,
      ...(ref.sheet ? { sheet: ref.sheet } : {}),
      column: sourceColumn(ref, field),
    });

  const deptIds = new Map<string, SourceRef>();
  for (const d of input.departments) {
    if (!d.id) at(d.ref, "id", "部门ID不能为空");
    else if (deptIds.has(d.id)) at(d.ref, "id", `部门ID ${d.id} 重复（第 ${deptIds.get(d.id)?.row} 行已出现）`);
    else deptIds.set(d.id, d.ref);
    if (!d.name.trim()) at(d.ref, "name", "部门名称不能为空");
  }
  const deptExists = (id: string) => deptIds.has(id) || (known.departmentIds?.has(id) ?? false);
  for (const d of input.departments) {
    if (d.parentId === null) continue;
    if (d.parentId === d.id) at(d.ref, "parentId", `部门 ${d.id} 的上级部门不能是它自己`);
    else if (!deptExists(d.parentId)) at(d.ref, "parentId", `上级部门 ${d.parentId} 不存在`);
  }
  await reportCycles(
    input.departments,
    (d) => d.id,
    (d) => d.parentId,
    (d, path) => at(d.ref, "parentId", `部门层级出现循环：${path.join(" → ")}`),
  );

  const userIds = new Map<string, SourceRef>();
  const roles: TRole[] = [];
  for (const [i, s] of input.staff.entries()) {
    if (i % ROWS_PER_SLICE === ROWS_PER_SLICE - 1) await yieldToLoop();
    if (!s.userId) at(s.ref, "userId", "员工ID不能为空");
    else if (userIds.has(s.userId))
      at(s.ref, "userId", `员工ID ${s.userId} 重复（第 ${userIds.get(s.userId)?.row} 行已出现）`);
    else userIds.set(s.userId, s.ref);
    if (!s.name.trim()) at(s.ref, "name", "姓名不能为空");
    if (!s.deptId) at(s.ref, "deptId", "部门ID不能为空");
    else if (!deptExists(s.deptId)) at(s.ref, "deptId", `部门 ${s.deptId} 不存在`);
    const role = normaliseRole(s.role);
    if (!role)
      at(s.ref, "role", `角色“${s.role}”无效，应为 ${ROLES.join(" / ")} 或 销售总监/区域经理/客户经理/产品经理/管理员`);
    roles.push(role ?? "REP");
  }
  const userExists = (id: string) => userIds.has(id) || (known.userIds?.has(id) ?? false);
  await yieldToLoop();
  for (const [i, s] of input.staff.entries()) {
    if (i % ROWS_PER_SLICE === ROWS_PER_SLICE - 1) await yieldToLoop();
    if (s.managerUserId === null) continue;
    if (s.managerUserId === s.userId) at(s.ref, "managerUserId", `${s.name}（${s.userId}）的直属上级不能是本人`);
    else if (!userExists(s.managerUserId)) at(s.ref, "managerUserId", `直属上级 ${s.managerUserId} 不存在`);
  }
  await reportCycles(
    input.staff,
    (s) => s.userId,
    (s) => s.managerUserId,
    (s, path) => at(s.ref, "managerUserId", `汇报关系出现循环：${path.join(" → ")}`),
  );

  await yieldToLoop();
  if (problems.length > 0) return { ok: false, problems: problems.sort(byLocation) };
  return {
    ok: true,
    data: {
      departments: input.departments.map((d) => ({ id: d.id, name: d.name.trim(), parentId: d.parentId })),
      staff: input.staff.map((s, i) => ({
        userId: s.userId,
        name: s.name.trim(),
        deptId: s.deptId,
        managerUserId: s.managerUserId,
        title: s.title,
        role: roles[i] ?? "REP",
      })),
    },
  };
}

/** Staff rows checked between two turns of the event loop. */
const ROWS_PER_SLICE = 5_000;

export function normaliseRole(raw: string): TRole | null {
  const v = raw.trim();
  const upper = v.toUpperCase() as TRole;
  if ((ROLES as readonly string[]).includes(upper)) return upper;
  return ROLE_ALIASES[v] ?? null;
}

/**
 * Finds every cycle in a parent-pointer graph (each row has at most one `next`) in linear time and reports
 * it once, on the row of the cycle that comes first in the input. Walks the rows themselves (a copy of each
 * as a node cost a 50,000-person import ~10 MB of heap for nothing).
 */
async function reportCycles<T extends { ref: SourceRef }>(
  rows: readonly T[],
  idOf: (row: T) => string,
  nextOf: (row: T) => string | null,
  report: (row: T, path: string[]) => void,
): Promise<void> {
  const byId = new Map<string, T>();
  for (const row of rows) byId.set(idOf(row), row);
  const state = new Map<string, "visiting" | "done">();
  for (const [i, start] of rows.entries()) {
    if (i % ROWS_PER_SLICE === 0) await yieldToLoop();
    const path: T[] = [];
    let row: T | undefined = start;
    while (row && !state.has(idOf(row))) {
      state.set(idOf(row), "visiting");
      path.push(row);
      const next = nextOf(row);
      row = next === null ? undefined : byId.get(next);
    }
    if (row && state.get(idOf(row)) === "visiting") {
      const cycle = path.slice(path.indexOf(row));
      const first = cycle.reduce((a, b) => (b.ref.row < a.ref.row ? b : a));
      report(first, [...cycle.map(idOf), idOf(row)]);
    }
    for (const r of path) state.set(idOf(r), "done");
  }
}

function byLocation(a: InputProblem, b: InputProblem): number {
  return (a.sheet ?? "").localeCompare(b.sheet ?? "") || (a.row ?? 0) - (b.row ?? 0);
}
