import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { zodProblems } from "../../src/http/validate.ts";
import { AppError } from "../../src/lib/errors.ts";
import { orgRecordsFromJson, recordsFromJson, ZOrgImportRequest } from "../../src/org/org-input.ts";

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
