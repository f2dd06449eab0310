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
 * Pure: `known` supplies ids that already exist (for a merge import); a full import passes none.
 */
export function validateOrg(
  input: OrgRecords,
  known: { departmentIds?: ReadonlySet<string>; userIds?: ReadonlySet<string> } = {},
): { ok: true; data: OrgData } | { ok: false; problems: InputProblem[] } {
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
  reportCycles(
    input.departments.map((d) => ({ id: d.id, next: d.parentId, ref: d.ref })),
    (node, path) => at(node.ref, "parentId", `部门层级出现循环：${path.join(" → ")}`),
  );

  const userIds = new Map<string, SourceRef>();
  const roles: TRole[] = [];
  for (const s of input.staff) {
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
  for (const s of input.staff) {
    if (s.managerUserId === null) continue;
    if (s.managerUserId === s.userId) at(s.ref, "managerUserId", `${s.name}（${s.userId}）的直属上级不能是本人`);
    else if (!userExists(s.managerUserId)) at(s.ref, "managerUserId", `直属上级 ${s.managerUserId} 不存在`);
  }
  reportCycles(
    input.staff.map((s) => ({ id: s.userId, next: s.managerUserId, ref: s.ref })),
    (node, path) => at(node.ref, "managerUserId", `汇报关系出现循环：${path.join(" → ")}`),
  );

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

export function normaliseRole(raw: string): TRole | null {
  const v = raw.trim();
  const upper = v.toUpperCase() as TRole;
  if ((ROLES as readonly string[]).includes(upper)) return upper;
  return ROLE_ALIASES[v] ?? null;
}

interface ChainNode {
  id: string;
  next: string | null;
  ref: SourceRef;
}

/**
 * Finds every cycle in a parent-pointer graph (each node has at most one `next`) in linear time and reports
 * it once, on the node of the cycle that comes first in the input.
 */
function reportCycles(nodes: ChainNode[], report: (node: ChainNode, path: string[]) => void): void {
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const state = new Map<string, "visiting" | "done">();
  for (const start of nodes) {
    const path: ChainNode[] = [];
    let node: ChainNode | undefined = start;
    while (node && !state.has(node.id)) {
      state.set(node.id, "visiting");
      path.push(node);
      node = node.next === null ? undefined : byId.get(node.next);
    }
    if (node && state.get(node.id) === "visiting") {
      const cycle = path.slice(path.indexOf(node));
      const first = cycle.reduce((a, b) => (b.ref.row < a.ref.row ? b : a));
      report(first, [...cycle.map((n) => n.id), node.id]);
    }
    for (const n of path) state.set(n.id, "done");
  }
}

function byLocation(a: InputProblem, b: InputProblem): number {
  return (a.sheet ?? "").localeCompare(b.sheet ?? "") || (a.row ?? 0) - (b.row ?? 0);
}
