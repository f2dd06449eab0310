import { type Tx, txSql } from "../db/database.ts";
import { AppError, type InputProblem } from "../lib/errors.ts";
import type { TSplitRequest } from "./plan-input.ts";

export interface ResolvedChild {
  key: string;
  label: string;
  ownerUserId: string | null;
  coOwnerUserIds: string[];
}

/**
 * Checks the people and departments a split names and fills in what follows from the dimension: an OWNER
 * child is owned by the person its key names; a REGION child is a department and is labelled with its name.
 * Unknown or inactive people and departments are 400s naming the child.
 */
export async function resolveChildren(tx: Tx, req: TSplitRequest): Promise<ResolvedChild[]> {
  const children = req.children.map((c) => ({
    ...c,
    ownerUserId: c.ownerUserId ?? (req.dimension === "OWNER" ? c.key : undefined),
  }));
  const userIds = [...new Set(children.flatMap((c) => [c.ownerUserId ?? [], ...c.coOwnerUserIds].flat()))];
  const staff = new Map(
    (
      await txSql(tx).query<{ userId: string; name: string; active: boolean }>(
        `SELECT user_id AS "userId", name, active FROM staff WHERE user_id = ANY($1::text[])`,
        [userIds],
      )
    ).map((s) => [s.userId, s] as const),
  );
  const depts =
    req.dimension === "REGION"
      ? new Map(
          (await tx.department.findMany({ where: { id: { in: children.map((c) => c.key) } } })).map(
            (d) => [d.id, d] as const,
          ),
        )
      : undefined;
  const problems: InputProblem[] = [];
  const person = (id: string, field: string) => {
    const s = staff.get(id);
    if (!s) problems.push({ field, message: `员工 ${id} 不存在` });
    else if (!s.active) problems.push({ field, message: `${s.name}（${id}）已离职，不能承担目标` });
  };
  const resolved = children.map((c, i) => {
    if (c.ownerUserId) person(c.ownerUserId, `children[${i}].ownerUserId`);
    c.coOwnerUserIds.forEach((id, j) => {
      person(id, `children[${i}].coOwnerUserIds[${j}]`);
      if (id === c.ownerUserId)
        problems.push({ field: `children[${i}].coOwnerUserIds[${j}]`, message: "协作人不能与负责人相同" });
    });
    const dept = depts?.get(c.key);
    if (depts && !dept)
      problems.push({ field: `children[${i}].key`, message: `按区域拆分时 key 应为部门ID，部门 ${c.key} 不存在` });
    else if (dept && !dept.active) problems.push({ field: `children[${i}].key`, message: `部门 ${dept.name} 已停用` });
    const label =
      c.label ??
      dept?.name.replace(/大区$/, "") ??
      // Only a person's target is named after the person: a channel "线上" owned by a manager stays "线上".
      (req.dimension === "OWNER" && c.ownerUserId ? staff.get(c.ownerUserId)?.name : undefined) ??
      c.key;
    return { key: c.key, label, ownerUserId: c.ownerUserId ?? null, coOwnerUserIds: [...new Set(c.coOwnerUserIds)] };
  });
  if (problems.length > 0) {
    throw new AppError("VALIDATION", `拆分无效：${problems.map((p) => p.message).join("；")}`, { details: problems });
  }
  return resolved;
}
