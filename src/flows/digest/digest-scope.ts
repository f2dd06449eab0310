import type { SqlRunner } from "../../db/sql.ts";
import type { DigestPersonInput } from "../../domain/digest.ts";
import type { Digest } from "../../domain/digest-types.ts";
import { AppError } from "../../lib/errors.ts";

export interface StaffRow extends DigestPersonInput {
  role: string;
}

/** Who sees what: the whole plan, or the people under the viewer by the manager chain (and the viewer). */
export interface DigestScope {
  viewer: Digest["viewer"];
  /** null: everyone (the whole plan). */
  members: ReadonlySet<string> | null;
  teamRoot: string | null;
}

/** Everyone on the staff, once per digest: names, the manager chain (scope and TEAM) and who is active. */
export async function loadStaff(db: SqlRunner): Promise<Map<string, StaffRow>> {
  const rows = await db.query<{
    user_id: string;
    name: string;
    manager_user_id: string | null;
    active: boolean;
    role: string;
  }>("SELECT user_id, name, manager_user_id, active, role::text AS role FROM staff");
  return new Map(
    rows.map((r) => [
      r.user_id,
      { userId: r.user_id, name: r.name, managerUserId: r.manager_user_id, active: r.active, role: r.role },
    ]),
  );
}

/**
 * The viewer's scope (issue #14): no viewer (the admin token), the plan's owner or a DIRECTOR → the whole plan;
 * anyone else → themselves and everyone under them by the manager chain, however many levels and departments
 * (a manager of two regions sees both). Refused: an unknown person (404) and one who left (409); one with
 * nobody under them and no target in the plan is refused once the plan's targets are read (assertSomethingToShow).
 */
export function digestScope(a: {
  viewerUserId: string | undefined;
  planOwnerUserId: string;
  staff: ReadonlyMap<string, StaffRow>;
}): DigestScope {
  if (a.viewerUserId === undefined) {
    return {
      viewer: { userId: null, name: null, scope: "PLAN", role: null },
      members: null,
      teamRoot: a.planOwnerUserId,
    };
  }
  const me = a.staff.get(a.viewerUserId);
  if (!me) throw new AppError("NOT_FOUND", `员工 ${a.viewerUserId} 不存在`);
  if (!me.active) throw new AppError("CONFLICT", `${me.name}（${me.userId}）已离职，不再提供周报和看板`);
  const viewer = { userId: me.userId, name: me.name, role: me.role };
  if (me.role === "DIRECTOR" || me.userId === a.planOwnerUserId) {
    return { viewer: { ...viewer, scope: "PLAN" }, members: null, teamRoot: me.userId };
  }
  return { viewer: { ...viewer, scope: "SUBTREE" }, members: subtree(me.userId, a.staff), teamRoot: me.userId };
}

/** A viewer with nobody under them and no target in the plan has nothing to be told: a 404 that says so. */
export function assertSomethingToShow(scope: DigestScope, ownsTargets: (userId: string) => boolean): void {
  const { userId, name } = scope.viewer;
  if (scope.members?.size === 1 && userId !== null && !ownsTargets(userId)) {
    throw new AppError("NOT_FOUND", `${name}（${userId}）名下没有下属，也没有本计划的目标，没有可汇总的内容`);
  }
}

/** The person and everyone whose manager chain leads to them (people who left included: their targets stay). */
export function subtree(root: string, staff: ReadonlyMap<string, StaffRow>): Set<string> {
  const reports = new Map<string, string[]>();
  for (const s of staff.values()) {
    if (s.managerUserId === null) continue;
    const list = reports.get(s.managerUserId);
    if (list) list.push(s.userId);
    else reports.set(s.managerUserId, [s.userId]);
  }
  const members = new Set([root]);
  const queue = [root];
  while (queue.length > 0) {
    for (const r of reports.get(queue.pop()!) ?? []) {
      if (members.has(r)) continue; // a cycle in bad org data must not loop
      members.add(r);
      queue.push(r);
    }
  }
  return members;
}
