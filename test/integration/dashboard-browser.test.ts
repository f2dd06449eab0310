import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { issueDashboardToken } from "../../src/flows/digest/dashboard-token.ts";
import { launchChromium } from "../helpers/browser.ts";
import { robotMarkdowns } from "../helpers/chat.ts";
import { DASHBOARD_NOW, dashboardFixture } from "../helpers/dashboard-fixture.ts";
import { jsonInit } from "../helpers/plan-api.ts";
import { startTestService, type TestService } from "../helpers/test-service.ts";

/*
 * The dashboard in a real browser (Debian's Chromium): opened from a link as the director, it draws the three
 * charts (SVG with shapes and the Chinese labels), lists the exceptions first, drills down region by region to a
 * person, and a tampered link shows the refusal page. Run with DASHBOARD_SCREENSHOT=<path> to write the phone
 * screenshot checked in at docs/screenshots/dashboard-phone.png.
 */

let svc: TestService;
let browser: Browser;
const cspViolations: string[] = [];

beforeAll(async () => {
  svc = await startTestService({ DINGTALK_QPS: "500" }, { sandbox: { demo: false }, now: () => DASHBOARD_NOW });
  await dashboardFixture(svc);
  browser = await launchChromium();
}, 240_000);

afterAll(async () => {
  await browser?.close();
  await svc?.close();
});

/**
 * The link in a person's weekly digest message: the job runs on Monday 13:00 after W10's evaluation and the
 * message arrives in the emulator's inbox. The link's origin is PUBLIC_URL (sandbox default localhost:PORT,
 * meaningless with a random port), so its path and token are opened on the test's service.
 */
async function digestLinkFor(userId: string): Promise<string> {
  const res = await svc.api("/api/jobs/weekly-digest/run", jsonInit("POST", { at: "2026-03-09T13:00:00+08:00" }));
  expect(res.status, await res.clone().text()).toBe(200);
  await svc.dingtalk!.outbox.drain();
  const [digest] = robotMarkdowns(svc.deps.emulator!, userId).filter((m) => m.title.includes("周报"));
  const link = /\((https?:\/\/[^)\s]+\/dashboard\?t=[A-Za-z0-9_.-]+)\)/.exec(digest?.text ?? "")?.[1];
  expect(link, digest?.text).toBeDefined();
  const url = new URL(link!);
  return `${svc.url}${url.pathname}${url.search}`;
}

async function linkFor(userId: string): Promise<string> {
  const res = await svc.api("/api/dashboard-links", jsonInit("POST", { userId }));
  expect(res.status).toBe(201);
  const { url } = (await res.json()) as { url: string };
  return `${svc.url}/dashboard${new URL(url).search}`;
}

async function open(url: string, width = 390): Promise<Page> {
  const page = await browser.newPage({ viewport: { width, height: 844 }, deviceScaleFactor: 2 });
  page.on("console", (m) => {
    if (/Content Security Policy|Refused to/.test(m.text())) cspViolations.push(m.text());
  });
  page.on("pageerror", (e) => cspViolations.push(`page error: ${e.message}`));
  await page.goto(url);
  return page;
}

/**
 * What ECharts drew into a chart's SVG — shapes, texts, the width shown — and how much of it is visible: the
 * distinct shapes found under a 12 × 12 grid of points over the chart's box (elementFromPoint sees only what is
 * painted on top there, so a chart clipped away, collapsed to no height or scrolled out of its box finds none).
 */
const drawn = async (page: Page, id: string) => {
  await page.getByTestId(id).scrollIntoViewIfNeeded();
  return page.evaluate<{ shapes: number; visible: number; text: string; width: number }>(`(() => {
    const box = document.querySelector('[data-testid="${id}"]');
    const svg = box.querySelector("svg");
    if (!svg) return { shapes: 0, visible: 0, text: "", width: 0 };
    const r = box.getBoundingClientRect();
    const hit = new Set();
    for (let i = 1; i < 12; i++)
      for (let j = 1; j < 12; j++) {
        const el = document.elementFromPoint(r.left + (r.width * i) / 12, r.top + (r.height * j) / 12);
        if (el && svg.contains(el) && el !== svg) hit.add(el);
      }
    return {
      shapes: svg.querySelectorAll("path, rect, circle, polyline, line").length,
      visible: hit.size,
      text: [...svg.querySelectorAll("text")].map((t) => t.textContent).join(" "),
      width: svg.getBoundingClientRect().width,
    };
  })()`);
};

