import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type ApiError, type ApiPlan, nodesOf, planApi, serviceWithOrg } from "../helpers/plan-api.ts";
import { planSnapshot } from "../helpers/plan-snapshot.ts";
import type { TestService } from "../helpers/test-service.ts";

let svc: TestService;
const api = planApi(() => svc);

beforeAll(async () => {
  svc = await serviceWithOrg();
});
afterAll(() => svc.close());

describe("GET /api/plans and GET /api/plans/:id", () => {
  it("lists every plan newest first with exact amounts, answers one plan by id, and 404 for an unknown id", async () => {
    const first = await api.newPlan("180000000", { name: "2026 销售额" });
    const second = await api.newPlan(5_000, { name: "2026 新客户", metric: "NEW_CUSTOMERS", unit: "COUNT" });
    const { plans } = await api.ok<{ plans: ApiPlan[] }>(await svc.api("/api/plans"));
    const ours = plans.filter((p) => p.id === first.id || p.id === second.id);
    expect(ours.map((p) => [p.id, p.name, p.total, p.status])).toEqual([
      [second.id, "2026 新客户", "5000", "DRAFT"],
      [first.id, "2026 销售额", "180000000", "DRAFT"],
    ]);
    expect(plans.map((p) => p.id).sort()).toEqual(
      (await svc.db.prisma.plan.findMany({ select: { id: true } })).map((p) => p.id).sort(),
    );

    const one = await api.ok<Record<string, unknown>>(await svc.api(`/api/plans/${second.id}`));
    expect(one).toMatchObject({
      id: second.id,
      name: "2026 新客户",
      fiscalYear: 2026,
      metric: "NEW_CUSTOMERS",
      unit: "COUNT",
      total: "5000",
      ownerUserId: "wangjianguo",
      status: "DRAFT",
    });

    const missing = await svc.api("/api/plans/no-such-plan");
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({ error: { code: "NOT_FOUND", message: "计划 no-such-plan 不存在" } });
  });
});

describe("GET /api/plans/:id/ledger?targetId=", () => {
  it("answers only that target's rows; an unknown target, or one of another plan, is a 404", async () => {
    const plan = await api.newPlan(1_000_000);
    const other = await api.newPlan(2_000_000);
    const [east, south] = await api.split(plan.id, {
      parentTargetId: plan.rootTargetId,
      dimension: "REGION",
      method: "EQUAL",
      children: [{ key: "11", ownerUserId: "m11" }, { key: "12" }],
    });
    await api.split(plan.id, {
      parentTargetId: plan.rootTargetId,
      dimension: "REGION",
      method: "MANUAL",
      reason: "华东加码",
      children: [
        { key: "11", ownerUserId: "m11", amount: 600_000 },
        { key: "12", amount: 400_000 },
      ],
    });
    const all = await api.ledger(plan.id);
    expect(new Set(all.entries.map((e) => e.targetId))).toEqual(new Set([plan.rootTargetId, east!.id, south!.id]));

    const eastOnly = await api.ledger(plan.id, `?targetId=${east!.id}`);
    expect(eastOnly.entries.map((e) => [e.targetId, e.kind, e.version])).toEqual([
      [east!.id, "SPLIT", 1],
      [east!.id, "SPLIT", 2],
    ]);
    expect(eastOnly.entries).toEqual(all.entries.filter((e) => e.targetId === east!.id));

    for (const targetId of ["no-such-target", other.rootTargetId]) {
      const res = await svc.api(`/api/plans/${plan.id}/ledger?targetId=${targetId}`);
      const body = (await res.json()) as ApiError;
      expect(res.status, JSON.stringify(body)).toBe(404);
      expect(body.error.message).toBe(`目标 ${targetId} 不存在或不属于该计划`);
    }
  });
});

