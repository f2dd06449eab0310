import { Writable } from "node:stream";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { issueDashboardToken } from "../../src/flows/digest/dashboard-token.ts";
import { DASHBOARD_NOW, dashboardFixture, tableCounts } from "../helpers/dashboard-fixture.ts";
import { jsonInit } from "../helpers/plan-api.ts";
import { createSmallPlan } from "../helpers/small-plan.ts";
import { startTestService, type TestService } from "../helpers/test-service.ts";

/*
 * The dashboard over real HTTP (the started service, its middleware and auth): links, the page and its headers,
 * its assets, its JSON scoped to the viewer, and every way in that must be refused — with the database unchanged.
 * Everything the service logs is kept, to show no token ever reaches the log.
 */

let svc: TestService;
let planId: string;
const logged: string[] = [];
const HINT = "在钉钉里对机器人说“看板”";

const secret = () => svc.deps.config.dashboardSecret;
const tokenFor = (userId: string, at = DASHBOARD_NOW, days = 7) => issueDashboardToken(secret(), userId, at, days);
const page = (t?: string) => fetch(`${svc.url}/dashboard${t === undefined ? "" : `?t=${encodeURIComponent(t)}`}`);
const api = (path: string, t: string | undefined, query: Record<string, string> = {}) =>
  fetch(`${svc.url}/dashboard/api/${path}?${new URLSearchParams({ plan: planId, ...query })}`, {
    headers: t === undefined ? {} : { "x-dashboard-token": t },
  });
type Json = Record<string, unknown> & { error?: { code: string; message: string } };
const json = async (res: Response) => (await res.json()) as Json;

beforeAll(async () => {
  const sink = new Writable({
    write(chunk, _enc, done) {
      logged.push(String(chunk));
      done();
    },
  });
  svc = await startTestService(
    { DINGTALK_QPS: "500" },
    { sandbox: { demo: false }, now: () => DASHBOARD_NOW, log: pino({ level: "debug" }, sink) },
  );
  ({ planId } = await dashboardFixture(svc));
}, 240_000);
afterAll(() => svc?.close());

describe("links", () => {
  it("an admin asks for a person's link (bearer token): it opens the page with the security headers", async () => {
    const res = await svc.api("/api/dashboard-links", jsonInit("POST", { userId: "m11" }));
    expect(res.status).toBe(201);
    const body = (await res.json()) as { url: string; expiresAt: string; scope: string };
    expect(body.scope).toBe("PERSON");
    expect(new Date(body.expiresAt).getTime()).toBe(DASHBOARD_NOW.getTime() + 7 * 86_400_000);
    const url = new URL(body.url);
    expect(url.pathname).toBe("/dashboard");
    const opened = await page(url.searchParams.get("t")!);
    expect(opened.status).toBe(200);
    const csp = opened.headers.get("content-security-policy")!;
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("default-src 'none'");
    expect(csp).not.toContain("unsafe");
    expect(opened.headers.get("referrer-policy")).toBe("no-referrer");
    expect(opened.headers.get("cache-control")).toBe("no-store");
    expect(opened.headers.get("x-content-type-options")).toBe("nosniff");
    const html = await opened.text();
    expect(html).toContain('<html lang="zh-CN">');
    expect(html).not.toMatch(/<script>|<style>| style=/); // nothing inline: the CSP would refuse it
    expect(html).not.toContain(url.searchParams.get("t")!); // the page does not repeat the token
  });

  it("the assets are served by the service, hashed, cached for a year, gzipped", async () => {
    const html = await (await page(tokenFor("m11"))).text();
    const srcs = [...html.matchAll(/(?:src|href)="(\/dashboard\/assets\/[^"]+)"/g)].map((m) => m[1]!);
    expect(srcs.map((s) => s.replace(/-[0-9a-f]{12}\./, "-#."))).toEqual([
      "/dashboard/assets/dashboard-#.css",
      "/dashboard/assets/echarts-#.min.js",
      "/dashboard/assets/charts-#.js",
      "/dashboard/assets/dashboard-#.js",
    ]);
    for (const src of srcs) {
      const res = await fetch(svc.url + src, { headers: { "accept-encoding": "gzip" } });
      expect(res.status, src).toBe(200);
      expect(res.headers.get("cache-control")).toBe("public, max-age=31536000, immutable");
      expect(res.headers.get("content-encoding")).toBe("gzip");
      expect((await res.arrayBuffer()).byteLength).toBeGreaterThan(100);
    }
    const echarts = srcs.find((s) => s.includes("echarts"))!;
    const again = await fetch(svc.url + echarts, { headers: { "if-none-match": `"${echarts.slice(-19, -7)}"` } });
    expect(again.status).toBe(304);
    expect((await fetch(`${svc.url}/dashboard/assets/echarts-000000000000.min.js`)).status).toBe(404);
  });

  it("an admin link (short, signed under its own key) sees the whole plan; a staff token named 'admin' is not one", async () => {
    const res = await svc.api("/api/dashboard-links", jsonInit("POST", { hours: 2 }));
    expect(res.status).toBe(201);
    const body = (await res.json()) as { url: string; expiresAt: string; scope: string };
    expect(body.scope).toBe("ADMIN");
    expect(new Date(body.expiresAt).getTime()).toBe(DASHBOARD_NOW.getTime() + 2 * 3_600_000);
    const t = new URL(body.url).searchParams.get("t")!;
    const view = await json(await api("view", t));
    expect((view.digest as Json).viewer).toMatchObject({ scope: "PLAN", userId: null });
    const forged = tokenFor("admin");
    expect((await api("view", forged)).status).toBe(403);
    expect((await svc.api("/api/dashboard-links", jsonInit("POST", { hours: 99 }))).status).toBe(400);
    expect((await fetch(`${svc.url}/api/dashboard-links`, jsonInit("POST", {}))).status).toBe(401);
  });
});

