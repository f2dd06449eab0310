import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ApiNode, nodesOf, planApi, serviceWithOrg } from "../helpers/plan-api.ts";
import type { TestService } from "../helpers/test-service.ts";

let svc: TestService;
const api = planApi(() => svc);

beforeAll(async () => {
  svc = await serviceWithOrg();
});
afterAll(() => svc.close());

const row = (n: ApiNode) => [n.key, n.label, n.amount, n.version];
const byKey = (root: ApiNode) => (key: string) => nodesOf(root).find((n) => n.key === key)!;

describe("MANUAL, locked and CUSTOMER_SEGMENT splits through the API", () => {
  it("MANUAL: the given amounts exactly, to the yuan", async () => {
    const plan = await api.newPlan(1_000_000);
    const children = await api.split(plan.id, {
      parentTargetId: plan.rootTargetId,
      dimension: "REGION",
      method: "MANUAL",
      children: [
        { key: "11", amount: "600001", ownerUserId: "m11" },
        { key: "12", amount: 399_999, ownerUserId: "m12" },
      ],
    });
    expect(children.map((c) => [c.key, c.label, c.amount, c.ownerUserId])).toEqual([
      ["11", "华东", "600001", "m11"],
      ["12", "华南", "399999", "m12"],
    ]);
    const root = await api.tree(plan.id);
    expect(root.children.map(row)).toEqual([
      ["11", "华东", "600001", 1],
      ["12", "华南", "399999", 1],
    ]);
  });

  it("a locked child keeps its amount; the others share the rest by the method, and again on a re-split", async () => {
    const plan = await api.newPlan(1_000_000);
    // HISTORY: grown history 120,000 and 300,000 share the 500,000 left: 142,857.14 / 357,142.86.
    const first = await api.split(plan.id, {
      parentTargetId: plan.rootTargetId,
      dimension: "REGION",
      method: "HISTORY",
      children: [
        { key: "11", amount: 500_000, locked: true },
        { key: "12", lastYear: 100_000, growth: 0.2 },
        { key: "13", lastYear: 200_000, growth: 0.5 },
      ],
    });
    expect(first.map((c) => [c.key, c.amount, c.locked])).toEqual([
      ["11", "500000", true],
      ["12", "142857", false],
      ["13", "357143", false],
    ]);
    const again = await api.split(plan.id, {
      parentTargetId: plan.rootTargetId,
      dimension: "REGION",
      method: "EQUAL",
      children: [{ key: "11", amount: 500_000, locked: true }, { key: "12" }, { key: "13" }],
    });
    // The locked child did not change at all: same amount, same version.
    expect(again.map((c) => [c.key, c.amount, c.version])).toEqual([
      ["11", "500000", 1],
      ["12", "250000", 2],
      ["13", "250000", 2],
    ]);
    const tree = await api.tree(plan.id);
    expect(byKey(tree)("11")).toMatchObject({ amount: "500000", locked: true });
  });

  it("CUSTOMER_SEGMENT under a region: segments keep their names, sum to the region, and split on by person", async () => {
    const plan = await api.newPlan(1_000_001);
    const [east] = await api.split(plan.id, {
      parentTargetId: plan.rootTargetId,
      dimension: "REGION",
      method: "EQUAL",
      children: [{ key: "11", ownerUserId: "m11" }],
    });
    const segments = await api.split(plan.id, {
      parentTargetId: east!.id,
      dimension: "CUSTOMER_SEGMENT",
      method: "WEIGHTS",
      children: [
        { key: "大客户", weight: 60, ownerUserId: "m11" },
        { key: "中小企业", weight: 40, ownerUserId: "m11" },
      ],
    });
    // 600,000.6 and 400,000.4: the odd yuan to the larger remainder.
    expect(segments.map((c) => [c.key, c.label, c.amount, c.ownerUserId])).toEqual([
      ["大客户", "大客户", "600001", "m11"],
      ["中小企业", "中小企业", "400000", "m11"],
    ]);
    await api.split(plan.id, {
      parentTargetId: segments[0]!.id,
      dimension: "OWNER",
      method: "EQUAL",
      children: [{ key: "r11001" }, { key: "r11002" }],
    });
    const tree = await api.tree(plan.id);
    const node = byKey(tree);
    expect(node("11")).toMatchObject({ split: { dimension: "CUSTOMER_SEGMENT", method: "WEIGHTS" } });
    expect(node("大客户")).toMatchObject({ dimension: "CUSTOMER_SEGMENT", split: { dimension: "OWNER" } });
    expect(node("大客户").children.map((c) => [c.key, c.label, c.amount])).toEqual([
      ["r11001", "李娜", "300001"],
      ["r11002", "赵涛", "300000"],
    ]);
  });
});