describe("POST /api/plans/:id/phasing", () => {
  let plan: ApiPlan;
  let leaf: Record<"r11001" | "r11002", string>;
  beforeAll(async () => {
    // 1,560,001 split equally: 780,001 and 780,000 (the odd yuan to the first child).
    ({ plan, leaf } = await api.twoRepPlan(1_560_001));
  });
  /** The plan's last PHASING entry of each leaf: {version, changes} by key (the database writes them, not JS). */
  const lastPhasing = async () => {
    const entries = (await api.ledger(plan.id)).entries.filter((e) => e.kind === "PHASING");
    const last = (id: string) => entries.filter((e) => e.targetId === id).at(-1);
    return Object.fromEntries(
      Object.entries(leaf).map(([key, id]) => [key, { version: last(id)?.version, changes: last(id)?.changes }]),
    );
  };
  const asText = (months: Record<string, number[] | undefined>, key: string) => months[key]?.map(String);
  const leafMonths = async () =>
    Object.fromEntries(
      nodesOf(await api.tree(plan.id))
        .filter((n) => n.children.length === 0)
        .map((n) => [n.key, n.months?.map(Number)]),
    );

  it("EQUAL: twelve equal months, the leftover yuan to the earliest months, summing to each leaf", async () => {
    expect(await api.phase(plan.id, "EQUAL")).toMatchObject({ profile: "EQUAL", leaves: 2, changed: 2 });
    // 780,001 / 12 = 65,000 rest 1; 780,000 / 12 = 65,000 exactly.
    expect(await leafMonths()).toEqual({
      r11001: [65_001, ...Array(11).fill(65_000)],
      r11002: Array(12).fill(65_000),
    });
    // First phasing: no new version, and the ledger has the months as strings, none before.
    const months = await leafMonths();
    expect(await lastPhasing()).toEqual({
      r11001: { version: 1, changes: { months: [null, asText(months, "r11001")] } },
      r11002: { version: 1, changes: { months: [null, asText(months, "r11002")] } },
    });
  });

  it("{monthlyWeights:[12]}: months in proportion to the weights, the leftover to the largest remainder", async () => {
    const weights = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]; // 78 in all: 10,000 per unit of weight
    const before = await svc.db.prisma.target.findMany({ where: { planId: plan.id }, orderBy: { id: "asc" } });
    const monthsBefore = await leafMonths();
    expect(await api.phase(plan.id, { monthlyWeights: weights })).toMatchObject({ leaves: 2, changed: 2 });
    // 780,001: the extra yuan has remainder 12/78 in December, the largest.
    expect(await leafMonths()).toEqual({
      r11001: weights.map((w) => w * 10_000 + (w === 12 ? 1 : 0)),
      r11002: weights.map((w) => w * 10_000),
    });
    // Re-phasing a phased leaf is a new version of it, in the ledger.
    const after = await svc.db.prisma.target.findMany({ where: { planId: plan.id }, orderBy: { id: "asc" } });
    const leafIds = after.filter((t) => t.parentId !== null).map((t) => t.id);
    expect(after.map((t) => t.version - before.find((b) => b.id === t.id)!.version)).toEqual(
      after.map((t) => (leafIds.includes(t.id) ? 1 : 0)),
    );
    const phasing = (await api.ledger(plan.id)).entries.filter((e) => e.kind === "PHASING");
    expect(
      phasing
        .slice(-2)
        .map((e) => e.targetId)
        .sort(),
    ).toEqual([...leafIds].sort());
    // Each entry is the leaf's new version, with its months before and after.
    const monthsAfter = await leafMonths();
    const versionOf = (key: "r11001" | "r11002") => after.find((t) => t.id === leaf[key])!.version;
    expect(await lastPhasing()).toEqual({
      r11001: {
        version: versionOf("r11001"),
        changes: { months: [asText(monthsBefore, "r11001"), asText(monthsAfter, "r11001")] },
      },
      r11002: {
        version: versionOf("r11002"),
        changes: { months: [asText(monthsBefore, "r11002"), asText(monthsAfter, "r11002")] },
      },
    });
    const stored = await svc.db.prisma.plan.findUniqueOrThrow({ where: { id: plan.id } });
    expect(stored.phasing).toEqual({ monthlyWeights: weights });
  });

  describe("a bad profile is a 400 naming the problem, and nothing changes", () => {
    let before: Awaited<ReturnType<typeof planSnapshot>>;
    beforeEach(async () => {
      before = await planSnapshot(svc.db);
    });
    const rejects = async (profile: unknown, message: RegExp, field: RegExp) => {
      const res = await api.post(`/api/plans/${plan.id}/phasing`, { profile });
      const body = (await res.json()) as ApiError & { error: { details?: { field?: string; message: string }[] } };
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(body.error.code).toBe("VALIDATION");
      const problems = body.error.details ?? [];
      expect(
        problems.some((p) => message.test(p.message) && field.test(p.field ?? "")),
        JSON.stringify(problems),
      ).toBe(true);
      expect(await planSnapshot(svc.db)).toEqual(before);
    };

    it("11 weights", () => rejects({ monthlyWeights: Array(11).fill(1) }, /需要 12 个数/, /^profile\.monthlyWeights$/));
    it("a negative weight", () =>
      rejects(
        { monthlyWeights: [1, 1, 1, -1, 1, 1, 1, 1, 1, 1, 1, 1] },
        /月度权重不能为负数/,
        /^profile\.monthlyWeights\.3$/,
      ));
    it("all weights zero", () =>
      rejects({ monthlyWeights: Array(12).fill(0) }, /全部为 0/, /^profile\.monthlyWeights$/));
    it("an unknown profile name", () => rejects("MONTHLY", /分月方案应为 "WORKDAYS"、"EQUAL" 或/, /^profile$/));
  });
});
