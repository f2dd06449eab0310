import { z } from "zod";
import type { UploadLimits } from "../config.ts";
import type { DepartmentRecord, OrgRecords, SourceRef, StaffRecord } from "../domain/org-records.ts";
import { parseJsonBody } from "../http/read-body.ts";
import { checkJsonRows } from "../http/upload-limits.ts";
import { issuesError } from "../http/validate.ts";

/** DingTalk ids are opaque strings; numbers in JSON are accepted and kept as their decimal text. */
const ZId = z.union([z.string(), z.number().int().nonnegative()]).transform((v) => String(v).trim());
const ZOptionalId = z
  .union([ZId, z.null(), z.literal("")])
  .optional()
  .transform((v) => (v === undefined || v === null || v === "" ? null : v));

export const ZDepartmentInput = z.object({
  id: ZId,
  name: z.string(),
  parentId: ZOptionalId,
});

export const ZStaffInput = z.object({
  userId: ZId,
  name: z.string(),
  deptId: ZId,
  managerUserId: ZOptionalId,
  title: z
    .string()
    .nullish()
    .transform((v) => (v?.trim() ? v.trim() : null)),
  role: z.string(),
});

/** The most rows each list of a JSON import may have (UPLOAD_MAX_ROWS is usually lower and checked first). */
const MAX_ROWS = { departments: 100_000, staff: 500_000 } as const;

export const ZOrgImportRequest = z.object({
  departments: z.array(ZDepartmentInput).max(MAX_ROWS.departments),
  staff: z.array(ZStaffInput).max(MAX_ROWS.staff),
});
export type TOrgImportRequest = z.input<typeof ZOrgImportRequest>;

/** Turns the JSON body into records located by their array index. */
export function recordsFromJson(body: z.output<typeof ZOrgImportRequest>): OrgRecords {
  return {
    departments: body.departments.map((d, i) => ({
      ...d,
      ref: { row: i + 1, sheet: "departments", json: true },
    })),
    staff: body.staff.map((s, i) => ({ ...s, ref: { row: i + 1, sheet: "staff", json: true } })),
  };
}

/**
 * The records of a JSON org body as `PUT /api/org` receives it (the bench calls this too): row counts
 * (UPLOAD_MAX_ROWS), the JSON checks every route makes, then {@link orgRecordsFromJson}.
 */
export function orgRecordsFromJsonBody(raw: Buffer, limits: UploadLimits): OrgRecords {
  return orgRecordsFromJson(
    parseJsonBody(raw, { precheck: (value) => checkJsonRows(value, ["departments", "staff"], limits) }),
  );
}

/**
 * The records of a parsed JSON body, checked row by row against the same schemas as {@link ZOrgImportRequest},
 * with the same problems in the same order (a 400 listing every one). Parsing the whole body with zod made
 * ~150 MB of V8 heap for 50,000 rows (zod's objects for every field of every row, promoted to the old
 * generation beside the rows that live on, and kept until a full collection) and then a second copy of each
 * row to add its source. A row of the usual form (strings, and null or nothing where a field is optional) is
 * read by hand into its record here, giving what the schema would; any other row goes through zod, so its
 * problems (or its numeric ids) come out exactly as zod has them.
 */
export function orgRecordsFromJson(body: unknown): OrgRecords {
  if (!body || typeof body !== "object" || Array.isArray(body)) {
    const parsed = ZOrgImportRequest.safeParse(body);
    throw issuesError(parsed.error?.issues ?? []);
  }
  const issues: z.core.$ZodIssue[] = [];
  const value = body as Record<string, unknown>;
  const departments = rowsOf<DepartmentRecord>(value, "departments", ZDepartmentInput, plainDepartment, issues);
  const staff = rowsOf<StaffRecord>(value, "staff", ZStaffInput, plainStaff, issues);
  if (issues.length > 0) throw issuesError(issues);
  return { departments, staff };
}

type Row = Record<string, unknown>;

/** One list of the body: its rows read one at a time, each given its source; problems go to `issues`. */
function rowsOf<R>(
  body: Row,
  sheet: keyof typeof MAX_ROWS,
  schema: typeof ZDepartmentInput | typeof ZStaffInput,
  plain: (row: Row) => Row | undefined,
  issues: z.core.$ZodIssue[],
): R[] {
  const list = body[sheet];
  // Not a list, or too long: the whole list's problem, as zod reports it (it checks the length before the rows).
  if (!Array.isArray(list) || list.length > MAX_ROWS[sheet]) {
    const shell = z.array(z.unknown()).max(MAX_ROWS[sheet]).safeParse(list);
    for (const issue of shell.error?.issues ?? []) issues.push({ ...issue, path: [sheet, ...issue.path] });
    return [];
  }
  const out: R[] = [];
  for (let i = 0; i < list.length; i++) {
    const input: unknown = list[i];
    let record = isRow(input) ? plain(input) : undefined;
    if (!record) {
      const parsed = schema.safeParse(input);
      if (!parsed.success) {
        for (const issue of parsed.error.issues) issues.push({ ...issue, path: [sheet, i, ...issue.path] });
        continue;
      }
      record = parsed.data;
    }
    // Nothing is kept once a row has failed: the import is refused anyway.
    if (issues.length > 0) continue;
    record.ref = { row: i + 1, sheet, json: true } satisfies SourceRef;
    out.push(record as R);
  }
  return out;
}

const isRow = (v: unknown): v is Row => typeof v === "object" && v !== null && !Array.isArray(v);

/** ZId's output for a string id; undefined for anything zod should look at. */
const plainId = (v: unknown) => (typeof v === "string" ? v.trim() : undefined);

/** ZOptionalId's output for a string, null or a missing id ("" and blanks are null); undefined otherwise. */
function plainOptionalId(v: unknown): string | null | undefined {
  if (v === undefined || v === null) return null;
  return typeof v === "string" ? v.trim() || null : undefined;
}

/** {@link ZDepartmentInput}'s output for a department of strings (and null), or undefined. */
function plainDepartment(row: Row): Row | undefined {
  const id = plainId(row.id);
  const parentId = plainOptionalId(row.parentId);
  if (id === undefined || typeof row.name !== "string" || parentId === undefined) return undefined;
  return { id, name: row.name, parentId };
}

/** {@link ZStaffInput}'s output for a person of strings (and null where optional), or undefined. */
function plainStaff(row: Row): Row | undefined {
  const userId = plainId(row.userId);
  const deptId = plainId(row.deptId);
  const managerUserId = plainOptionalId(row.managerUserId);
  const { name, role, title } = row;
  if (userId === undefined || deptId === undefined || managerUserId === undefined) return undefined;
  if (typeof name !== "string" || typeof role !== "string") return undefined;
  if (title !== undefined && title !== null && typeof title !== "string") return undefined;
  return { userId, name, deptId, managerUserId, title: title?.trim() || null, role };
}
