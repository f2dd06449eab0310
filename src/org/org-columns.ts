/** A column of an import template: its bilingual header, and the names accepted for it. */
export interface ColumnSpec<F extends string = string> {
  field: F;
  header: string;
  required: boolean;
}

/** Headers are bilingual ("部门ID / dept_id"); a file may use the whole header or either half. */
export const DEPARTMENT_COLUMNS: ColumnSpec<"id" | "name" | "parentId">[] = [
  { field: "id", header: "部门ID / dept_id", required: true },
  { field: "name", header: "部门名称 / name", required: true },
  { field: "parentId", header: "上级部门ID / parent_id", required: true },
];

export const STAFF_COLUMNS: ColumnSpec<"userId" | "name" | "deptId" | "managerUserId" | "title" | "role">[] = [
  { field: "userId", header: "员工ID / user_id", required: true },
  { field: "name", header: "姓名 / name", required: true },
  { field: "deptId", header: "部门ID / dept_id", required: true },
  { field: "managerUserId", header: "直属上级ID / manager_user_id", required: true },
  { field: "title", header: "职位 / title", required: false },
  { field: "role", header: "角色 / role", required: true },
];

export const DEPARTMENT_SHEET = "部门 departments";
export const STAFF_SHEET = "员工 staff";

const normalise = (s: string) => s.replace(/\s+/g, "").toLowerCase();

/** True when `cell` names the column: the full header, or its Chinese or English half. */
export function headerMatches(cell: string, spec: ColumnSpec): boolean {
  const c = normalise(cell);
  if (!c) return false;
  return [spec.header, ...spec.header.split("/")].some((h) => normalise(h) === c);
}

/** Same rule for sheet names: "部门 departments", "部门" or "departments". */
export function sheetMatches(name: string, expected: string): boolean {
  const n = normalise(name);
  return [expected, ...expected.split(" ")].some((h) => normalise(h) === n);
}

/** 0 → "A", 25 → "Z", 26 → "AA". */
export function columnLetter(index: number): string {
  let n = index + 1;
  let s = "";
  while (n > 0) {
    const r = (n - 1) % 26;
    s = String.fromCharCode(65 + r) + s;
    n = Math.floor((n - 1) / 26);
  }
  return s;
}
