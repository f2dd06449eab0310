import type { Tx } from "../../db/database.ts";
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
export async function loadStaff(tx: Tx): Promise<Map<string, StaffRow>> {
  const rows = await tx.$queryRawUnsafe<
    { user_id: string; name: string; manager_user_id: string | null; active: boolean; role: string }[]
  >("SELECT user_id, name, manager_user_id, active, role::text AS role FROM staff");
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
 * (a manager of two regions sees both). Refused: an unknown person (404), one who left (409), and one with
 * nobody under them and no target in the plan (404: there is nothing to report to them).
 */
export function digestScope(a: {
  viewerUserId: string | undefined;
  planOwnerUserId: string;
  staff: ReadonlyMap<string, StaffRow>;
  ownsTargets: (userId: string) => boolean;
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
  const members = subtree(me.userId, a.staff);
  if (members.size === 1 && !a.ownsTargets(me.userId)) {
    throw new AppError("NOT_FOUND", `${me.name}（${me.userId}）名下没有下属，也没有本计划的目标，没有可汇总的内容`);
  }
  return { viewer: { ...viewer, scope: "SUBTREE" }, members, teamRoot: me.userId };
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
