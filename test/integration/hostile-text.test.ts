import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { orgSnapshot } from "../helpers/org-snapshot.ts";
import { csvForm, orgCsvPair, sampleJson } from "../helpers/org-uploads.ts";
import { type ApiError, type ApiPlan, jsonInit, planApi } from "../helpers/plan-api.ts";
import { planSnapshot } from "../helpers/plan-snapshot.ts";
import { tableCounts } from "../helpers/table-counts.ts";
import { startTestService, type TestService } from "../helpers/test-service.ts";

/**
 * Issue #15 item 2: a NUL (U+0000) — or another control character, or a lone surrogate — anywhere a request
 * carries text used to reach PostgreSQL and answer 500 (`invalid byte sequence for encoding "UTF8": 0x00`).
 * Each place the probe found is a row here: a 400 that names the character, and the database unchanged.
 */
let svc: TestService;
const api = planApi(() => svc);
let plan: ApiPlan;

beforeAll(async () => {
  svc = await startTestService();
  await api.importReferenceOrg();
  plan = await api.newPlan(1_000_000);
});
afterAll(() => svc.close());

const snapshot = async () => ({
  counts: await tableCounts(svc.db),
  org: await orgSnapshot(svc.db),
  plans: await planSnapshot(svc.db),
});

const NUL = "\u0000";
type Case = [name: string, request: () => [string, RequestInit?]];

const org = await sampleJson();
const withStaffName = (name: string) => ({
  ...org,
  staff: org.staff.map((s, i) => (i === 3 ? { ...s, name } : s)),
});

const cases: Case[] = [
  ["staff id in the path", () => ["/api/org/staff/a%00b"]],
  ["plan id in the path: targets", () => ["/api/plans/%00/targets"]],
  ["plan id in the path: readiness", () => ["/api/plans/%00/readiness"]],
  ["plan id in the path: ledger", () => ["/api/plans/%00/ledger"]],
  ["plan id in the path: progress", () => ["/api/plans/%00/progress?period=2026-W14"]],
  ["plan id in the path: export", () => ["/api/plans/%00/export.xlsx"]],
  ["plan id in the path: publish", () => ["/api/plans/%00/publish", { method: "POST" }]],
  ["plan id in the path: plan", () => ["/api/plans/a%00"]],
  ["a control character in the path", () => ["/api/plans/a%01b/targets"]],
  ["?targetId= on the ledger", () => [`/api/plans/${plan.id}/ledger?targetId=%00`]],
  ["?period= on progress", () => [`/api/plans/${plan.id}/progress?period=2026-W1%00`]],
  ["?mode= on the org import", () => ["/api/org?mode=%00", jsonInit("PUT", org)]],
  [
    "a plan name",
    () => [
      "/api/plans",
      jsonInit("POST", { name: `a${NUL}b`, fiscalYear: 2026, total: 1, ownerUserId: "wangjianguo" }),
    ],
  ],
  [
    "a lone surrogate in a plan name",
    () => [
      "/api/plans",
      jsonInit("POST", { name: "a\ud800b", fiscalYear: 2026, total: 1, ownerUserId: "wangjianguo" }),
    ],
  ],
  [
    "a JSON key",
    () => [
      "/api/plans",
      jsonInit("POST", { [`na${NUL}me`]: "x", fiscalYear: 2026, total: 1, ownerUserId: "wangjianguo" }),
    ],
  ],
  [
    "a split label",
    () => [
      `/api/plans/${plan.id}/splits`,
      jsonInit("POST", {
        parentTargetId: plan.rootTargetId,
        dimension: "PRODUCT",
        method: "EQUAL",
        children: [{ key: "a", label: `x${NUL}` }, { key: "b" }],
      }),
    ],
  ],
  [
    "a split reason",
    () => [
      `/api/plans/${plan.id}/splits`,
      jsonInit("POST", {
        parentTargetId: plan.rootTargetId,
        dimension: "OWNER",
        method: "EQUAL",
        reason: NUL,
        children: [{ key: "r11001" }],
      }),
    ],
  ],
  [
    "a split owner id",
    () => [
      `/api/plans/${plan.id}/splits`,
      jsonInit("POST", {
        parentTargetId: plan.rootTargetId,
        dimension: "REGION",
        method: "EQUAL",
        children: [{ key: "east", ownerUserId: `r1${NUL}` }],
      }),
    ],
  ],
  ["an org JSON name", () => ["/api/org", jsonInit("PUT", withStaffName(`张${NUL}三`))]],
  [
    "an org JSON name with a lone low surrogate",
    () => ["/api/org?mode=merge", jsonInit("PUT", withStaffName("张\udc00三"))],
  ],
  [
    "an org CSV name",
    () => {
      const pair = orgCsvPair(withStaffName(`张${NUL}三`));
      return ["/api/org", { method: "PUT", body: csvForm(pair.departments, pair.staff) }];
    },
  ],
  [
    "a progress planId",
    () => [
      "/api/progress",
      jsonInit("POST", { entries: [{ userId: "r11001", planId: `p${NUL}`, period: "2026-W14", amount: 1 }] }),
    ],
  ],
  [
    "a progress note with a bell character",
    () => [
      "/api/progress",
      jsonInit("POST", {
        entries: [{ userId: "r11001", planId: plan.id, period: "2026-W14", amount: 1, note: "\u0007" }],
      }),
    ],
  ],
  [
    "X-Reason (URL-encoded) on a plan import",
    () => [
      `/api/plans/${plan.id}/import`,
      { method: "POST", headers: { "x-reason": "%00", "content-type": "application/octet-stream" }, body: "x" },
    ],
  ],
];

describe("invalid characters at every boundary: a clear 400, nothing written (issue #15 item 2)", () => {
  it.each(cases)("%s", async (_name, request) => {
    const [path, init] = request();
    const before = await snapshot();
    const res = await svc.api(path, init);
    const body = (await res.json()) as ApiError;
    expect(res.status, JSON.stringify(body)).toBe(400);
    expect(body.error.code).toBe("VALIDATION");
    expect(JSON.stringify(body)).toMatch(/无法识别的字符/);
    expect(await snapshot()).toEqual(before);
  });

  it("the same requests without the bad character are served (the rule refuses the character, not the route)", async () => {
    expect((await svc.api(`/api/org/staff/${encodeURIComponent("r11001")}`)).status).toBe(200);
    expect((await svc.api(`/api/plans/${plan.id}/targets`)).status).toBe(200);
    const ok = await svc.api("/api/org?mode=merge", jsonInit("PUT", withStaffName("张\u00a0三\t")));
    expect(ok.status, await ok.text()).toBe(200);
    // Chinese, emoji (a surrogate pair), tab and newline are ordinary text.
    const named = await svc.api(
      "/api/plans",
      jsonInit("POST", { name: "华东区\t目标😀\n第二行", fiscalYear: 2026, total: 1, ownerUserId: "wangjianguo" }),
    );
    expect(named.status, await named.text()).toBe(201);
  });

  it("a 5 MB period is not echoed back whole", async () => {
    const before = await snapshot();
    const period = "9".repeat(5 * 1024 * 1024);
    const res = await svc.api(
      "/api/progress",
      jsonInit("POST", { entries: [{ userId: "r11001", planId: plan.id, period, amount: 1 }] }),
    );
    const text = await res.text();
    expect(res.status, text.slice(0, 300)).toBe(400);
    expect(text).toMatch(/期间“9{40}…（共 5242880 个字符/);
    expect(text.length).toBeLessThan(4000);
    expect(await snapshot()).toEqual(before);
  });
});
