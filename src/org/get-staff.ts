import type { Database } from "../db/database.ts";
import { AppError } from "../lib/errors.ts";

export interface StaffView {
  userId: string;
  name: string;
  title: string | null;
  role: string;
  active: boolean;
  dept: { id: string; name: string; active: boolean };
  managerUserId: string | null;
  /** Direct manager first, then theirs, up to the top. */
  managerChain: { userId: string; name: string; title: string | null; role: string; active: boolean }[];
}

/** A person with their department and whole manager chain (one recursive query, cycle-safe by depth). */
export async function getStaff(db: Database, userId: string): Promise<StaffView> {
  const person = await db.prisma.staff.findUnique({ where: { userId }, include: { dept: true } });
  if (!person) throw new AppError("NOT_FOUND", `员工 ${userId} 不存在`);
  const chain = await db.sql.query<StaffView["managerChain"][number] & { depth: number }>(
    `WITH RECURSIVE chain AS (
       SELECT s.user_id, s.name, s.title, s.role::text AS role, s.active, s.manager_user_id, 1 AS depth
       FROM staff s WHERE s.user_id = $1
       UNION ALL
       SELECT s.user_id, s.name, s.title, s.role::text, s.active, s.manager_user_id, c.depth + 1
       FROM staff s JOIN chain c ON s.user_id = c.manager_user_id WHERE c.depth < 64
     )
     SELECT user_id AS "userId", name, title, role, active, depth FROM chain WHERE depth > 1 ORDER BY depth`,
    [userId],
  );
  return {
    userId: person.userId,
    name: person.name,
    title: person.title,
    role: person.role,
    active: person.active,
    dept: { id: person.dept.id, name: person.dept.name, active: person.dept.active },
    managerUserId: person.managerUserId,
    managerChain: chain.map(({ depth: _depth, ...m }) => m),
  };
}
