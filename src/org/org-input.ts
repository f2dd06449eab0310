import { z } from "zod";
import type { DepartmentRecord, OrgRecords, SourceRef, StaffRecord } from "../domain/org-records.ts";
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

/** The two lists of an org body, in the order their problems are reported. */
export const ORG_LISTS = ["departments", "staff"] as const;
export type OrgList = (typeof ORG_LISTS)[number];

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
  const [departments, staff] = ORG_LISTS.map((sheet) => {
    const reader = new OrgRowReader(sheet);
    const list = (body as Record<string, unknown>)[sheet];
    if (!reader.isList(list)) reader.notAList(list);
    else for (let i = 0; i < list.length; i++) reader.add(list[i], i);
    return reader;
  }) as [OrgRowReader, OrgRowReader];
  return recordsOf(departments, staff);
}

/** The records the two readers built, or the 400 listing their problems (departments' first, as zod has them). */
export function recordsOf(departments: OrgRowReader, staff: OrgRowReader): OrgRecords {
  const issues = [...departments.issues, ...staff.issues];
  if (issues.length > 0) throw issuesError(issues);
  return {
    departments: departments.records as unknown as DepartmentRecord[],
    staff: staff.records as unknown as StaffRecord[],
  };
}

type Row = Record<string, unknown>;

/** One list of the body, read a row at a time into records; its problems as zod reports them. */
export class OrgRowReader {
  readonly records: Row[] = [];
  issues: z.core.$ZodIssue[] = [];
  private readonly schema: typeof ZDepartmentInput | typeof ZStaffInput;
  private readonly plain: (row: Row) => Row | undefined;

  constructor(private readonly sheet: OrgList) {
    this.schema = sheet === "departments" ? ZDepartmentInput : ZStaffInput;
    this.plain = sheet === "departments" ? plainDepartment : plainStaff;
  }

  /** Whether `value` is a list whose rows zod would look at (it checks the length before the rows). */
  isList(value: unknown): value is unknown[] {
    return Array.isArray(value) && !this.tooLong(value.length);
  }

  tooLong(rows: number): boolean {
    return rows > MAX_ROWS[this.sheet];
  }

  /** The list is not a list, or too long: the whole list's problem, as zod reports it, and nothing else. */
  notAList(value: unknown): void {
    const shell = z.array(z.unknown()).max(MAX_ROWS[this.sheet]).safeParse(value);
    this.issues = (shell.error?.issues ?? []).map((issue) => ({ ...issue, path: [this.sheet, ...issue.path] }));
    this.records.length = 0;
  }

  /** Row `i` (0-based) of the list. Nothing is kept once a row has failed: the import is refused anyway. */
  add(input: unknown, i: number): void {
    let record = isRow(input) ? this.plain(input) : undefined;
    if (!record) {
      const parsed = this.schema.safeParse(input);
      if (!parsed.success) {
        for (const issue of parsed.error.issues) this.issues.push({ ...issue, path: [this.sheet, i, ...issue.path] });
        return;
      }
      record = parsed.data;
    }
    if (this.issues.length > 0) return;
    record.ref = { row: i + 1, sheet: this.sheet, json: true } satisfies SourceRef;
    this.records.push(record);
  }
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