describe("the dashboard in Chromium", () => {
  it("as the director on a phone, from the weekly digest's link: charts drawn, exceptions first, drill-down to a person", async () => {
    const page = await open(await digestLinkFor("wangjianguo"));
    await page.getByTestId("exception").first().waitFor();
    expect(await page.getByTestId("title").textContent()).toBe("2026年度销售目标 · W10");
    expect(await page.getByTestId("who").textContent()).toContain("全公司");

    // Exceptions come first on the page, right under the header.
    const order = await page.evaluate<string[]>(
      `[...document.querySelectorAll("main > section:not([hidden])")].map((s) => s.getAttribute("data-testid") ?? s.id)`,
    );
    expect(order.slice(0, 2)).toEqual(["overview", "exceptions-section"]);
    const exceptions = await page.getByTestId("exception").allTextContents();
    expect(exceptions[0]).toMatch(/连续未达标.+连续\d+周未达标/);
    expect(exceptions).toHaveLength(5); // the first five; the counts per kind above them
    expect(await page.getByTestId("exception-kinds").textContent()).toMatch(/连续未达标 \d+.*目标未确认 \d+/);

    const gauge = await drawn(page, "chart-gauge");
    expect(gauge.shapes).toBeGreaterThan(3);
    expect(gauge.visible).toBeGreaterThanOrEqual(3);
    expect(gauge.text).toMatch(/\d+%/);
    const weekly = await drawn(page, "chart-weekly");
    expect(weekly.shapes).toBeGreaterThan(10); // bars for ten weeks and the lines
    expect(weekly.visible).toBeGreaterThanOrEqual(3);
    expect(weekly.text).toContain("W10");
    const regions = await drawn(page, "chart-dims");
    for (const name of ["华东", "华南", "华北", "西北", "东北"]) expect(regions.text).toContain(name);
    expect(regions.visible).toBeGreaterThanOrEqual(3);
    // Scaled to the phone: nothing wider than the screen.
    for (const c of [gauge, weekly, regions]) expect(c.width).toBeLessThanOrEqual(390);
    expect(await page.evaluate<number>("document.documentElement.scrollWidth")).toBeLessThanOrEqual(390);

    expect(await page.getByTestId("board").textContent()).toMatch(/前5名[\s\S]+后5名[\s\S]+区域前5/);
    expect(await page.getByTestId("freshness").textContent()).toMatch(/已填报 \d+\/133 人/);

    await page.evaluate("window.scrollTo(0, 0)");
    if (process.env.DASHBOARD_SCREENSHOT) await page.screenshot({ path: process.env.DASHBOARD_SCREENSHOT });
    await page.screenshot({ path: `${process.env.TMPDIR ?? "/tmp"}/dashboard-phone-full.png`, fullPage: true });
    await page.getByTestId("exceptions-more").click();
    await expect.poll(() => page.getByTestId("exception").count()).toBeGreaterThan(5);

    // A tap on a region's bar in the (scaled) chart drills into that region.
    const bar = page.locator('[data-testid="chart-dims"] svg path[fill="#3370ff"]').first();
    await bar.click({ position: { x: 8, y: 4 } }); // left end: the 100 % line crosses the middle
    await expect.poll(() => page.getByTestId("crumbs").textContent()).toMatch(/(华东|华南|华北|西北|东北)$/);
    await page.getByTestId("crumbs").locator("button").first().click(); // back to the plan
    await expect.poll(() => page.getByTestId("drill-row").count()).toBe(5);

    // Drill down: a region, then each level's first row, until a person opens.
    await page.getByTestId("drill-row").filter({ hasText: "华东" }).click();
    await expect.poll(() => page.getByTestId("crumbs").textContent()).toContain("华东");
    for (let level = 0; level < 6 && (await page.getByTestId("person").isHidden()); level++) {
      const before = await page.getByTestId("crumbs").textContent();
      await page.getByTestId("drill-row").first().click();
      await expect
        .poll(
          async () =>
            (await page.getByTestId("person").isVisible()) ||
            (await page.getByTestId("crumbs").textContent()) !== before,
        )
        .toBe(true);
    }
    const person = page.getByTestId("person");
    await person.waitFor();
    expect(await page.getByTestId("person-name").textContent()).toMatch(/\S+ 华东大区/);
    expect(await person.textContent()).toMatch(/各期考核[\s\S]*W10[\s\S]*目标变更记录[\s\S]*第1版/);
    await person.screenshot({ path: `${process.env.TMPDIR ?? "/tmp"}/dashboard-person.png` });
    expect(cspViolations).toEqual([]);
    await page.close();
  });

  it("a regional manager's page names no other region", async () => {
    const page = await open(await linkFor("m11"), 1280);
    await page.getByTestId("exception").first().waitFor();
    expect(await page.getByTestId("who").textContent()).toContain("王伟的团队");
    await expect.poll(async () => (await drawn(page, "chart-dims")).shapes).toBeGreaterThan(3);
    const text = await page.locator("main").textContent();
    for (const other of ["华南", "华北", "西北", "东北"]) expect(text).not.toContain(other);
    // The period picker: an earlier week redraws the page for it.
    await page.getByTestId("period").selectOption("2026-W08");
    await expect.poll(() => page.getByTestId("title").textContent()).toContain("W8");
    expect(await page.getByTestId("plan").isVisible()).toBe(false); // one plan: no plan picker
    await page.close();
  });

  it("a tampered link shows the refusal page with how to get a new one", async () => {
    const token = issueDashboardToken(svc.deps.config.dashboardSecret, "m11", DASHBOARD_NOW, 7);
    const [payload, sig] = token.split(".") as [string, string];
    const forged = Buffer.from(
      JSON.stringify({ v: 1, u: "wangjianguo", e: JSON.parse(Buffer.from(payload, "base64url").toString()).e }),
    ).toString("base64url");
    const page = await open(`${svc.url}/dashboard?t=${forged}.${sig}`);
    const refusal = page.getByTestId("refusal");
    await refusal.waitFor();
    expect(await refusal.textContent()).toMatch(/无法打开看板[\s\S]*无效[\s\S]*在钉钉里对机器人说“看板”/);
    expect(await page.locator("svg").count()).toBe(0);
    await page.close();
  });

  it("sandbox mode: the view-as picker opens the page as another person", async () => {
    const page = await open(`${svc.url}/dashboard?as=admin`, 1280);
    await page.getByTestId("exception").first().waitFor();
    await page.getByTestId("view-as").selectOption("m12");
    await expect.poll(() => page.getByTestId("who").textContent()).toContain("龙伟的团队");
    expect(page.url()).toMatch(/\/dashboard\?t=/);
    await page.close();
  });
});
