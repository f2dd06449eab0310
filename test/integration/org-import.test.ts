import { readFile } from "node:fs/promises";
import ExcelJS from "exceljs";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { orgContent, orgSnapshot } from "../helpers/org-snapshot.ts";
import { clone, csvForm, type OrgJson, orgCsvPair, SAMPLES, sampleJson, xlsxForm } from "../helpers/org-uploads.ts";
import { jsonInit } from "../helpers/plan-api.ts";
import { startTestService, type TestService } from "../helpers/test-service.ts";

let svc: TestService;
let org: OrgJson;

beforeAll(async () => {
  svc = await startTestService();
  org = await sampleJson();
});
afterAll(() => svc.close());

const putJson = (body: unknown, query = "") => svc.api(`/api/org${query}`, jsonInit("PUT", body));
const putForm = (form: FormData) => svc.api("/api/org", { method: "PUT", body: form });

async function expectRejected(
  res: Response,
  expected: { row?: number; column?: RegExp; sheet?: RegExp; message: RegExp }[],
) {
  const body = (await res.json()) as { error: { code: string; message: string; details: Record<string, unknown>[] } };
  expect(res.status, JSON.stringify(body)).toBe(400);
  expect(body.error.code).toBe("VALIDATION");
  for (const e of expected) {
    const hit = body.error.details.find(
      (d) =>
        e.message.test(String(d.message)) &&
        (e.row === undefined || d.row === e.row) &&
        (e.column === undefined || e.column.test(String(d.column))) &&
        (e.sheet === undefined || e.sheet.test(String(d.sheet))),
    );
    expect(
      hit,
      `expected a problem like ${JSON.stringify({ ...e, message: String(e.message) })} in ${JSON.stringify(body.error.details)}`,
    ).toBeDefined();
  }
  return body;
}

describe("PUT /api/org with the reference company", () => {
  beforeEach(async () => {
    await svc.db.sql.exec(
      "UPDATE staff SET manager_user_id = NULL; DELETE FROM staff; DELETE FROM department WHERE parent_id IS NOT NULL; DELETE FROM department",
    );
  });

  it("imports JSON, CSV and Excel to identical results", async () => {
    const json = await putJson(org);
    expect(json.status).toBe(200);
    expect(await json.json()).toEqual({
      departments: { created: 10, updated: 0, unchanged: 0, deactivated: 0 },
      staff: { created: 150, updated: 0, unchanged: 0, deactivated: 0 },
    });
    const fromJson = await orgContent(svc.db);
    expect(fromJson.staff).toHaveLength(150);

    const reset = () =>
      svc.db.sql.exec("UPDATE staff SET manager_user_id = NULL; DELETE FROM staff; DELETE FROM department");
    await reset();
    const csv = await putForm(
      csvForm(await readFile(new URL("departments.csv", SAMPLES)), await readFile(new URL("staff.csv", SAMPLES))),
    );
    expect(csv.status).toBe(200);
    expect(await orgContent(svc.db)).toEqual(fromJson);

    await reset();
    const xlsx = await putForm(await xlsxForm(await readFile(new URL("reference-company.xlsx", SAMPLES))));
    expect(xlsx.status).toBe(200);
    expect(await orgContent(svc.db)).toEqual(fromJson);

    // A raw .xlsx body (no multipart) is accepted too.
    await reset();
    const raw = await svc.api("/api/org", {
      method: "PUT",
      headers: { "content-type": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" },
      body: await readFile(new URL("reference-company.xlsx", SAMPLES)),
    });
    expect(raw.status).toBe(200);
    expect(await orgContent(svc.db)).toEqual(fromJson);
  });

  it("re-importing the same data changes nothing, not even timestamps", async () => {
    expect((await putJson(org)).status).toBe(200);
    const before = await orgSnapshot(svc.db);
    const again = await putJson(org);
    expect(await again.json()).toEqual({
      departments: { created: 0, updated: 0, unchanged: 10, deactivated: 0 },
      staff: { created: 0, updated: 0, unchanged: 150, deactivated: 0 },
    });
    expect(await orgSnapshot(svc.db)).toEqual(before);
  });

  it("makes staff missing from a full import inactive, never deletes them, and reactivates them", async () => {
    expect((await putJson(org)).status).toBe(200);
    const without = clone(org);
    without.staff = without.staff.filter((s) => s.userId !== "r11002" && s.userId !== "r12003");
    const res = await putJson(without);
    expect(((await res.json()) as { staff: unknown }).staff).toEqual({
      created: 0,
      updated: 0,
      unchanged: 148,
      deactivated: 2,
    });
    const gone = await svc.db.prisma.staff.findMany({ where: { active: false }, orderBy: { userId: "asc" } });
    expect(gone.map((s) => s.userId)).toEqual(["r11002", "r12003"]);
    expect(await svc.db.prisma.staff.count()).toBe(150);

    const merged = await putJson({ departments: [], staff: [] }, "?mode=merge");
    expect(merged.status).toBe(200);
    expect(await svc.db.prisma.staff.count({ where: { active: false } })).toBe(2);

    const back = await putJson(org);
    expect(((await back.json()) as { staff: unknown }).staff).toEqual({
      created: 0,
      updated: 2,
      unchanged: 148,
      deactivated: 0,
    });
    expect(await svc.db.prisma.staff.count({ where: { active: true } })).toBe(150);
  });

  it("updates a changed person and reports it", async () => {
    expect((await putJson(org)).status).toBe(200);
    const moved = clone(org);
    const li = moved.staff.find((s) => s.userId === "r11001")!;
    li.deptId = "12";
    li.managerUserId = "m12";
    const res = await putJson(moved);
    expect(((await res.json()) as { staff: unknown }).staff).toEqual({
      created: 0,
      updated: 1,
      unchanged: 149,
      deactivated: 0,
    });
    const view = (await (await svc.api("/api/org/staff/r11001")).json()) as Record<string, unknown>;
    expect(view).toMatchObject({ userId: "r11001", name: "李娜", dept: { id: "12", name: "华南大区" } });
  });
});

describe("GET /api/org/staff/:userId", () => {
  beforeAll(async () => {
    expect((await putJson(org)).status).toBe(200);
  });

  it("returns the person with the whole manager chain", async () => {
    const res = await svc.api("/api/org/staff/r11001");
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      userId: "r11001",
      name: "李娜",
      title: "客户经理",
      role: "REP",
      active: true,
      dept: { id: "11", name: "华东大区", active: true },
      managerUserId: "m11",
      managerChain: [
        { userId: "m11", name: expect.any(String), title: "华东区域经理", role: "MANAGER", active: true },
        { userId: "wangjianguo", name: "王建国", title: "销售总监", role: "DIRECTOR", active: true },
      ],
    });
  });

  it("answers 404 with a clear message for an unknown person", async () => {
    const res = await svc.api("/api/org/staff/nobody");
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ error: { code: "NOT_FOUND", message: "员工 nobody 不存在" } });
  });
});

