import { mkdirSync } from "node:fs";
import { createServer } from "node:net";
import type { Browser, BrowserContext, Locator, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchChromium } from "../helpers/browser.ts";
import { startTestService, type TestService } from "../helpers/test-service.ts";

/*
 * The dead-end check (issue #16 item 2): a visitor walks the guided sandbox as each role through the page
 * only — no API calls from the test — at phone width. Every step first asserts that the control it needs is
 * visible (a step with no visible way forward fails there, named), uses it, then waits for something visible
 * to change. The roles run in order on one service, as a visitor would: the rep's change request is what the
 * manager approves, and the team simulated by the manager is what the director's digest shows.
 *
 * KNOWN RED ON POSTGRESQL (2026-12-05): /sandbox/api/state reports the demo plan while the background seed is
 * still writing it, so 发布目标 is enabled too early and answers 「计划还不能发布：0 处不守恒，37 个责任问题」 — a
 * real dead end for a quick visitor, to be fixed on the API side (no plan in the state until the seed is done).
 * Green on PGlite.
 */

let svc: TestService;
let browser: Browser;
let context: BrowserContext;
const PHONE = { width: 390, height: 844 };
const SHOTS = new URL("../../docs/screenshots/", import.meta.url).pathname;

/** A free port, so PUBLIC_URL (the origin of the digest's dashboard link) is this service's own. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
    s.on("error", reject);
  });
}

beforeAll(async () => {
  const port = await freePort();
  // Sandbox mode exactly as `npm start` runs it: the demo company is built in the background (the page waits for
  // it), its plan a draft the page publishes, and the business clock starts in the plan's 10th week.
  svc = await startTestService(
    { DINGTALK_QPS: "500", PORT: String(port), PUBLIC_URL: `http://127.0.0.1:${port}` },
    { sandbox: { demo: true } },
  );
  browser = await launchChromium();
  context = await browser.newContext({ viewport: PHONE, deviceScaleFactor: 2 });
  mkdirSync(SHOTS, { recursive: true });
}, 120_000);

afterAll(async () => {
  await context?.close();
  await browser?.close();
  await svc?.close();
});

/** What the visitor sees when a step fails: the bar's last answer and the end of the chat, for the error message. */
async function seen(page: Page): Promise<string> {
  const text = async (id: string) =>
    (
      (await page
        .getByTestId(id)
        .textContent()
        .catch(() => "")) ?? ""
    ).trim();
  return `bar: ${await text("result")} | who: ${await text("who")} | chat ends: …${(await text("chat")).slice(-400)}`;
}

/** The control a step needs, visible; a dead end otherwise, named after the step. */
async function needs(step: string, control: Locator, timeout = 15_000): Promise<Locator> {
  try {
    await control.first().waitFor({ state: "visible", timeout });
  } catch {
    throw new Error(`dead end at 「${step}」: no visible way forward (${control}); ${await seen(control.page())}`);
  }
  return control.first();
}

/** Waits until `what` shows on the page after a step; names the step when nothing visible changed. */
async function shows(step: string, what: Locator, timeout = 15_000): Promise<void> {
  try {
    await what.first().waitFor({ state: "visible", timeout });
  } catch {
    throw new Error(`after 「${step}」 nothing visible changed: expected ${what}; ${await seen(what.page())}`);
  }
}

/** The bar's answer to an action, once it is no longer 正在处理…. */
async function barAnswer(page: Page, step: string, expected: RegExp): Promise<string> {
  // A clock move runs every job due on the way and 模拟团队 has ~140 people answer through the emulator: slow.
  await shows(step, page.getByTestId("result").filter({ hasText: expected }), 180_000);
  return (await page.getByTestId("result").textContent()) ?? "";
}

async function pressBar(page: Page, testId: string, step: string, expected: RegExp): Promise<string> {
  await (await needs(step, page.getByTestId(testId))).click();
  return barAnswer(page, step, expected);
}

async function sendChat(page: Page, step: string, text: string, reply: RegExp): Promise<void> {
  await (await needs(step, page.getByTestId("text"))).fill(text);
  await (await needs(step, page.getByTestId("send"))).click();
  await shows(step, page.getByTestId("msg-me").filter({ hasText: text.slice(0, 8) }));
  await shows(step, page.getByTestId("msg-bot").filter({ hasText: reply }), 20_000);
}

