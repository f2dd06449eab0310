import { expect } from "vitest";
import { referenceOrg } from "../../src/demo/reference-org.ts";
import { jsonInit } from "./plan-api.ts";
import type { TestService } from "./test-service.ts";

/** The three 华东 reps a small plan is split between (李娜 first), each with their manager m11 as co-owner. */
export const SMALL_PLAN_REPS = ["r11001", "r11002", "r11003"] as const;

export interface SmallPlan {
  planId: string;
  rootTargetId: string;
  /** Leaf target ids, in SMALL_PLAN_REPS order. */
  leafIds: string[];
}

/**
 * Builds a ready-to-publish plan through the HTTP API as an administrator would: the reference org, a plan of
 * `total` (default 15,600,000 = 3 × 5,200,000), split equally between the three reps, phased by working days
 * (unless `phase` is false).
 * `extra` is merged into the create request (e.g. funnel settings).
 */
export async function createSmallPlan(
  svc: Pick<TestService, "api">,
  {
    total = 15_600_000,
    extra = {},
    phase = true,
  }: { total?: number; extra?: Record<string, unknown>; phase?: boolean } = {},
): Promise<SmallPlan> {
  const ok = async (res: Response, status: number) => {
    expect(res.status, await res.clone().text()).toBe(status);
    return res.json();
  };
  await ok(await svc.api("/api/org", jsonInit("PUT", referenceOrg())), 200);
  const plan = (await ok(
    await svc.api(
      "/api/plans",
      jsonInit("POST", { name: "华东小计划", fiscalYear: 2026, total, ownerUserId: "m11", ...extra }),
    ),
    201,
  )) as { id: string; rootTargetId: string };
  const { children } = (await ok(
    await svc.api(
      `/api/plans/${plan.id}/splits`,
      jsonInit("POST", {
        parentTargetId: plan.rootTargetId,
        dimension: "OWNER",
        method: "EQUAL",
        children: SMALL_PLAN_REPS.map((userId) => ({ key: userId, ownerUserId: userId, coOwnerUserIds: ["m11"] })),
      }),
    ),
    201,
  )) as { children: { id: string; key: string }[] };
  if (phase) await ok(await svc.api(`/api/plans/${plan.id}/phasing`, jsonInit("POST", { profile: "WORKDAYS" })), 200);
  const leafIds = SMALL_PLAN_REPS.map((userId) => children.find((c) => c.key === userId)!.id);
  return { planId: plan.id, rootTargetId: plan.rootTargetId, leafIds };
}

/** A small plan, published, with its target cards delivered: where most flow tests start. */
export async function publishedSmallPlan(svc: TestService): Promise<SmallPlan> {
  const plan = await createSmallPlan(svc);
  const res = await svc.api(`/api/plans/${plan.planId}/publish`, { method: "POST" });
  expect(res.status, await res.clone().text()).toBe(200);
  await svc.dingtalk!.outbox.drain();
  return plan;
}
