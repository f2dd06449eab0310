import type { Database } from "../db/database.ts";
import type { DirectoryClient, TDirectoryListUser, TDirectoryUserDetail } from "../dingtalk/directory-client.ts";
import type { DepartmentRecord, OrgRecords, StaffRecord, TRole } from "../domain/org-records.ts";
import { AppError } from "../lib/errors.ts";
import type { Logger } from "../lib/logger.ts";
import { type DeactivationGuard, importOrg, type OrgImportCounts } from "./import-org.ts";

/** The `sheet` of every SourceRef, so a validation problem says it came from the directory, not a file. */
export const DIRECTORY_SHEET = "钉钉通讯录";
/** Root name when the host has no `/topapi/v2/department/get` (the emulator). */
export const ROOT_FALLBACK_NAME = "全公司";
/** Parallel directory calls; DingTalk allows 20 QPS per API (docs/dingtalk.md §8), so stay well below. */
const CONCURRENCY = 8;

export interface SyncDirectoryOptions {
  db: Database;
  client: DirectoryClient;
  /** The department whose subtree is the org (default "1", the whole company). */
  rootDeptId?: string;
  log?: Logger;
  /** The full import's safety catch (see importOrg): a directory answer missing many people is refused. */
  guard?: DeactivationGuard;
}

export interface SyncDirectoryResult extends OrgImportCounts {
  departmentsWalked: number;
  usersFetched: number;
}

/**
 * Pulls the org from the DingTalk directory (docs/dingtalk.md §6) and imports it as a full import: people and
 * departments gone from the directory become inactive. Everything is read first, so a failing API call
 * leaves the database untouched; the import itself is all-or-nothing.
 */
export async function syncDirectory({
  db,
  client,
  rootDeptId = "1",
  log,
  guard,
}: SyncDirectoryOptions): Promise<SyncDirectoryResult> {
  const rootId = Number(rootDeptId);
  if (!Number.isSafeInteger(rootId)) throw new AppError("VALIDATION", `根部门ID“${rootDeptId}”无效：钉钉部门ID是整数`);
  let records: OrgRecords;
  let usersFetched: number;
  try {
    const depts = await walkDepartments(client, rootId);
    const members = await listMembers(client, depts);
    const details = await mapLimit([...members.keys()], CONCURRENCY, (id) => client.getUser(id));
    usersFetched = details.length;
    // Roles DingTalk cannot express (PRODUCT_OWNER, ADMIN, a sales director who is not the DingTalk 老板) are
    // set through PUT /api/org; a sync keeps the stored role of everyone it already knows.
    const known = new Map(
      (await db.prisma.staff.findMany({ select: { userId: true, role: true } })).map((s) => [s.userId, s.role]),
    );
    records = buildRecords(depts, members, details, log, known);
  } catch (err) {
    if (!(err instanceof AppError)) throw err;
    throw new AppError(err.code, `钉钉通讯录同步失败，未写入任何数据：${err.userMessage}`, {
      details: err.details,
      cause: err,
    });
  }
  const counts = await importOrg({ db, records, mode: "full", ...(guard ? { guard } : {}) });
  log?.info({ ...counts, departments: records.departments.length, usersFetched }, "directory synced");
  return { ...counts, departmentsWalked: records.departments.length, usersFetched };
}

/**
 * DingTalk flags → our role, the only place this is decided. `boss` (the org's 老板 in DingTalk admin) →
 * DIRECTOR; 主管 of the department they are filed under (user/list `leader`, which is per department) →
 * MANAGER; everyone else → REP. DingTalk knows nothing of our PRODUCT_OWNER / ADMIN (its `admin` means a
 * DingTalk administrator), so those come only from PUT /api/org.
 */
export function roleFromDirectory(flags: { boss: boolean; leader: boolean }): TRole {
  if (flags.boss) return "DIRECTOR";
  if (flags.leader) return "MANAGER";
  return "REP";
}

interface WalkedDept {
  id: number;
  name: string;
  parentId: number | null;
}

/** Breadth-first from the root with listsub (direct children only); the root itself has no parent. */
async function walkDepartments(client: DirectoryClient, rootId: number): Promise<WalkedDept[]> {
  const walked: WalkedDept[] = [{ id: rootId, name: await rootName(client, rootId), parentId: null }];
  const seen = new Set([rootId]);
  for (let level = [rootId]; level.length > 0; ) {
    const children = await mapLimit(level, CONCURRENCY, (id) => client.listSubDepartments(id));
    const next: number[] = [];
    level.forEach((parentId, i) => {
      for (const child of children[i] ?? []) {
        // A department listed twice (or a cycle in bad data) is walked once.
        if (seen.has(child.dept_id)) continue;
        seen.add(child.dept_id);
        walked.push({ id: child.dept_id, name: child.name, parentId });
        next.push(child.dept_id);
      }
    });
    level = next;
  }
  return walked;
}

