import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { referenceOrg } from "../../src/demo/reference-org.ts";
import { type ApiChild, type ApiPlan, jsonInit, planApi } from "../helpers/plan-api.ts";
import { startTestService, type TestService } from "../helpers/test-service.ts";

let svc: TestService;
const api = planApi(() => svc);

type Readiness = {
  ready: boolean;
  conserved: boolean;
  conservation: { kind: string; targetId: string; expected: string; actual: string }[];
  leaves: number;
  problems: { targetId: string; label: string; problem: string; message: string }[];
};
const readiness = async (planId: string) => api.ok<Readiness>(await svc.api(`/api/plans/${planId}/readiness`));
const importOrgWithout = async (...userIds: string[]) => {
  const org = referenceOrg();
  org.staff = org.staff.filter((s) => !userIds.includes(s.userId));
  await api.ok(await svc.api("/api/org", jsonInit("PUT", org)));
};

let plan: ApiPlan;
let byKey: Record<string, ApiChild>;
beforeAll(async () => {
  svc = await startTestService();
  await api.importReferenceOrg();
  // One responsible person is enough in this plan, so each leaf below has exactly the problem it is built for.
  plan = await api.newPlan(4_000_000, { minOwners: 1 });
  const children = await api.split(plan.id, {
    parentTargetId: plan.rootTargetId,
    dimension: "CHANNEL",
    method: "EQUAL",
    children: [
      { key: "线上", ownerUserId: "r11001", coOwnerUserIds: ["m11"] },
      { key: "线下", coOwnerUserIds: ["m11"] },
      { key: "直播", ownerUserId: "r11002" },
      { key: "分销", ownerUserId: "r11003", coOwnerUserIds: ["r11004"] },
    ],
  });
  byKey = Object.fromEntries(children.map((c) => [c.key, c]));
});
afterAll(() => svc.close());

/** [problem, label, targetId] of every reported problem, sorted. */
const problemsOf = (r: Readiness) =>
  r.problems.map((p) => [p.problem, p.label, p.targetId]).sort((a, b) => a.join().localeCompare(b.join()));
const expected = (...pairs: [string, string][]) =>
  pairs.map(([problem, key]) => [problem, key, byKey[key]!.id]).sort((a, b) => a.join().localeCompare(b.join()));

describe("GET /api/plans/:id/readiness reports each problem with its code and target", () => {
  it("not phased (every leaf) and no owner", async () => {
    const r = await readiness(plan.id);
    expect(r).toMatchObject({ ready: false, conserved: true, conservation: [], leaves: 4 });
    expect(problemsOf(r)).toEqual(
      expected(
        ["NO_OWNER", "线下"],
        ["NOT_PHASED", "线上"],
        ["NOT_PHASED", "线下"],
        ["NOT_PHASED", "直播"],
        ["NOT_PHASED", "分销"],
      ),
    );
    expect(r.problems.find((p) => p.problem === "NO_OWNER")?.message).toBe("“线下”没有负责人");
    expect(r.problems.find((p) => p.problem === "NOT_PHASED")?.message).toMatch(/^“.+”尚未分解到月$/);

    await api.phase(plan.id, "WORKDAYS");
    expect(problemsOf(await readiness(plan.id))).toEqual(expected(["NO_OWNER", "线下"]));
  });

  it("an owner and a co-owner who left (inactive after a full org re-import)", async () => {
    await importOrgWithout("r11002", "r11004");
    try {
      const r = await readiness(plan.id);
      expect(r.ready).toBe(false);
      expect(problemsOf(r)).toEqual(
        expected(
          ["NO_OWNER", "线下"],
          ["INACTIVE_OWNER", "直播"],
          ["TOO_FEW_PEOPLE", "直播"], // nobody active is left on it
          ["INACTIVE_CO_OWNER", "分销"],
        ),
      );
      const messages = Object.fromEntries(r.problems.map((p) => [p.problem, p.message]));
      expect(messages.INACTIVE_OWNER).toBe("“直播”的负责人赵涛已离职，需要重新分配");
      expect(messages.INACTIVE_CO_OWNER).toBe("“分销”的协作人梁诗琪已离职");
    } finally {
      await api.importReferenceOrg();
    }
  });

  it("ready once every leaf has its owner and months", async () => {
    await api.split(plan.id, {
      parentTargetId: plan.rootTargetId,
      dimension: "CHANNEL",
      method: "EQUAL",
      children: [
        { key: "线上", ownerUserId: "r11001", coOwnerUserIds: ["m11"] },
        { key: "线下", ownerUserId: "r11005", coOwnerUserIds: ["m11"] },
        { key: "直播", ownerUserId: "r11002" },
        { key: "分销", ownerUserId: "r11003", coOwnerUserIds: ["r11004"] },
      ],
    });
    expect(await readiness(plan.id)).toMatchObject({ ready: true, conserved: true, problems: [], leaves: 4 });
  });

  it("conservation broken behind the service's back: the parent and the leaf's months are reported", async () => {
    const leaf = byKey["线上"]!.id;
    await svc.db.sql.query("UPDATE target SET amount = amount + 7 WHERE id = $1", [leaf]);
    try {
      const r = await readiness(plan.id);
      expect(r).toMatchObject({ ready: false, conserved: false, problems: [] });
      expect(r.conservation.map((v) => [v.kind, v.targetId, v.expected, v.actual]).sort()).toEqual(
        [
          ["CHILDREN", plan.rootTargetId, "4000000", "4000007"],
          ["MONTHS", leaf, "1000007", "1000000"],
        ].sort(),
      );
    } finally {
      await svc.db.sql.query("UPDATE target SET amount = amount - 7 WHERE id = $1", [leaf]);
    }
    expect(await readiness(plan.id)).toMatchObject({ ready: true, conserved: true });
  });

  it("an unknown plan is a 404", async () => {
    const res = await svc.api("/api/plans/nope/readiness");
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ error: { code: "NOT_FOUND", message: "计划 nope 不存在" } });
  });
});
