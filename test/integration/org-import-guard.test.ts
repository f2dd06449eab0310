import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { referenceOrg } from "../../src/demo/reference-org.ts";
import { APP, CARD_TEMPLATE_ENV, startTestEmulator } from "../fixtures/dingtalk/emulator-app.ts";
import { orgSnapshot } from "../helpers/org-snapshot.ts";
import { jsonInit } from "../helpers/plan-api.ts";
import { startTestService, type TestService } from "../helpers/test-service.ts";

/**
 * Issue #15 item 5: `PUT /api/org {"departments":[],"staff":[]}` deactivated the whole company. A full import
 * that would deactivate more than ORG_DEACTIVATE_LIMIT_PERCENT (20 %) of the active staff, or everyone, is
 * refused with the count and the names unless `?confirmDeactivate=N` says exactly that number.
 */
let svc: TestService;
const org = referenceOrg(); // 10 departments, 150 people, 137 of them reps
type Org = typeof org;
/** The reference org less the first `n` reps (nobody reports to a rep, so it stays valid). */
const withoutReps = (n: number): { body: Org; gone: Org["staff"] } => {
  const gone = org.staff.filter((s) => s.role === "REP").slice(0, n);
  const ids = new Set(gone.map((s) => s.userId));
  return { body: { ...org, staff: org.staff.filter((s) => !ids.has(s.userId)) }, gone };
};
type Refusal = { error: { code: string; message: string; details: Record<string, unknown> } };

beforeAll(async () => {
  svc = await startTestService();
  expect((await svc.api("/api/org", jsonInit("PUT", org))).status).toBe(200);
}, 60_000);
afterAll(() => svc?.close());

describe("PUT /api/org refuses careless full imports", () => {
  it("refuses an empty full import with 400; nothing changes", async () => {
    const before = await orgSnapshot(svc.db);
    const res = await svc.api("/api/org", jsonInit("PUT", { departments: [], staff: [] }));
    expect(res.status).toBe(400);
    const body = (await res.json()) as Refusal;
    expect(body.error.code).toBe("VALIDATION");
    expect(body.error.message).toContain("人员名单为空");
    // Not even with a confirmation.
    const confirmed = await svc.api("/api/org?confirmDeactivate=150", jsonInit("PUT", { departments: [], staff: [] }));
    expect(confirmed.status).toBe(400);
    expect(await orgSnapshot(svc.db)).toEqual(before);
  });

  it("refuses with 409, the count and the (capped) names when more than 20 % would be deactivated", async () => {
    const before = await orgSnapshot(svc.db);
    const { body, gone } = withoutReps(60); // 60 of 150 = 40 %
    const res = await svc.api("/api/org", jsonInit("PUT", body));
    expect(res.status).toBe(409);
    const refusal = (await res.json()) as Refusal;
    expect(refusal.error.code).toBe("CONFLICT");
    expect(refusal.error.message).toContain("会停用 60 名在职人员（共 150 人，超过 20% 的上限）");
    expect(refusal.error.message).toContain("?confirmDeactivate=60");
    expect(refusal.error.message).toContain("等 60 人");
    const names = refusal.error.details.names as string[];
    expect(names).toHaveLength(50);
    const expected = gone.map((s) => `${s.name}（${s.userId}）`);
    for (const n of names) expect(expected).toContain(n);
    expect(refusal.error.details).toMatchObject({ deactivate: 60, activeStaff: 150, limitPercent: 20 });
    expect(await orgSnapshot(svc.db)).toEqual(before);
  });

  it("refuses a confirmation that is not the exact number; nothing changes", async () => {
    const before = await orgSnapshot(svc.db);
    for (const n of ["59", "61", "0"]) {
      const res = await svc.api(`/api/org?confirmDeactivate=${n}`, jsonInit("PUT", withoutReps(60).body));
      expect(res.status, n).toBe(409);
      expect(((await res.json()) as Refusal).error.message).toContain(
        `确认停用的人数（${n}）与这次导入实际会停用的人数（60）不符`,
      );
    }
    const bad = await svc.api("/api/org?confirmDeactivate=lots", jsonInit("PUT", withoutReps(60).body));
    expect(bad.status).toBe(400);
    expect(await orgSnapshot(svc.db)).toEqual(before);
  });

  it("imports a small change without asking, and a large one with the exact confirmation", async () => {
    const small = await svc.api("/api/org", jsonInit("PUT", withoutReps(30).body)); // 20 %: at the limit
    expect(small.status, await small.clone().text()).toBe(200);
    expect(((await small.json()) as { staff: { deactivated: number } }).staff.deactivated).toBe(30);
    // Back to everyone, then the large one confirmed.
    expect((await svc.api("/api/org", jsonInit("PUT", org))).status).toBe(200);
    const large = await svc.api("/api/org?confirmDeactivate=60", jsonInit("PUT", withoutReps(60).body));
    expect(large.status, await large.clone().text()).toBe(200);
    expect(((await large.json()) as { staff: { deactivated: number } }).staff.deactivated).toBe(60);
    const [row] = await svc.db.sql.query<{ n: number }>("SELECT count(*)::int AS n FROM staff WHERE active");
    expect(row!.n).toBe(90);
    expect((await svc.api("/api/org", jsonInit("PUT", org))).status).toBe(200);
  });
});

