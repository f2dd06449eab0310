import { expect } from "vitest";
import { referenceOrg } from "../../src/demo/reference-org.ts";
import { startTestService, type TestService } from "./test-service.ts";

/** Plans as the admin API answers them (amounts are exact decimal strings). */
export type ApiPlan = { id: string; rootTargetId: string; total: string; name: string; status: string };
export type ApiChild = {
  id: string;
  key: string;
  label: string;
  amount: string;
  version: number;
  locked: boolean;
  ownerUserId: string | null;
  coOwnerUserIds: string[];
};
export type ApiNode = {
  id: string;
  key: string;
  label: string;
  amount: string;
  version: number;
  owner: { userId: string; name: string; active: boolean } | null;
  coOwners: { userId: string; name: string; active: boolean }[];
  months: string[] | null;
  children: ApiNode[];
};
export type ApiError = { error: { code: string; message: string; details?: unknown } };

/** A request with a JSON body and an X-Actor for the ledger. */
export const jsonInit = (method: string, body: unknown, actor = "ops1"): RequestInit => ({
  method,
  headers: { "content-type": "application/json", "x-actor": actor },
  body: JSON.stringify(body),
});

/** The plan-building calls the API tests share; each expects success and says why when it fails. */
export function planApi(svc: () => TestService) {
  const post = (path: string, body: unknown) => svc().api(path, jsonInit("POST", body));
  const ok = async <T>(res: Response, status = 200): Promise<T> => {
    const text = await res.text();
    expect(res.status, text).toBe(status);
    return JSON.parse(text) as T;
  };
  const newPlan = async (total: number | string, extra: Record<string, unknown> = {}) =>
    ok<ApiPlan>(
      await post("/api/plans", {
        name: "2026年度销售目标",
        fiscalYear: 2026,
        total,
        ownerUserId: "wangjianguo",
        ...extra,
      }),
      201,
    );
  const split = async (planId: string, body: Record<string, unknown>) =>
    (await ok<{ children: ApiChild[] }>(await post(`/api/plans/${planId}/splits`, body), 201)).children;
  return {
    post,
    ok,
    importReferenceOrg: async () =>
      ok(await svc().api("/api/org", jsonInit("PUT", referenceOrg()))).then(() => undefined),
    newPlan,
    split,
    phase: async (planId: string, profile: unknown) => ok(await post(`/api/plans/${planId}/phasing`, { profile })),
    /** A plan split equally between 李娜 (r11001) and 赵涛 (r11002), their manager 王伟 (m11) co-owning both. */
    twoRepPlan: async (total: number) => {
      const plan = await newPlan(total);
      const children = await split(plan.id, {
        parentTargetId: plan.rootTargetId,
        dimension: "OWNER",
        method: "EQUAL",
        children: ["r11001", "r11002"].map((key) => ({ key, coOwnerUserIds: ["m11"] })),
      });
      return {
        plan,
        leaf: Object.fromEntries(children.map((c) => [c.key, c.id])) as Record<"r11001" | "r11002", string>,
      };
    },
    tree: async (planId: string) => (await ok<{ root: ApiNode }>(await svc().api(`/api/plans/${planId}/targets`))).root,
    ledger: async (planId: string, query = "") =>
      ok<{ entries: { targetId: string; kind: string; actor: string; changes: unknown; version: number }[] }>(
        await svc().api(`/api/plans/${planId}/ledger${query}`),
      ),
  };
}

/** A started test service (env as startTestService) with the reference company imported. */
export async function serviceWithOrg(...args: Parameters<typeof startTestService>): Promise<TestService> {
  const svc = await startTestService(...args);
  await planApi(() => svc).importReferenceOrg();
  return svc;
}

/** Every node of a tree, depth first. */
export function nodesOf(root: ApiNode): ApiNode[] {
  return [root, ...root.children.flatMap(nodesOf)];
}