async function asRole(page: Page, role: "rep" | "manager" | "director", label: string): Promise<string> {
  await (await needs(label, page.getByTestId(`role-${role}`))).click();
  await shows(label, page.getByTestId("hint").filter({ hasText: "提示（" }));
  return (await page.getByTestId("who").textContent()) ?? "";
}

/**
 * The role's whole view at phone width: the viewport grown to the page's height for the shot (so the sticky
 * reply box sits at the bottom, where a phone shows it, and not over the middle of the chat), then back.
 */
/** What the visitor sees on the phone's screen, scrolled to the newest message (as a chat opens). */
async function screenshot(page: Page, file: string): Promise<void> {
  await page.evaluate("window.scrollTo(0, document.documentElement.scrollHeight)");
  await page.screenshot({ path: `${SHOTS}${file}` });
}

let page: Page;

describe("the guided sandbox, walked as each role at phone width (the dead-end check)", () => {
  it("opens on a five-step tour that goes forward and back, and is not shown again once finished", async () => {
    page = await context.newPage();
    await page.goto(`${svc.url}/sandbox`);
    const titles: string[] = [];
    for (let i = 0; i < 5; i++) {
      await shows("导览", page.getByTestId("tour-step").filter({ hasText: `${i + 1} / 5` }));
      titles.push((await page.getByTestId("tour-title").textContent()) ?? "");
      if (i === 1) {
        await (await needs("导览 上一步", page.getByTestId("tour-back"))).click();
        await shows("导览 上一步", page.getByTestId("tour-step").filter({ hasText: "1 / 5" }));
        await page.getByTestId("tour-next").click();
        await shows("导览 下一步", page.getByTestId("tour-step").filter({ hasText: "2 / 5" }));
      }
      await (await needs("导览 下一步", page.getByTestId("tour-next"))).click();
    }
    expect(titles[0]).toContain("模拟的钉钉组织");
    expect(titles.slice(1).join("|")).toMatch(/发布目标[\s\S]*角色[\s\S]*业务时钟[\s\S]*周报/);
    await page.getByTestId("tour").waitFor({ state: "hidden" });
    await page.reload();
    await needs("重新打开页面", page.getByTestId("publish"));
    expect(await page.getByTestId("tour").isVisible()).toBe(false);
    await (await needs("导览", page.getByTestId("tour-open"))).click();
    await shows("导览", page.getByTestId("tour-step").filter({ hasText: "1 / 5" }));
    await (await needs("跳过导览", page.getByTestId("tour-skip"))).click();
    await page.getByTestId("tour").waitFor({ state: "hidden" });
  }, 30_000);

  it("the rep: publishes, confirms the target card, reports in chat and asks for a change", async () => {
    await shows("演示公司加载", page.getByTestId("plan").filter({ hasText: "草稿" }), 90_000);
    const answer = await pressBar(page, "publish", "发布目标", /张目标卡片已发出/);
    expect(answer).toMatch(/[1-9]\d* 张目标卡片已发出/);
    await shows("发布目标", page.getByTestId("plan").filter({ hasText: "已发布" }));
    expect(await page.getByTestId("publish").isDisabled()).toBe(true);

    const who = await asRole(page, "rep", "我是客户经理");
    expect(who.length).toBeGreaterThan(0);
    const card = page.locator('[data-testid="card"][data-track^="tgt."]').first();
    await (await needs("确认目标", card.getByTestId("button-confirm"), 30_000)).click();
    await shows("确认目标", card.getByTestId("card-status").filter({ hasText: "已确认" }));
    const target = /销售额目标：([\d.,]+)(万|亿)?/.exec((await card.textContent()) ?? "");
    expect(target, (await card.textContent()) ?? "").not.toBeNull();

    await sendChat(page, "在聊天里汇报进度", "本周完成3.5万，新客户2家", /已记录/);

    const scale = target![2] === "亿" ? 10_000 : target![2] === "万" ? 1 : 1 / 10_000;
    const wan = (Number(target![1]!.replace(/,/g, "")) * scale * 0.97).toFixed(2); // −3 %: the manager alone
    await sendChat(page, "申请调整目标", `申请把目标调整为${wan}万，原因：重点客户预算削减`, /确认|序号/);
    const chosen = page.getByTestId("msg-bot").filter({ hasText: "请回复序号" });
    if ((await chosen.count()) > 0) await sendChat(page, "选择要调整的目标", "1", /确认/);
    await sendChat(page, "确认提交调整申请", "确认", /已确认并提交目标调整申请/);
    await screenshot(page, "sandbox-rep.png");
  }, 120_000);

  it("the manager: approves the rep's change on the approval card, then handles an escalation after 模拟团队 and two weeks", async () => {
    await asRole(page, "manager", "我是区域经理");
    const approval = page.locator('[data-testid="card"][data-track^="apr."]').filter({ hasText: "重点客户预算削减" });
    const approve = approval.locator("form").filter({ has: page.getByTestId("button-approve") });
    await (await needs("审批调整", approve.locator('input[name="comment"]'), 30_000)).fill("同意，下季度复盘");
    await (await needs("审批调整", approve.getByTestId("button-approve"))).click();
    await shows("审批调整", approval.getByTestId("card-status").filter({ hasText: "已同意" }));

    // The business clock starts on Monday 09:00 of week 10 (as in `npm start`), after week 10 began, so week 10 is
    // not evaluated for the plan published now: the team answers weeks 11 and 12, each evaluated the Monday noon
    // after (the first 到下周一12:00 is today's), and the second missed week in a row escalates.
    const steps: Array<[string, string, RegExp]> = [
      ["simulate", "模拟团队（第10周）", /模拟团队：/],
      ["clock-monday-12", "到下周一12:00（今天中午）", /业务时间已到/],
      ["clock-monday-12", "到下周一12:00（第11周）", /业务时间已到/],
      ["simulate", "模拟团队（第11周）", /模拟团队：/],
      ["clock-monday-12", "到下周一12:00（第12周）", /业务时间已到/],
      ["simulate", "模拟团队（第12周）", /模拟团队：/],
      ["clock-monday-12", "到下周一12:00（第13周）", /业务时间已到/],
    ];
    for (const [testId, step, expected] of steps) {
      const answer = await pressBar(page, testId, step, expected);
      expect(answer).toMatch(testId === "simulate" ? /\d+ 人已填报/ : /已运行：[^。]*评估/);
    }
    // The team's weak region is 华东 (src/sandbox/simulate-team.ts): its manager, whom 我是区域经理 opens, gets the
    // escalations; the shortcut again shows his chat with the cards that arrived meanwhile.
    await asRole(page, "manager", "我是区域经理");
    const escalation = page.locator('[data-testid="card"][data-track^="esc."]').first();
    await (await needs("处理升级", escalation.getByTestId("button-coach"), 30_000)).click();
    await shows("处理升级", escalation.getByTestId("card-status").filter({ hasText: "已安排辅导" }));
    await screenshot(page, "sandbox-manager.png");
  }, 600_000);

  it("the director: reads the digest with its chart and opens the dashboard link", async () => {
    await asRole(page, "director", "我是销售总监");
    const digest = page.getByTestId("msg-bot").filter({ hasText: "周报" }).last();
    await shows("看周报", digest, 30_000);
    expect(await digest.textContent()).toMatch(/年度累计达成/);
    const chart = page.getByTestId("msg-image").locator("img").last();
    await shows("看周报图表", chart, 30_000);
    await expect
      .poll(() => chart.evaluate((img) => (img as { naturalWidth: number }).naturalWidth))
      .toBeGreaterThan(100);
    await screenshot(page, "sandbox-director.png");

    const link = digest.getByTestId("link").filter({ hasText: "看板" });
    const [dashboard] = await Promise.all([context.waitForEvent("page"), (await needs("打开看板", link)).click()]);
    await dashboard.waitForLoadState();
    expect(new URL(dashboard.url()).pathname).toBe("/dashboard");
    await shows("打开看板", dashboard.getByText("年度累计").first(), 30_000);
    await dashboard.close();
  }, 90_000);
});