describe("ORG_DEACTIVATE_LIMIT_PERCENT", () => {
  it("100 % still refuses an import that deactivates everyone", async () => {
    const lax = await startTestService({ ORG_DEACTIVATE_LIMIT_PERCENT: "100" });
    try {
      expect((await lax.api("/api/org", jsonInit("PUT", org))).status).toBe(200);
      const before = await orgSnapshot(lax.db);
      // Most reps gone: allowed at 100 %.
      const most = await lax.api("/api/org", jsonInit("PUT", withoutReps(100).body));
      expect(most.status, await most.clone().text()).toBe(200);
      expect((await lax.api("/api/org", jsonInit("PUT", org))).status).toBe(200);
      const again = await orgSnapshot(lax.db);
      // A whole other company (nobody of the stored one in it): everyone would leave.
      const other = {
        departments: [{ id: "X1", name: "新公司" }],
        staff: [{ userId: "x1", name: "新人", deptId: "X1", title: "总监", role: "DIRECTOR" }],
      };
      const res = await lax.api("/api/org", jsonInit("PUT", other));
      expect(res.status).toBe(409);
      expect(((await res.json()) as Refusal).error.message).toContain("即全部人员");
      expect(await orgSnapshot(lax.db)).toEqual(again);
      expect(before.staff.length).toBe(150);
    } finally {
      await lax.close();
    }
  });
});

describe("POST /api/org/sync", () => {
  it("refuses a directory answer that would deactivate too many people, unless confirmed exactly", async () => {
    const em = await startTestEmulator();
    const live = await startTestService({
      DINGTALK_CLIENT_ID: APP.clientId,
      DINGTALK_CLIENT_SECRET: APP.clientSecret,
      DINGTALK_API_BASE: em.url,
      DINGTALK_OAPI_BASE: em.url,
      ...CARD_TEMPLATE_ENV,
    });
    try {
      expect((await live.api("/api/org", jsonInit("PUT", org))).status).toBe(200);
      const before = await orgSnapshot(live.db);
      const res = await live.api("/api/org/sync", { method: "POST" });
      expect(res.status).toBe(409);
      const refusal = (await res.json()) as Refusal;
      const n = refusal.error.details.deactivate as number;
      expect(n).toBeGreaterThan(30);
      expect(refusal.error.message).toContain(`?confirmDeactivate=${n}`);
      expect(await orgSnapshot(live.db)).toEqual(before);
      const confirmed = await live.api(`/api/org/sync?confirmDeactivate=${n}`, { method: "POST" });
      expect(confirmed.status, await confirmed.clone().text()).toBe(200);
      expect(((await confirmed.json()) as { staff: { deactivated: number } }).staff.deactivated).toBe(n);
    } finally {
      await live.close();
      await em.close();
    }
  });
});
