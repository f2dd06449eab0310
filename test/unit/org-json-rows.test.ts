import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { UploadLimits } from "../../src/config.ts";
import { validateOrg } from "../../src/domain/validate-org.ts";
import { parseJsonBody } from "../../src/http/read-body.ts";
import { checkJsonRows } from "../../src/http/upload-limits.ts";
import { zodProblems } from "../../src/http/validate.ts";
import { AppError } from "../../src/lib/errors.ts";
import { DEPARTMENT_COLUMNS, STAFF_COLUMNS } from "../../src/org/org-columns.ts";
import { orgRecordsFromJson, recordsFromJson, ZOrgImportRequest } from "../../src/org/org-input.ts";
import { orgRecordsFromJsonBody, orgRecordsFromJsonRows } from "../../src/org/org-json-body.ts";
import { orgCsv } from "../../src/org/org-workbook.ts";
import { parseOrgCsv } from "../../src/org/parse-org-files.ts";

/**
 * orgRecordsFromJson reads the rows of `PUT /api/org` one at a time, most of them by hand; it must give what
 * parsing the whole body with ZOrgImportRequest gives: the same records, or the same problems in the same order.
 */
function viaSchema(body: unknown) {
  const parsed = ZOrgImportRequest.safeParse(body);
  return parsed.success ? { records: recordsFromJson(parsed.data) } : { problems: zodProblems(parsed.error) };
}

function viaRows(body: unknown) {
  try {
    return { records: orgRecordsFromJson(body) };
  } catch (err) {
    if (!(err instanceof AppError)) throw err;
    expect(err.code).toBe("VALIDATION");
    expect(err.userMessage).toBe("请求参数无效");
    return { problems: err.details };
  }
}

// Every kind of value a field could hold in JSON, the tricky strings (blank, padded, empty) among them.
const text = fc.oneof(
  fc.constantFrom("", " ", "  d1 ", "\t", "u1", "总公司", " 客户经理 "),
  fc.string({ maxLength: 6 }),
);
const value = fc.oneof(
  text,
  text,
  text,
  fc.constantFrom(null, 0, 7, -1, 1.5, 2 ** 60, true, false),
  fc.constant([]),
  fc.constant({}),
);
/** A row: each field present with any value, or left out; sometimes an extra key. */
const row = (fields: string[]) =>
  fc.record(Object.fromEntries([...fields, "extra"].map((f) => [f, value])), { requiredKeys: [] });
const department = fc.oneof(row(["id", "name", "parentId"]), value);
const staff = fc.oneof(row(["userId", "name", "deptId", "managerUserId", "title", "role"]), value);

describe("the JSON org body read row by row", () => {
  it("gives the same records or the same problems as the whole-body schema", () => {
    fc.assert(
      fc.property(
        fc.record(
          {
            departments: fc.oneof(fc.array(department, { maxLength: 4 }), value),
            staff: fc.oneof(fc.array(staff, { maxLength: 4 }), value),
          },
          { requiredKeys: [] },
        ),
        (body) => {
          expect(viaRows(body)).toEqual(viaSchema(body));
        },
      ),
      { numRuns: 3000 },
    );
  });

  it("agrees on well-formed rows too (the usual case, read by hand)", () => {
    const good = {
      departments: [
        { id: " d0 ", name: "总公司", parentId: null },
        { id: "d1", name: "华东", parentId: "d0", extra: 1 },
        { id: 2, name: "华南", parentId: "" },
        { id: "d3", name: "华北" },
      ],
      staff: [
        { userId: "u1", name: "张三", deptId: "d1", managerUserId: "  ", title: " 客户经理 ", role: "REP" },
        { userId: 7, name: "李四", deptId: " d1", managerUserId: 1, title: "", role: "经理" },
        { userId: "u3", name: "王五", deptId: "d1", role: "REP" },
      ],
    };
    const rows = viaRows(good);
    expect(rows).toEqual(viaSchema(good));
    expect(rows.records?.staff[0]).toMatchObject({
      managerUserId: null,
      title: "客户经理",
      ref: { row: 1, sheet: "staff" },
    });
    expect(viaRows([1])).toEqual(viaSchema([1]));
    expect(viaRows(null)).toEqual(viaSchema(null));
  });
});

/** The same body's bytes parsed whole (what every JSON route does), then the rows read. */
function wholeBody(raw: Buffer, limits: UploadLimits) {
  return outcome(() =>
    orgRecordsFromJson(parseJsonBody(raw, { precheck: (v) => checkJsonRows(v, ["departments", "staff"], limits) })),
  );
}

