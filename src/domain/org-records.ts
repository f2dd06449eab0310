/*
 * The org as the import and the directory sync hand it to validateOrg, and as it comes out: records located by
 * their source row, and the validated data. Defined here so that the pure validation (validate-org.ts) and the
 * org feature (src/org/) share them without domain/ importing a feature.
 */

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

/** Where a record came from, so every problem can name its row (and column, for files). */
export interface SourceRef {
  /** 1-based row: the spreadsheet row (header = 1) or the index in the JSON array + 1. */
  row: number;
  sheet?: string;
  /** Field name → how the source calls it (a column letter + header for files). */
  columns?: Partial<Record<string, string>>;
  /**
   * JSON: the record is `${sheet}[${row - 1}]` in the body, so a field is called e.g. `staff[3].userId`. (A
   * columns object of its own per record kept ~50 MB alive in a 50,000-person import.)
   */
  json?: true;
}

/** How the source calls a record's field: its column (files), its JSON path (JSON), or the field name. */
export function sourceColumn(ref: SourceRef, field: string): string {
  if (ref.json) return `${ref.sheet}[${ref.row - 1}].${field}`;
  return ref.columns?.[field] ?? field;
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
