import { z } from "zod";
import type { OrgRecords } from "../domain/org-records.ts";

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
