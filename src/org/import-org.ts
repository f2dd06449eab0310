import type { Database } from "../db/database.ts";
import type { SqlRunner } from "../db/sql.ts";
import type { OrgData, OrgRecords } from "../domain/org-records.ts";
import { validateOrg } from "../domain/validate-org.ts";
import { AppError, validationError } from "../lib/errors.ts";

/** Serialises org imports (API, file upload, directory sync) so two never interleave. */
const ORG_LOCK_KEY = 727_073_691;

export interface OrgImportCounts {
  departments: { created: number; updated: number; unchanged: number; deactivated: number };
  staff: { created: number; updated: number; unchanged: number; deactivated: number };
}

export interface ImportOrgOptions {
  db: Database;
  records: OrgRecords;
  /**
   * "full" (default): the import is the whole org — departments and staff missing from it become inactive.
   * "merge": only adds and updates; references may point at people and departments already stored.
   */
  mode?: "full" | "merge";
  /** A full import's safety catch (see {@link DeactivationGuard}); none for internal callers that merge. */
  guard?: DeactivationGuard;
}

/**
 * A full import that would deactivate more than `maxShare` of the active staff, or all of them, is refused
 * (409, with the count and the first names) unless `confirm` is exactly that count: a careless upload (an
 * empty file, one department's sheet, the wrong tab) would otherwise take the whole company out of every plan.
 */
export interface DeactivationGuard {
  /** ORG_DEACTIVATE_LIMIT_PERCENT ÷ 100. */
  maxShare: number;
  /** `?confirmDeactivate=N`: the caller saw the count and means it. */
  confirm?: number | undefined;
}

/** How many names a refusal lists (the count is always whole). */
export const DEACTIVATE_NAMES_SHOWN = 50;

/**
 * Imports an org all-or-nothing: every problem is listed by row (and column) and nothing is written, or
 * everything is written in one transaction. Re-importing the same data changes nothing (not even updated_at).
 */
export async function importOrg({ db, records, mode = "full", guard }: ImportOrgOptions): Promise<OrgImportCounts> {
  if (mode === "full" && guard && records.staff.length === 0) {
    throw validationError(
      "完整导入的人员名单为空：这会停用全部人员，未写入任何数据；如只想增改部分人员，请用 ?mode=merge",
      [{ field: "staff", message: "人员名单为空" }],
    );
  }
  const known = mode === "merge" ? await knownIds(db) : {};
  const result = validateOrg(records, known);
  if (!result.ok)
    throw validationError(`导入失败：共 ${result.problems.length} 处错误，未写入任何数据`, result.problems);
  return writeOrg(db, result.data, mode, guard);
}

async function knownIds(db: Database) {
  const [depts, users] = await Promise.all([
    db.sql.query<{ id: string }>("SELECT id FROM department"),
    db.sql.query<{ id: string }>("SELECT user_id AS id FROM staff"),
  ]);
  return { departmentIds: new Set(depts.map((d) => d.id)), userIds: new Set(users.map((u) => u.id)) };
}

