import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { seedDemo } from "../../src/demo/seed-demo.ts";
import { launchChromium } from "../helpers/browser.ts";
import { startTestService, type TestService } from "../helpers/test-service.ts";

let svc: TestService;
let browser: Browser;

beforeAll(async () => {
  // Sandbox mode as `npm start` runs it: the emulator in-process, the real bot connected to it over the stream.
  // The business clock is Friday 2026-11-27 16:00 in Shanghai, whatever day the suite runs: the prompt is due, the
  // week is open for reports.
  const friday = new Date("2026-11-27T08:00:00Z");
  svc = await startTestService({ DINGTALK_QPS: "500" }, { sandbox: { demo: false }, now: () => friday });
  const { planId } = await seedDemo(svc.db, svc.deps.calendar);
  const res = await svc.api(`/api/plans/${planId}/publish`, { method: "POST" });
  expect(res.status, await res.clone().text()).toBe(200);
  await svc.dingtalk!.outbox.drain();
  browser = await launchChromium();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await svc?.close();
});

async function openAs(name: string) {
  const page = await browser.newPage();
  await page.goto(`${svc.url}/sandbox`);
  await page.getByTestId("tour-skip").click(); // a fresh browser context: the tour opens first (sandbox-tour.test.ts walks it)
  await page.getByTestId("filter").fill(name);
  await page.locator(".person", { hasText: name }).first().click();
  await expect.poll(() => page.getByTestId("who").textContent()).toContain(name);
  return page;
}

describe("the sandbox page in a real browser", () => {
  it("acts as a rep: sees her target card, reports in chat and gets the bot's answer, taps 确认 and sees the card change", async () => {
    const page = await openAs("李娜");
    const card = page.getByTestId("card").first();
    await card.waitFor();
    expect(await card.textContent()).toMatch(/销售额目标：[\s\S]+占比：华东/);
    await page.getByTestId("button-confirm").first().waitFor();
    expect(await page.getByTestId("button-dispute").count()).toBe(1);

    await page.getByTestId("text").fill("本周完成3.5万，新客户2家");
    await page.getByTestId("text").press("Enter");
    await page.getByTestId("msg-me").filter({ hasText: "本周完成3.5万" }).waitFor();
    await page.getByTestId("msg-bot").filter({ hasText: "已记录" }).waitFor();

    await page.getByTestId("button-confirm").first().click();
    await page.getByTestId("card-status").filter({ hasText: "已确认" }).first().waitFor();
    await expect.poll(() => page.getByTestId("button-confirm").count()).toBe(0);
    expect(await page.getByTestId("notice").textContent()).toBe("");
    expect(await svc.db.prisma.targetAck.count({ where: { userId: "r11001" } })).toBe(1);
    await page.screenshot({ path: `${process.env.TMPDIR ?? "/tmp"}/sandbox-after-confirm.png`, fullPage: true });
    await page.close();
  });

  it("the weekly prompt arrives as a progress card; the rep fills in the form, submits, and sees 已提交", async () => {
    const res = await svc.api("/api/jobs/weekly-prompt/run", { method: "POST" });
    expect(res.status).toBe(200);
    await svc.dingtalk!.outbox.drain();
    const page = await openAs("赵涛");
    const card = page.locator('[data-testid="card"][data-track^="prg."]');
    await card.waitFor();
    expect(await card.textContent()).toMatch(/本周目标：[\s\S]+年度累计/);
    await card.locator('input[name="amount"]').fill("2万");
    await card.locator('input[name="newCustomers"]').fill("1");
    await card.getByTestId("button-submit").click();
    await card.getByTestId("card-status").filter({ hasText: "已提交" }).waitFor();
    expect(await card.textContent()).toMatch(/已提交：2万元，新客户 1家/);
    await expect.poll(() => card.getByTestId("button-correct").count()).toBe(1);
    const [entry] = await svc.db.prisma.progressEntry.findMany({ where: { userId: "r11002" } });
    expect(entry).toMatchObject({ amount: 20_000n, newCustomers: 1, source: "SELF_REPORT" });
    await page.close();
  });

  it("her manager gets one summary of the targets they co-own, and no card per target", async () => {
    const page = await openAs("华东区域经理");
    const summary = page.getByTestId("msg-bot").filter({ hasText: "协同负责人" });
    await summary.first().waitFor();
    expect(await summary.count()).toBe(1);
    expect(await summary.textContent()).toMatch(/你是以下 \d+ 个销售额目标的协同负责人[\s\S]+李娜/);
    expect(await page.getByTestId("card").count()).toBe(0);
    await page.close();
  });

  it("有异议 on the page becomes an approval card for the manager, who approves it with a comment", async () => {
    const rep = await openAs("胡玉兰");
    const card = rep.locator('[data-testid="card"][data-track^="tgt."]').first();
    await card.waitFor();
    const track = (await card.getAttribute("data-track"))!;
    const target = await svc.db.prisma.target.findUniqueOrThrow({ where: { id: track.split(".")[1]! } });
    const lower = target.amount - (target.amount * 3n) / 100n; // −3 %: the manager alone
    const dispute = card.locator("form").filter({ has: rep.getByTestId("button-dispute") });
    await dispute.locator('input[name="reason"]').fill("重点客户预算削减");
    await dispute.locator('input[name="amount"]').fill(String(lower));
    await dispute.getByTestId("button-dispute").click();
    await card.getByTestId("card-status").filter({ hasText: "有异议" }).waitFor();
    expect(await card.textContent()).toContain("已提出异议，等待王伟审批");
    await rep.close();
    await svc.dingtalk!.outbox.drain();

    const manager = await openAs("华东区域经理");
    const approval = manager.locator('[data-testid="card"][data-track^="apr."]');
    await approval.waitFor();
    expect(await approval.textContent()).toMatch(/目标变更审批[\s\S]+-3(\.0)?%[\s\S]+重点客户预算削减/);
    const approve = approval.locator("form").filter({ has: manager.getByTestId("button-approve") });
    await approve.locator('input[name="comment"]').fill("同意，下季度复盘");
    await approve.getByTestId("button-approve").click();
    await approval.getByTestId("card-status").filter({ hasText: "已同意" }).waitFor();
    await expect.poll(() => approval.getByTestId("button-approve").count()).toBe(0);
    const request = await svc.db.prisma.changeRequest.findFirstOrThrow({ where: { targetId: target.id } });
    expect(request).toMatchObject({ status: "APPROVED", source: "CARD", proposedAmount: lower });
    await manager.close();
  });
});
