import { z } from "zod";

export const ROLES = ["DIRECTOR", "MANAGER", "REP", "PRODUCT_OWNER", "ADMIN"] as const;
export type TRole = (typeof ROLES)[number];

/** Chinese role names accepted in files, beside the English enum values. */
export const ROLE_ALIASES: Record<string, TRole> = {
  销售总监: "DIRECTOR",
  总监: "DIRECTOR",
  区域经理: "MANAGER",
  经理: "MANAGER",
  销售经理: "MANAGER",
  客户经理: "REP",
  销售: "REP",
  销售代表: "REP",
  产品经理: "PRODUCT_OWNER",
  产品负责人: "PRODUCT_OWNER",
  管理员: "ADMIN",
  分析师: "ADMIN",
};

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

export const ZOrgImportRequest = z.object({
  departments: z.array(ZDepartmentInput).max(100_000),
  staff: z.array(ZStaffInput).max(500_000),
});
export type TOrgImportRequest = z.input<typeof ZOrgImportRequest>;

/** Where a record came from, so every problem can name its row (and column, for files). */
export interface SourceRef {
  /** 1-based row: the spreadsheet row (header = 1) or the index in the JSON array + 1. */
  row: number;
  sheet?: string;
  /** Field name → how the source calls it (a column letter + header for files, a JSON path for JSON). */
  columns?: Partial<Record<string, string>>;
}

export interface DepartmentRecord {
  id: string;
  name: string;
  parentId: string | null;
  ref: SourceRef;
}

export interface StaffRecord {
  userId: string;
  name: string;
  deptId: string;
  managerUserId: string | null;
  title: string | null;
  /** As given; validated and normalised by validateOrg. */
  role: string;
  ref: SourceRef;
}

export interface OrgRecords {
  departments: DepartmentRecord[];
  staff: StaffRecord[];
}

/** A validated org ready to be written: roles normalised, everything consistent. */
export interface OrgData {
  departments: { id: string; name: string; parentId: string | null }[];
  staff: {
    userId: string;
    name: string;
    deptId: string;
    managerUserId: string | null;
    title: string | null;
    role: TRole;
  }[];
}

/** Turns the JSON body into records located by their array index. */
export function recordsFromJson(body: z.output<typeof ZOrgImportRequest>): OrgRecords {
  return {
    departments: body.departments.map((d, i) => ({
      ...d,
      ref: { row: i + 1, sheet: "departments", columns: jsonColumns("departments", i, ["id", "name", "parentId"]) },
    })),
    staff: body.staff.map((s, i) => ({
      ...s,
      ref: {
        row: i + 1,
        sheet: "staff",
        columns: jsonColumns("staff", i, ["userId", "name", "deptId", "managerUserId", "title", "role"]),
      },
    })),
  };
}

function jsonColumns(list: string, index: number, fields: string[]): Record<string, string> {
  return Object.fromEntries(fields.map((f) => [f, `${list}[${index}].${f}`]));
}
