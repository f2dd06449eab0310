import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DIRECTOR_ID, referenceOrg } from "../../src/demo/reference-org.ts";
import { digestChartOptions } from "../../src/flows/digest/digest-chart.ts";
import { renderChartPng } from "../../src/flows/digest/render-chart-png.ts";
import { importOrg } from "../../src/org/import-org.ts";
import { recordsFromJson, ZOrgImportRequest } from "../../src/org/org-input.ts";
import { launchChromium } from "../helpers/browser.ts";
import { sampleDigest } from "../helpers/sample-digest.ts";
import { startTestService, type TestService } from "../helpers/test-service.ts";

/*
 * Sandbox mode as `npm start` runs it: an image the bot sends (the digest's chart, through the outbox, uploaded
 * to the in-process emulator) shows in the recipient's chat on the sandbox page as a picture, served by the
 * service itself.
 */

let svc: TestService;
let browser: Browser;
let png: Buffer;

beforeAll(async () => {
  svc = await startTestService({ DINGTALK_QPS: "500" }, { sandbox: { demo: false } });
  await importOrg({ db: svc.db, records: recordsFromJson(ZOrgImportRequest.parse(referenceOrg())), mode: "merge" });
  png = await renderChartPng(digestChartOptions(sampleDigest()).attainment);
  const queued = await svc.db.prisma.$transaction((tx) =>
    svc.deps.outbound.sendPng(tx, { to: DIRECTOR_ID, key: "digest-test-chart", png }),
  );
  expect(queued).toBe(true);
  await svc.dingtalk!.outbox.drain();
  browser = await launchChromium();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await svc?.close();
});

describe("images on the sandbox page", () => {
  it("the director sees the chart in his chat: an <img> the service serves, the very PNG that was sent", async () => {
    const page = await browser.newPage({ viewport: { width: 390, height: 844 } });
    await page.goto(`${svc.url}/sandbox`);
    // A fresh browser opens on the tour (sandbox-tour.test.ts walks it); on a phone the staff list is behind 选择员工.
    await page.getByTestId("tour-skip").click();
    await page.getByTestId("pick").click();
    await page.getByTestId("filter").fill("王建国");
    await page.locator(".person", { hasText: "王建国" }).first().click();
    const img = page.getByTestId("msg-image").locator("img");
    await img.waitFor();
    await expect.poll(() => img.evaluate((el) => (el as unknown as { naturalWidth: number }).naturalWidth)).toBe(750);
    const src = await img.getAttribute("src");
    expect(src).toMatch(/^\/sandbox\/api\/media\/%40lA/);
    const served = await page.evaluate(async (url) => {
      const res = await fetch(url);
      return { type: res.headers.get("content-type"), bytes: Array.from(new Uint8Array(await res.arrayBuffer())) };
    }, src!);
    expect(served.type).toBe("image/png");
    expect(Buffer.compare(Buffer.from(served.bytes), png)).toBe(0);
    await page.screenshot({ path: `${process.env.TMPDIR ?? "/tmp"}/sandbox-image.png` });
    await page.close();
  });

  it("an unknown image is a clear 404, not an empty picture", async () => {
    const res = await fetch(`${svc.url}/sandbox/api/media/${encodeURIComponent("@lAnope")}`);
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ error: { code: "NOT_FOUND", message: "图片不存在" } });
  });
});
