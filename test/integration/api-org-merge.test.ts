import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { orgContent, orgSnapshot } from "../helpers/org-snapshot.ts";
import { clone, type OrgJson, sampleJson } from "../helpers/org-uploads.ts";
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
const counts = (d: number[], s: number[]) => {
  const c = ([created, updated, unchanged, deactivated]: number[]) => ({ created, updated, unchanged, deactivated });
  return { departments: c(d), staff: c(s) };
};

/** A new region with its manager, who reports to the director (already stored, not in the merge body). */
const SOUTHWEST = {
  departments: [{ id: "16", name: "西南大区", parentId: "10" }],
  staff: [
    {
      userId: "m16",
      name: "钱多多",
      deptId: "16",
      managerUserId: "wangjianguo",
      title: "西南区域经理",
      role: "MANAGER",
    },
  ],
};

describe("PUT /api/org?mode=merge with real rows", () => {
  it("adds and updates the rows given, may point at stored people, and deactivates nobody; full mode does", async () => {
    expect((await putJson(org)).status).toBe(200);
    const before = await orgContent(svc.db);

    const promoted = clone(org.staff.find((s) => s.userId === "r11001")!);
    promoted.title = "高级客户经理";
    const body = { departments: SOUTHWEST.departments, staff: [...SOUTHWEST.staff, promoted] };
    const res = await putJson(body, "?mode=merge");
    expect(res.status, await res.clone().text()).toBe(200);
    expect(await res.json()).toEqual(counts([1, 0, 0, 0], [1, 1, 0, 0]));

    const after = await orgContent(svc.db);
    expect(after.staff).toHaveLength(151);
    expect(after.staff.every((s) => s.active)).toBe(true);
    expect(after.staff.find((s) => s.user_id === "m16")).toMatchObject({
      dept_id: "16",
      manager_user_id: "wangjianguo",
      role: "MANAGER",
    });
    expect(after.staff.find((s) => s.user_id === "r11001")).toMatchObject({ title: "高级客户经理", dept_id: "11" });
    // Everyone and everything else exactly as before.
    const others = (rows: Record<string, unknown>[]) =>
      rows.filter((s) => s.user_id !== "m16" && s.user_id !== "r11001");
    expect(others(after.staff)).toEqual(others(before.staff));
    expect(after.departments.filter((d) => d.id !== "16")).toEqual(before.departments);

    // The same merge again changes nothing.
    expect(await (await putJson(body, "?mode=merge")).json()).toEqual(counts([0, 0, 1, 0], [0, 0, 2, 0]));

    // A full import of the original org: the region and its manager are missing, so they become inactive.
    const full = await putJson(org, "?mode=full");
    expect(await full.json()).toEqual(counts([0, 0, 10, 1], [0, 1, 149, 1]));
    const inactive = await svc.db.prisma.staff.findMany({ where: { active: false } });
    expect(inactive.map((s) => s.userId)).toEqual(["m16"]);
    expect((await svc.db.prisma.department.findUniqueOrThrow({ where: { id: "16" } })).active).toBe(false);
  });

  it("a merge row pointing at nobody, stored or given, is a 400 naming it, and nothing changes", async () => {
    const before = await orgSnapshot(svc.db);
    const bad = clone(SOUTHWEST);
    bad.staff[0]!.managerUserId = "ghost";
    const res = await putJson(bad, "?mode=merge");
    const body = (await res.json()) as { error: { details: { row?: number; column?: string; message: string }[] } };
    expect(res.status, JSON.stringify(body)).toBe(400);
    expect(body.error.details).toEqual([
      expect.objectContaining({ row: 1, column: "staff[0].managerUserId", message: "直属上级 ghost 不存在" }),
    ]);
    expect(await orgSnapshot(svc.db)).toEqual(before);

    const unknownMode = await putJson(SOUTHWEST, "?mode=partial");
    expect(unknownMode.status).toBe(400);
    expect(await orgSnapshot(svc.db)).toEqual(before);
  });
});