async function rootName(client: DirectoryClient, rootId: number): Promise<string> {
  try {
    return (await client.getDepartment(rootId)).name;
  } catch (err) {
    // Only a host without the API (HTTP 404 / errcode 22, docs/dingtalk.md §8) gets the fallback name.
    const errcode = err instanceof AppError ? (err.details as { errcode?: unknown } | undefined)?.errcode : undefined;
    if (errcode === 404 || errcode === 22) return ROOT_FALLBACK_NAME;
    throw err;
  }
}

interface Member {
  item: TDirectoryListUser;
  /** The department they are filed under: the first of their dept_id_list that is in the walk. */
  deptId: number;
  leader: boolean;
}

/** Every user once, however many departments list them. */
async function listMembers(client: DirectoryClient, depts: WalkedDept[]): Promise<Map<string, Member>> {
  const lists = await mapLimit(depts, CONCURRENCY, (d) => client.listUsers(d.id));
  const walkedIds = new Set(depts.map((d) => d.id));
  const listedIn = new Map<string, { item: TDirectoryListUser; leaderIn: Map<number, boolean> }>();
  depts.forEach((dept, i) => {
    for (const item of lists[i] ?? []) {
      const entry = listedIn.get(item.userid) ?? { item, leaderIn: new Map<number, boolean>() };
      entry.leaderIn.set(dept.id, item.leader);
      listedIn.set(item.userid, entry);
    }
  });
  const members = new Map<string, Member>();
  for (const [userId, { item, leaderIn }] of listedIn) {
    // dept_id_list has no "main" department (docs/dingtalk.md §6); its first walked entry is stable between syncs.
    const deptId = item.dept_id_list.find((id) => walkedIds.has(id)) ?? [...leaderIn.keys()][0] ?? depts[0]!.id;
    members.set(userId, { item, deptId, leader: leaderIn.get(deptId) ?? false });
  }
  return members;
}

function buildRecords(
  depts: WalkedDept[],
  members: Map<string, Member>,
  details: TDirectoryUserDetail[],
  log: Logger | undefined,
  knownRoles: ReadonlyMap<string, TRole>,
): OrgRecords {
  const departments: DepartmentRecord[] = depts.map((d, i) => ({
    id: String(d.id),
    name: d.name,
    parentId: d.parentId === null ? null : String(d.parentId),
    ref: { row: i + 1, sheet: DIRECTORY_SHEET, columns: DEPT_COLUMNS },
  }));
  const outside: { userId: string; managerUserId: string }[] = [];
  const staff: StaffRecord[] = details.map((detail, i) => {
    const member = members.get(detail.userid);
    const manager = detail.manager_userid?.trim() || null;
    const managerKnown = manager !== null && manager !== detail.userid && members.has(manager);
    if (manager !== null && !managerKnown) outside.push({ userId: detail.userid, managerUserId: manager });
    const title = (detail.title ?? member?.item.title ?? "").trim();
    return {
      userId: detail.userid,
      name: detail.name,
      deptId: String(member?.deptId ?? depts[0]!.id),
      managerUserId: managerKnown ? manager : null,
      title: title || null,
      role:
        knownRoles.get(detail.userid) ??
        roleFromDirectory({ boss: detail.boss || (member?.item.boss ?? false), leader: member?.leader ?? false }),
      ref: { row: i + 1, sheet: DIRECTORY_SHEET, columns: STAFF_COLUMNS },
    };
  });
  if (outside.length > 0) {
    log?.warn(
      { count: outside.length, sample: outside.slice(0, 20) },
      "directory sync: managers outside the synced departments were left empty; sync from a higher root department to keep them",
    );
  }
  return { departments, staff };
}

const DEPT_COLUMNS = {
  id: "department/listsub:dept_id",
  name: "department/listsub:name",
  parentId: "department/listsub:parent_id",
};
const STAFF_COLUMNS = {
  userId: "user/list:userid",
  name: "user/get:name",
  deptId: "user/list:dept_id_list",
  managerUserId: "user/get:manager_userid",
  title: "user/get:title",
  role: "user/list:leader/boss",
};

/** Runs `fn` over `items`, at most `limit` at a time, results in input order; stops starting new ones on a failure. */
async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  let failed = false;
  const worker = async () => {
    while (!failed && next < items.length) {
      const i = next++;
      try {
        results[i] = await fn(items[i] as T);
      } catch (err) {
        failed = true;
        throw err;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