describe("bad org imports are rejected with every problem located, and change nothing", () => {
  let before: Awaited<ReturnType<typeof orgSnapshot>>;
  beforeAll(async () => {
    expect((await putJson(org)).status).toBe(200);
    before = await orgSnapshot(svc.db);
  });
  afterAll(async () => {
    expect(await orgSnapshot(svc.db)).toEqual(before);
  });
  beforeEach(async () => {
    expect(await orgSnapshot(svc.db)).toEqual(before);
  });

  const staffIndex = (id: string) => org.staff.findIndex((s) => s.userId === id);

  it("unknown department", async () => {
    const bad = clone(org);
    bad.staff[staffIndex("r11005")]!.deptId = "99";
    const i = staffIndex("r11005");
    await expectRejected(await putJson(bad), [
      { row: i + 1, column: new RegExp(`staff\\[${i}\\]\\.deptId`), message: /部门 99 不存在/ },
    ]);
  });

  it("duplicate userId", async () => {
    const bad = clone(org);
    bad.staff.push({ ...bad.staff[5]!, name: "重复的人" });
    await expectRejected(await putJson(bad), [{ row: 151, column: /staff\[150\]\.userId/, message: /重复.*第 6 行/ }]);
  });

  it("manager not found", async () => {
    const bad = clone(org);
    bad.staff[10]!.managerUserId = "ghost";
    await expectRejected(await putJson(bad), [{ row: 11, column: /managerUserId/, message: /直属上级 ghost 不存在/ }]);
  });

  it("manager cycle", async () => {
    const bad = clone(org);
    bad.staff[0]!.managerUserId = "m11"; // the director now reports to a manager who reports to the director
    await expectRejected(await putJson(bad), [
      { row: 1, column: /managerUserId/, message: /循环：wangjianguo → m11 → wangjianguo/ },
    ]);
  });

  it("department cycle and self-parent", async () => {
    const bad = clone(org);
    bad.departments[0]!.parentId = "10";
    bad.departments[2]!.parentId = bad.departments[2]!.id;
    await expectRejected(await putJson(bad), [
      { row: 1, column: /departments\[0\]\.parentId/, message: /部门层级出现循环：1 → 10 → 1/ },
      { row: 3, column: /departments\[2\]\.parentId/, message: /不能是它自己/ },
    ]);
  });

  it("empty names and bad role, all listed at once", async () => {
    const bad = clone(org);
    bad.departments[3]!.name = "  ";
    bad.staff[7]!.name = "";
    bad.staff[8]!.role = "BOSS";
    const body = await expectRejected(await putJson(bad), [
      { row: 4, column: /departments\[3\]\.name/, message: /部门名称不能为空/ },
      { row: 8, column: /staff\[7\]\.name/, message: /姓名不能为空/ },
      { row: 9, column: /staff\[8\]\.role/, message: /角色“BOSS”无效/ },
    ]);
    expect(body.error.details).toHaveLength(3);
  });

  it("a JSON body of the wrong shape lists the zod issues", async () => {
    const res = await putJson({ departments: [{ id: "1" }], staff: "nope" });
    const body = (await res.json()) as { error: { details: { field: string }[] } };
    expect(res.status).toBe(400);
    expect(body.error.details.map((d) => d.field)).toEqual(expect.arrayContaining(["departments.0.name", "staff"]));
  });

  it("malformed JSON", async () => {
    const res = await svc.api("/api/org", {
      method: "PUT",
      headers: { "content-type": "application/json" },
      body: "{nope",
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(/不是有效的 JSON/);
  });

  it("CSV problems name the file, row and column", async () => {
    const bad = clone(org);
    bad.staff[3]!.deptId = "77";
    bad.staff[4]!.role = "实习生";
    const { departments, staff } = orgCsvPair(bad);
    await expectRejected(await putForm(csvForm(departments, staff)), [
      { sheet: /staff\.csv/, row: 5, column: /^C（部门ID \/ dept_id）$/, message: /部门 77 不存在/ },
      { sheet: /staff\.csv/, row: 6, column: /^F（角色 \/ role）$/, message: /实习生/ },
    ]);
  });

  it("malformed CSV (broken quote) and a missing header column", async () => {
    const { departments } = orgCsvPair(org);
    await expectRejected(await putForm(csvForm(departments, '员工ID / user_id,姓名 / name\n"r1,张三\n')), [
      { sheet: /staff\.csv/, message: /CSV 格式错误/ },
    ]);
    await expectRejected(await putForm(csvForm("部门ID,名字\n1,公司\n", orgCsvPair(org).staff)), [
      { sheet: /departments\.csv/, row: 1, message: /缺少列“部门名称 \/ name”/ },
    ]);
  });

  it("Excel problems name the sheet, row and column; missing sheets and corrupt files are reported", async () => {
    const bad = clone(org);
    bad.staff[2]!.managerUserId = "nobody";
    await expectRejected(await putForm(await xlsxForm(bad)), [
      {
        sheet: /员工 staff/,
        row: 4,
        column: /^D（直属上级ID \/ manager_user_id）$/,
        message: /直属上级 nobody 不存在/,
      },
    ]);

    const wb = new ExcelJS.Workbook();
    wb.addWorksheet("Sheet1").addRow(["x"]);
    await expectRejected(await putForm(await xlsxForm(Buffer.from(await wb.xlsx.writeBuffer()))), [
      { sheet: /部门 departments/, message: /缺少工作表/ },
      { sheet: /员工 staff/, message: /缺少工作表/ },
    ]);

    const corrupt = Buffer.concat([Buffer.from([0x50, 0x4b, 0x03, 0x04]), Buffer.from("not really a zip")]);
    await expectRejected(await putForm(await xlsxForm(corrupt)), [{ message: /无法读取 Excel 文件/ }]);
  });

  it("a multipart upload without the expected files, and an unknown content type", async () => {
    const form = new FormData();
    form.append("departments", new Blob(["a"]), "d.csv");
    const res = await putForm(form);
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(/departments 和 staff/);

    const text = await svc.api("/api/org", { method: "PUT", headers: { "content-type": "text/plain" }, body: "hello" });
    expect(text.status).toBe(415);
  });

  it("a body over the size limit is refused with 413", async () => {
    const res = await svc.api("/api/org", {
      method: "PUT",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ departments: [], staff: [], pad: "x".repeat(21 * 1024 * 1024) }),
    });
    expect(res.status).toBe(413);
  });
});