describe("what a viewer sees", () => {
  it("a regional manager: their region only, formatted for the page, periods newest first", async () => {
    const res = await api("view", tokenFor("m11"));
    expect(res.status).toBe(200);
    expect(res.headers.get("cache-control")).toBe("no-store");
    const body = await json(res);
    expect(body.period).toBe("2026-W10");
    expect((body.periods as { key: string }[]).map((p) => p.key).slice(0, 3)).toEqual([
      "2026-W10",
      "2026-W09",
      "2026-W08",
    ]);
    const digest = body.digest as Json;
    expect(digest.viewer).toMatchObject({ userId: "m11", scope: "SUBTREE" });
    const view = body.view as Json & { scope: string; exceptions: { text: string }[]; totals: Json };
    expect(view.scope).toMatch(/的团队$/);
    expect(view.totals.ytdAttainment).toMatch(/^\d+%$/);
    expect(view.exceptions.some((e) => /连续2周未达标/.test(e.text))).toBe(true);
    const text = JSON.stringify({ view: body.view, digest: body.digest }); // (the sandbox's picker lists everyone)
    for (const other of ["华南", "华北", "西北", "东北"]) expect(text).not.toContain(other);
    expect(body.sandbox).toMatchObject({ staff: expect.any(Array) }); // sandbox mode: the view-as list
  });

  it("drills from the root to a region, its children, and a person of the region", async () => {
    const t = tokenFor("wangjianguo");
    let node = await json(await api("node", t));
    let children = node.children as { id: string; label: string; leaf: boolean; ownerUserId: string | null }[];
    expect(children.map((c) => c.label).sort()).toEqual(["东北", "华东", "华北", "华南", "西北"].sort());
    let next = children.find((c) => c.label === "华东")!;
    const path: string[] = [];
    while (!next.leaf) {
      path.push(next.label);
      node = await json(await api("node", t, { node: next.id }));
      children = node.children as typeof children;
      expect(children.length).toBeGreaterThan(0);
      next = children[0]!;
    }
    expect(path.length).toBeGreaterThanOrEqual(2);
    const person = await json(await api("person", t, { user: next.ownerUserId! }));
    const periods = person.periods as { key: string; target: string; actual: string; attainment: string }[];
    expect(periods[0]!.key).toBe("2026-W10");
    expect(periods.length).toBeGreaterThanOrEqual(9);
    expect((person.ledger as unknown[]).length).toBeGreaterThan(0);
    expect(person.targets).toEqual([expect.objectContaining({ path: expect.stringContaining("华东") })]);
  });

  it("a person with an escalation: it shows with its streak", async () => {
    const [esc] = await svc.db.sql.query<{ owner_user_id: string }>(
      "SELECT owner_user_id FROM escalation WHERE plan_id = $1 ORDER BY owner_user_id LIMIT 1",
      [planId],
    );
    const person = await json(await api("person", tokenFor("wangjianguo"), { user: esc!.owner_user_id }));
    expect(person.escalations).toEqual([
      expect.objectContaining({
        status: "处理中",
        text: expect.stringMatching(/^连续2周未达标（W9、W10），由 \S+ 处理$/),
      }),
    ]);
  });
});