function outcome(read: () => unknown) {
  try {
    return { records: read() };
  } catch (err) {
    return failure(err);
  }
}

async function outcomeOf(read: () => Promise<unknown>) {
  try {
    return { records: await read() };
  } catch (err) {
    return failure(err);
  }
}

function failure(err: unknown) {
  if (!(err instanceof AppError)) throw err;
  return { error: { code: err.code, message: err.userMessage, details: err.details } };
}

const limits: UploadLimits = { maxRows: 3, maxColumns: 100, maxCellBytes: 8192, maxUnzippedBytes: 1 << 20 };
const odd = fc.constantFrom("\u0000", "\u0007", "\ud800", "\\", '"', "a,b", "[", "}", " ");
const oddText = fc.oneof(
  text,
  fc.tuple(text, odd, text).map(([a, b, c]) => a + b + c),
);
const oddValue = fc.oneof(value, oddText, fc.jsonValue({ maxDepth: 3 }));
const oddRow = (fields: string[]) =>
  fc.oneof(
    fc.record(Object.fromEntries([...fields, "extra", "__proto__"].map((f) => [f, oddValue])), { requiredKeys: [] }),
    oddValue,
  );
/** A body as text: any order of keys, extra keys, odd characters; sometimes cut or with a byte put in. */
const bodyText = fc
  .tuple(
    fc.record(
      {
        staff: fc.oneof(
          fc.array(oddRow(["userId", "name", "deptId", "managerUserId", "title", "role"]), { maxLength: 5 }),
          oddValue,
        ),
        departments: fc.oneof(fc.array(oddRow(["id", "name", "parentId"]), { maxLength: 5 }), oddValue),
        other: oddValue,
        "\u0001": oddValue,
        "7": oddValue,
      },
      { requiredKeys: [] },
    ),
    fc.constantFrom("", "  ", "\n"),
    fc.option(
      fc.tuple(fc.nat(), fc.constantFrom("", ",", "]", "}", "[", "{", '"', "\\", " ", "x", "1", '"staff":[],')),
    ),
  )
  .map(([body, space, cut]) => {
    let json = JSON.stringify(body, null, space);
    if (cut) {
      const at = cut[0] % (json.length + 1);
      json = json.slice(0, at) + cut[1] + json.slice(at + (cut[1] === "" ? 1 : 0));
    }
    return json;
  });

describe("the JSON org body read a row at a time from its bytes", () => {
  it("answers as the body parsed whole does: the same records, or the same error", async () => {
    let rowWise = 0;
    await fc.assert(
      fc.asyncProperty(bodyText, async (json) => {
        const raw = Buffer.from(json);
        expect(await outcomeOf(() => orgRecordsFromJsonBody(raw, limits))).toEqual(wholeBody(raw, limits));
        const own = await outcomeOf(() => orgRecordsFromJsonRows(raw, limits));
        if ("error" in own || own.records !== undefined) rowWise++;
      }),
      { numRuns: 4000 },
    );
    // Hundreds of the generated bodies are of the plain form: the row-at-a-time reader answered them itself.
    expect(rowWise).toBeGreaterThan(200);
  });

  it("reads a plain body a row at a time (no whole parse), problems and all", async () => {
    const body = {
      departments: [{ id: "d0", name: "总公司", parentId: null }],
      staff: [
        { userId: "u1", name: "张三", deptId: "d0", managerUserId: null, title: null, role: "REP" },
        { userId: "u2", name: "", deptId: "d9", role: 5 },
      ],
    };
    const raw = Buffer.from(JSON.stringify(body, null, 2));
    await expect(orgRecordsFromJsonRows(raw, limits)).rejects.toThrow(AppError);
    expect(await outcomeOf(() => orgRecordsFromJsonBody(raw, limits))).toEqual(wholeBody(raw, limits));
    body.staff.pop();
    const ok = await orgRecordsFromJsonRows(Buffer.from(JSON.stringify(body)), limits);
    expect(ok?.staff).toEqual([
      {
        userId: "u1",
        name: "张三",
        deptId: "d0",
        managerUserId: null,
        title: null,
        role: "REP",
        ref: { row: 1, sheet: "staff", json: true },
      },
    ]);
    // Not the plain form: left to the whole parse.
    expect(await orgRecordsFromJsonRows(Buffer.from('{"staff":[],"staff":[]}'), limits)).toBeUndefined();
    expect(await orgRecordsFromJsonRows(Buffer.from('{"staff":[1,]}'), limits)).toBeUndefined();
    // Nesting: 32 levels are read here (a zod problem), 33 are the whole parse's 400 (MAX_JSON_DEPTH).
    const nested = (k: number) => Buffer.from(`{"staff":[${"[".repeat(k)}${"]".repeat(k)}]}`);
    await expect(orgRecordsFromJsonRows(nested(30), limits)).rejects.toThrow("请求参数无效");
    expect(await orgRecordsFromJsonRows(nested(31), limits)).toBeUndefined();
    expect(await outcomeOf(() => orgRecordsFromJsonBody(nested(31), limits))).toMatchObject({
      error: { message: expect.stringContaining("嵌套过深") },
    });
  });
});

