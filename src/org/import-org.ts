import type { Database } from "../db/database.ts";
import type { SqlRunner } from "../db/sql.ts";
import type { OrgData, OrgRecords } from "../domain/org-records.ts";
import { validateOrg } from "../domain/validate-org.ts";
import { chunks } from "../lib/chunks.ts";
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
  /** Rows per INSERT (default {@link ORG_CHUNK_ROWS}); tests make it small to have several chunks. */
  chunkRows?: number;
}

/**
 * Rows per upsert statement. One statement of 50,000 rows made PGlite's WebAssembly heap (which never shrinks)
 * and the process ~50 MB bigger than chunks of 5,000 do; on PostgreSQL it is ten round trips instead of one.
 * All chunks run in the one transaction, so an import is still all-or-nothing.
 */
export const ORG_CHUNK_ROWS = 5_000;

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
export async function importOrg({
  db,
  records,
  mode = "full",
  guard,
  chunkRows = ORG_CHUNK_ROWS,
}: ImportOrgOptions): Promise<OrgImportCounts> {
  if (mode === "full" && guard && records.staff.length === 0) {
    throw validationError(
      "完整导入的人员名单为空：这会停用全部人员，未写入任何数据；如只想增改部分人员，请用 ?mode=merge",
      [{ field: "staff", message: "人员名单为空" }],
    );
  }
  const known = mode === "merge" ? await knownIds(db) : {};
  const result = await validateOrg(records, known);
  if (!result.ok)
    throw validationError(`导入失败：共 ${result.problems.length} 处错误，未写入任何数据`, result.problems);
  return writeOrg(db, result.data, mode, guard, chunkRows);
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
  chunkRows: number,
): Promise<OrgImportCounts> {
  // Foreign keys are checked at the end of each statement, so parents (departments) and managers (staff) go
  // in an earlier chunk than, or the same chunk as, the rows that reference them: ordered by depth in their
  // tree (validateOrg has refused cycles). Counted in SQL: a chunk answers one row, not one per person.
  const departments = byDepth(
    data.departments,
    (d) => d.id,
    (d) => d.parentId,
  );
  const staff = byDepth(
    data.staff,
    (s) => s.userId,
    (s) => s.managerUserId,
  );
  const userIds = data.staff.map((x) => x.userId);
  return db.sql.transaction(async (tx) => {
    await tx.query("SELECT pg_advisory_xact_lock($1)", [ORG_LOCK_KEY]);
    // Under the lock, before writing: the count is the one this import would really deactivate.
    if (mode === "full" && guard) await checkDeactivations(tx, userIds, guard);
    // `xmax = 0` tells an insert from an update; unchanged rows are not rewritten (nor returned).
    const d = { created: 0, updated: 0 };
    for (const rows of chunks(departments, chunkRows)) {
      add(
        d,
        await tx.query<Changed>(
          `WITH up AS (
             INSERT INTO department (id, name, parent_id)
             SELECT * FROM unnest($1::text[], $2::text[], $3::text[])
             ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, parent_id = EXCLUDED.parent_id, active = true, updated_at = now()
             WHERE (department.name, department.parent_id, department.active) IS DISTINCT FROM (EXCLUDED.name, EXCLUDED.parent_id, true)
             RETURNING (xmax = 0) AS inserted)
           ${COUNT_CHANGED}`,
          [rows.map((x) => x.id), rows.map((x) => x.name), rows.map((x) => x.parentId)],
        ),
      );
    }
    const s = { created: 0, updated: 0 };
    for (const rows of chunks(staff, chunkRows)) {
      add(
        s,
        await tx.query<Changed>(
          `WITH up AS (
             INSERT INTO staff (user_id, name, dept_id, manager_user_id, title, role)
             SELECT u, n, d, m, t, r::"Role" FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[]) AS x(u, n, d, m, t, r)
             ON CONFLICT (user_id) DO UPDATE SET name = EXCLUDED.name, dept_id = EXCLUDED.dept_id,
               manager_user_id = EXCLUDED.manager_user_id, title = EXCLUDED.title, role = EXCLUDED.role, active = true, updated_at = now()
             WHERE (staff.name, staff.dept_id, staff.manager_user_id, staff.title, staff.role, staff.active)
               IS DISTINCT FROM (EXCLUDED.name, EXCLUDED.dept_id, EXCLUDED.manager_user_id, EXCLUDED.title, EXCLUDED.role, true)
             RETURNING (xmax = 0) AS inserted)
           ${COUNT_CHANGED}`,
          [
            rows.map((x) => x.userId),
            rows.map((x) => x.name),
            rows.map((x) => x.deptId),
            rows.map((x) => x.managerUserId),
            rows.map((x) => x.title),
            rows.map((x) => x.role),
          ],
        ),
      );
    }
    let deactivated = { departments: 0, staff: 0 };
    if (mode === "full") {
      const [ds] = await tx.query<{ n: number }>(
        `WITH gone AS (UPDATE department SET active = false, updated_at = now() WHERE active AND NOT (id = ANY($1::text[])) RETURNING 1)
         SELECT count(*)::int AS n FROM gone`,
        [data.departments.map((x) => x.id)],
      );
      const [ss] = await tx.query<{ n: number }>(
        `WITH gone AS (UPDATE staff SET active = false, updated_at = now() WHERE active AND NOT (user_id = ANY($1::text[])) RETURNING 1)
         SELECT count(*)::int AS n FROM gone`,
        [userIds],
      );
      deactivated = { departments: ds?.n ?? 0, staff: ss?.n ?? 0 };
    }
    return {
      departments: counts(data.departments.length, d, deactivated.departments),
      staff: counts(data.staff.length, s, deactivated.staff),
    };
  });
}