async function writeOrg(
  db: Database,
  data: OrgData,
  mode: "full" | "merge",
  guard: DeactivationGuard | undefined,
): Promise<OrgImportCounts> {
  return db.sql.transaction(async (tx) => {
    await tx.query("SELECT pg_advisory_xact_lock($1)", [ORG_LOCK_KEY]);
    // Under the lock, before writing: the count is the one this import would really deactivate.
    if (mode === "full" && guard) await checkDeactivations(tx, data, guard);
    // One statement per table: foreign keys are checked at the end of the statement, so rows may reference
    // each other (parent departments, managers) in any order. `xmax = 0` tells an insert from an update.
    const d = await tx.query<{ inserted: boolean }>(
      `INSERT INTO department (id, name, parent_id)
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[])
       ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, parent_id = EXCLUDED.parent_id, active = true, updated_at = now()
       WHERE (department.name, department.parent_id, department.active) IS DISTINCT FROM (EXCLUDED.name, EXCLUDED.parent_id, true)
       RETURNING (xmax = 0) AS inserted`,
      [data.departments.map((x) => x.id), data.departments.map((x) => x.name), data.departments.map((x) => x.parentId)],
    );
    const s = await tx.query<{ inserted: boolean }>(
      `INSERT INTO staff (user_id, name, dept_id, manager_user_id, title, role)
       SELECT u, n, d, m, t, r::"Role" FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[]) AS x(u, n, d, m, t, r)
       ON CONFLICT (user_id) DO UPDATE SET name = EXCLUDED.name, dept_id = EXCLUDED.dept_id,
         manager_user_id = EXCLUDED.manager_user_id, title = EXCLUDED.title, role = EXCLUDED.role, active = true, updated_at = now()
       WHERE (staff.name, staff.dept_id, staff.manager_user_id, staff.title, staff.role, staff.active)
         IS DISTINCT FROM (EXCLUDED.name, EXCLUDED.dept_id, EXCLUDED.manager_user_id, EXCLUDED.title, EXCLUDED.role, true)
       RETURNING (xmax = 0) AS inserted`,
      [
        data.staff.map((x) => x.userId),
        data.staff.map((x) => x.name),
        data.staff.map((x) => x.deptId),
        data.staff.map((x) => x.managerUserId),
        data.staff.map((x) => x.title),
        data.staff.map((x) => x.role),
      ],
    );
    let deactivated = { departments: 0, staff: 0 };
    if (mode === "full") {
      const ds = await tx.query(
        "UPDATE department SET active = false, updated_at = now() WHERE active AND NOT (id = ANY($1::text[])) RETURNING id",
        [data.departments.map((x) => x.id)],
      );
      const ss = await tx.query(
        "UPDATE staff SET active = false, updated_at = now() WHERE active AND NOT (user_id = ANY($1::text[])) RETURNING user_id",
        [data.staff.map((x) => x.userId)],
      );
      deactivated = { departments: ds.length, staff: ss.length };
    }
    return {
      departments: counts(data.departments.length, d, deactivated.departments),
      staff: counts(data.staff.length, s, deactivated.staff),
    };
  });
}

function counts(total: number, changed: { inserted: boolean }[], deactivated: number) {
  const created = changed.filter((c) => c.inserted).length;
  const updated = changed.length - created;
  return { created, updated, unchanged: total - created - updated, deactivated };
}

/** Refuses (409, nothing written) a full import that deactivates too many people, unless confirmed exactly. */
async function checkDeactivations(tx: SqlRunner, data: OrgData, guard: DeactivationGuard): Promise<void> {
  const [row] = await tx.query<{ active: number; leaving: number; names: string[] }>(
    `SELECT count(*)::int AS active, count(*) FILTER (WHERE NOT (user_id = ANY($1::text[])))::int AS leaving,
            (ARRAY_AGG(name || '（' || user_id || '）' ORDER BY name, user_id)
               FILTER (WHERE NOT (user_id = ANY($1::text[]))))[1:$2] AS names
       FROM staff WHERE active`,
    [data.staff.map((x) => x.userId), DEACTIVATE_NAMES_SHOWN],
  );
  const { active = 0, leaving = 0 } = row ?? {};
  const names = row?.names ?? [];
  const tooMany = leaving > 0 && (leaving === active || leaving > active * guard.maxShare);
  if (guard.confirm === undefined ? !tooMany : guard.confirm === leaving) return;
  const limit = `${Math.round(guard.maxShare * 100)}%`;
  const shown = names.join("、") + (leaving > names.length ? ` 等 ${leaving} 人` : "");
  const message =
    guard.confirm === undefined
      ? `这次完整导入会停用 ${leaving} 名在职人员（共 ${active} 人，超过 ${limit} 的上限${leaving === active ? "，即全部人员" : ""}）：${shown}。未写入任何数据；确认无误请加上 ?confirmDeactivate=${leaving} 重新提交`
      : `确认停用的人数（${guard.confirm}）与这次导入实际会停用的人数（${leaving}）不符，未写入任何数据${leaving > 0 ? `：${shown}` : ""}`;
  throw new AppError("CONFLICT", message, {
    details: { deactivate: leaving, activeStaff: active, limitPercent: guard.maxShare * 100, names },
  });
}