/** Counts turns of the event loop (setImmediate callbacks) while `work` runs. */
async function turnsDuring(work: () => Promise<unknown>): Promise<number> {
  let turns = 0;
  let running = true;
  const tick = () => {
    if (!running) return;
    turns++;
    setImmediate(tick);
  };
  setImmediate(tick);
  try {
    await work();
  } finally {
    running = false;
  }
  return turns;
}

describe("a big org import gives the event loop turns (issue #15: /healthz, chat and card clicks keep being answered)", () => {
  const people = 12_000;
  const body = {
    departments: [{ id: "d0", name: "总公司", parentId: null }],
    staff: Array.from({ length: people }, (_, i) => ({
      userId: `u${i}`,
      name: `员工${i}`,
      deptId: "nowhere",
      managerUserId: null,
      title: null,
      role: "BOSS",
    })),
  };
  const big: UploadLimits = { ...limits, maxRows: 150_000 };

  it("while the JSON body is read a row at a time: a turn every 2,000 rows", async () => {
    const raw = Buffer.from(JSON.stringify(body));
    let records: Awaited<ReturnType<typeof orgRecordsFromJsonRows>>;
    const turns = await turnsDuring(async () => {
      records = await orgRecordsFromJsonRows(raw, big);
    });
    expect(records!.staff).toHaveLength(people);
    expect(turns).toBeGreaterThanOrEqual(people / 2_000);
  });

  it("while the records are checked: 24,000 problems found, with turns in between", async () => {
    const records = (await orgRecordsFromJsonRows(Buffer.from(JSON.stringify(body)), big))!;
    let result: Awaited<ReturnType<typeof validateOrg>>;
    const turns = await turnsDuring(async () => {
      result = await validateOrg(records);
    });
    expect(result!.ok).toBe(false);
    if (!result!.ok) expect(result!.problems).toHaveLength(people * 2); // an unknown department and role per row
    expect(turns).toBeGreaterThanOrEqual(people / 5_000);
  });
  // The turns counted here come from the CSV reader as well (a turn every 1,000 rows), so they do not show the
  // slices' own; what this test shows is that reading in slices keeps the rows and problems of one pass.
  it("while a CSV file is read into records in slices: the rows and problems of one pass, across the slices", async () => {
    const header = STAFF_COLUMNS.map((c) => c.header);
    const rows = body.staff.map((p) => [p.userId, p.name, "d0", "", "", "REP"]);
    rows[1]![1] = "张\u0007三"; // a refused character in row 3 (the first slice) and in row 10,002 (the third)
    rows[10_000]![1] = "李\u0007四";
    const files = {
      departments: Buffer.from(
        orgCsv(
          DEPARTMENT_COLUMNS.map((c) => c.header),
          [["d0", "总公司", null]],
        ),
      ),
      staff: Buffer.from(orgCsv(header, rows)),
    };
    let bad: Awaited<ReturnType<typeof parseOrgCsv>>;
    const turns = await turnsDuring(async () => {
      bad = await parseOrgCsv(files, big);
    });
    expect(turns).toBeGreaterThanOrEqual(people / 5_000);
    expect(bad!.ok).toBe(false);
    if (!bad!.ok)
      expect(bad!.problems.map((p) => [p.sheet, p.row, p.column])).toEqual([
        ["staff.csv", 3, "B（姓名 / name）"],
        ["staff.csv", 10_002, "B（姓名 / name）"],
      ]);
    rows[1]![1] = "张三";
    rows[10_000]![1] = "李四";
    const good = await parseOrgCsv({ ...files, staff: Buffer.from(orgCsv(header, rows)) }, big);
    expect(good.ok).toBe(true);
    if (good.ok) {
      expect(good.records.staff).toHaveLength(people);
      expect(good.records.staff.map((r) => r.ref.row)).toEqual(rows.map((_, i) => i + 2));
      expect(good.records.staff[10_000]).toMatchObject({ userId: "u10000", name: "李四", deptId: "d0", role: "REP" });
    }
  });
});
