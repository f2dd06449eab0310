import { readFile } from "node:fs/promises";
import type { referenceOrg } from "../../src/demo/reference-org.ts";
import { DEPARTMENT_COLUMNS, STAFF_COLUMNS } from "../../src/org/org-columns.ts";
import { buildOrgWorkbook, orgCsv } from "../../src/org/org-workbook.ts";

export const SAMPLES = new URL("../../samples/org/", import.meta.url);

/** The reference company's import body (samples/org/reference-company.json has the same shape). */
export type OrgJson = ReturnType<typeof referenceOrg>;

export async function sampleJson(): Promise<OrgJson> {
  return JSON.parse(await readFile(new URL("reference-company.json", SAMPLES), "utf8")) as OrgJson;
}

export function csvForm(departments: string | Buffer, staff: string | Buffer): FormData {
  const form = new FormData();
  form.append("departments", new Blob([departments]), "departments.csv");
  form.append("staff", new Blob([staff]), "staff.csv");
  return form;
}

export function orgCsvPair(org: OrgJson): { departments: string; staff: string } {
  return {
    departments: orgCsv(
      DEPARTMENT_COLUMNS.map((c) => c.header),
      org.departments.map((d) => [d.id, d.name, d.parentId]),
    ),
    staff: orgCsv(
      STAFF_COLUMNS.map((c) => c.header),
      org.staff.map((s) => [s.userId, s.name, s.deptId, s.managerUserId, s.title, s.role]),
    ),
  };
}

export async function xlsxForm(org: OrgJson | Buffer): Promise<FormData> {
  const buf = Buffer.isBuffer(org) ? org : await buildOrgWorkbook(org);
  const form = new FormData();
  form.append("file", new Blob([buf]), "org.xlsx");
  return form;
}

export const clone = <T>(v: T): T => structuredClone(v);