type Changed = { created: number; updated: number };
const COUNT_CHANGED =
  "SELECT count(*) FILTER (WHERE inserted)::int AS created, count(*) FILTER (WHERE NOT inserted)::int AS updated FROM up";

function add(sum: Changed, [row]: Changed[]): void {
  sum.created += row?.created ?? 0;
  sum.updated += row?.updated ?? 0;
}

function counts(total: number, changed: Changed, deactivated: number) {
  return { ...changed, unchanged: total - changed.created - changed.updated, deactivated };
}

/**
 * The rows ordered by their depth in the tree `parentOf` draws among them (roots, and rows whose parent is
 * not in the import, first), stably. Assumes no cycles. Depths by row index in a typed array, and an index
 * order sorted: no object per row (the import's heap is what PGlite's process peaks with).
 */
function byDepth<T>(rows: readonly T[], idOf: (r: T) => string, parentOf: (r: T) => string | null): T[] {
  const indexOf = new Map<string, number>();
  for (let i = 0; i < rows.length; i++) indexOf.set(idOf(rows[i] as T), i);
  const depth = new Int32Array(rows.length).fill(-1);
  const chain: number[] = [];
  for (let start = 0; start < rows.length; start++) {
    let i: number | undefined = start;
    let d = -1;
    while (i !== undefined) {
      const known = depth[i] as number;
      if (known >= 0) {
        d = known;
        break;
      }
      chain.push(i);
      const parent = parentOf(rows[i] as T);
      i = parent === null ? undefined : indexOf.get(parent);
    }
    for (let k = chain.length - 1; k >= 0; k--) depth[chain[k] as number] = ++d;
    chain.length = 0;
  }
  const order = Uint32Array.from(rows.keys()).sort((a, b) => (depth[a] as number) - (depth[b] as number) || a - b);
  return Array.from(order, (i) => rows[i] as T);
}

/** Refuses (409, nothing written) a full import that deactivates too many people, unless confirmed exactly. */
async function checkDeactivations(tx: SqlRunner, userIds: string[], guard: DeactivationGuard): Promise<void> {
  const [row] = await tx.query<{ active: number; leaving: number; names: string[] }>(
    `SELECT count(*)::int AS active, count(*) FILTER (WHERE NOT (user_id = ANY($1::text[])))::int AS leaving,
            (ARRAY_AGG(name || '（' || user_id || '）' ORDER BY name, user_id)
               FILTER (WHERE NOT (user_id = ANY($1::text[]))))[1:$2] AS names
       FROM staff WHERE active`,
    [userIds, DEACTIVATE_NAMES_SHOWN],
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
