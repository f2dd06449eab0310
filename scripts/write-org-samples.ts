/** Writes the org import samples of the reference company and the empty template into samples/org/. */
import { mkdir, writeFile } from "node:fs/promises";
import { referenceOrg } from "../src/demo/reference-org.ts";
import { DEPARTMENT_COLUMNS, STAFF_COLUMNS } from "../src/org/org-columns.ts";
import { buildOrgWorkbook, orgCsv } from "../src/org/org-workbook.ts";

const dir = new URL("../samples/org/", import.meta.url);
await mkdir(dir, { recursive: true });
const org = referenceOrg();
await writeFile(new URL("reference-company.json", dir), `${JSON.stringify(org, null, 2)}\n`);
await writeFile(
  new URL("departments.csv", dir),
  orgCsv(
    DEPARTMENT_COLUMNS.map((c) => c.header),
    org.departments.map((d) => [d.id, d.name, d.parentId]),
  ),
);
await writeFile(
  new URL("staff.csv", dir),
  orgCsv(
    STAFF_COLUMNS.map((c) => c.header),
    org.staff.map((s) => [s.userId, s.name, s.deptId, s.managerUserId, s.title, s.role]),
  ),
);
await writeFile(new URL("reference-company.xlsx", dir), await buildOrgWorkbook(org));
await writeFile(new URL("org-template.xlsx", dir), await buildOrgWorkbook());
console.log(`wrote samples/org/: ${org.departments.length} departments, ${org.staff.length} staff`);