describe("refused, with the database unchanged", () => {
  it("no token, a tampered one, an expired one: 401 — the page says how to get a new link", async () => {
    const before = await tableCounts(svc);
    const good = tokenFor("m11");
    const [payload, sig] = good.split(".") as [string, string];
    const other = Buffer.from(JSON.stringify({ v: 1, u: "wangjianguo", e: 4_102_444_800 })).toString("base64url");
    const cases: [string | undefined, RegExp][] = [
      [undefined, /请从机器人发来的看板链接打开/],
      ["", /请从机器人发来的看板链接打开/],
      [`${other}.${sig}`, /无效/], // another person's claims under m11's signature
      [`${payload}.${sig.slice(0, -2)}${sig.endsWith("AA") ? "AB" : "AA"}`, /无效/],
      ["not-a-token", /无效/],
      [tokenFor("m11", new Date(DASHBOARD_NOW.getTime() - 8 * 86_400_000)), /已过期/],
    ];
    for (const [t, why] of cases) {
      const res = await page(t);
      expect(res.status, String(t)).toBe(401);
      expect(res.headers.get("content-security-policy")).toContain("default-src 'none'");
      const html = await res.text();
      expect(html).toMatch(why);
      expect(html).toContain(HINT);
      const data = await api("view", t);
      expect(data.status).toBe(401);
      expect((await json(data)).error?.message).toMatch(why);
    }
    expect(await tableCounts(svc)).toEqual(before);
  });

  it("a person outside the viewer's team, a region of another team, a plan they have nothing in: 403", async () => {
    const before = await tableCounts(svc);
    const t = tokenFor("m11");
    const other = await api("person", t, { user: "m12" });
    expect(other.status).toBe(403);
    expect((await json(other)).error?.message).toContain("你只能查看自己和下属的数据");
    const [south] = await svc.db.sql.query<{ id: string }>(
      "SELECT id FROM target WHERE plan_id = $1 AND dimension = 'REGION' AND key = '12'",
      [planId],
    );
    expect((await api("node", t, { node: south!.id })).status).toBe(403);
    expect((await api("person", t, { user: "r11001" })).status).toBe(200); // theirs: fine
    const rep = tokenFor("r11001");
    expect((await api("person", rep, { user: "r11002" })).status).toBe(403); // a colleague
    expect((await api("person", rep, { user: "r11001" })).status).toBe(200); // themselves
    expect((await api("view", t, { period: "2026-W11" })).status).toBe(400); // not closed yet
    expect((await api("view", t, { plan: "no-such-plan" })).status).toBe(404);
    const unknownNode = await api("node", tokenFor("wangjianguo"), { node: "no-such-target" });
    expect(unknownNode.status).toBe(404);
    expect((await json(unknownNode)).error?.message).toContain("没有这个目标");
    expect((await api("person", tokenFor("wangjianguo"), { user: "nobody" })).status).toBe(404);
    expect((await api("view", t, { period: "2026-13" })).status).toBe(400);
    expect(await tableCounts(svc)).toEqual(before);
  });

  it("a viewer who left: their link stops working (403 page and JSON)", async () => {
    const t = tokenFor("r11003");
    expect((await page(t)).status).toBe(200);
    await svc.db.sql.query("UPDATE staff SET active = false WHERE user_id = 'r11003'");
    try {
      const before = await tableCounts(svc);
      const res = await page(t);
      expect(res.status).toBe(403);
      const html = await res.text();
      expect(html).toContain("已离职");
      expect(html).toContain(HINT);
      expect((await api("view", t)).status).toBe(403);
      expect((await api("person", t, { user: "r11003" })).status).toBe(403);
      const link = await svc.api("/api/dashboard-links", jsonInit("POST", { userId: "r11003" }));
      expect(link.status).toBe(409); // and no new link for them
      expect(await tableCounts(svc)).toEqual(before);
    } finally {
      await svc.db.sql.query("UPDATE staff SET active = true WHERE user_id = 'r11003'");
    }
  });

  it("no token reached the log (the request line logs the path, never the query or the header)", async () => {
    const t = tokenFor("m11");
    await page(t);
    await api("view", t);
    const all = logged.join("");
    expect(all).toContain('"path":"/dashboard"');
    expect(all).not.toContain(t.split(".")[1]!);
    expect(all).not.toContain("t=");
  });

  it("two published plans: the plan picker lists both for their owner, a plan someone has nothing in is refused", async () => {
    const small = await createSmallPlan(svc); // 华东小计划, owned by m11, split between three 华东 reps
    await svc.db.sql.query("UPDATE plan SET status = 'PUBLISHED' WHERE id = $1", [small.planId]);
    await svc.db.sql.query(
      "UPDATE target SET state = 'PUBLISHED', published_at = '2026-01-05T10:00:00+08:00' WHERE plan_id = $1",
      [small.planId],
    );
    const before = await tableCounts(svc);
    const mine = await json(await api("view", tokenFor("m11"), { plan: small.planId }));
    expect((mine.plans as { name: string }[]).map((p) => p.name).sort()).toEqual(["2026年度销售目标", "华东小计划"]);
    expect(mine.planId).toBe(small.planId);
    expect((mine.digest as Json).viewer).toMatchObject({ scope: "PLAN" }); // the plan's owner sees all of it
    const south = tokenFor("r12001");
    const theirs = await json(await api("view", south, { plan: "" }));
    expect((theirs.plans as unknown[]).length).toBe(1); // only the plan they have a target in
    const refused = await api("view", south, { plan: small.planId });
    expect(refused.status).toBe(403);
    expect((await api("node", south, { plan: small.planId })).status).toBe(403);
    expect(await tableCounts(svc)).toEqual(before);
  });
});
