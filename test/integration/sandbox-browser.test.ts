import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildTargetCard, targetCardConfirmed, targetCardFixture } from "../../cards/target.ts";
import { referenceOrg } from "../../src/demo/reference-org.ts";
import { createAndDeliverBody } from "../../src/dingtalk/card-delivery-body.ts";
import { createStreamClient, type GatewayDWClient } from "../../src/dingtalk/stream-client.ts";
import { sandboxTemplateId } from "../../src/sandbox/card-templates.ts";
import { launchChromium } from "../helpers/browser.ts";
import { startTestService, type TestService } from "../helpers/test-service.ts";

let svc: TestService;
let browser: Browser;
let bot: GatewayDWClient;
const li = { userId: "r11001", name: "李娜" };
const cardInput = { ...targetCardFixture, owner: li };

beforeAll(async () => {
  svc = await startTestService({}, { sandbox: { demo: false } });
  const put = await svc.api("/api/org", {
    method: "PUT",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(referenceOrg()),
  });
  expect(put.status).toBe(200);
  const app = svc.deps.dingtalk!;
  // Stands in for the bot's card handler (the confirm flow comes with the accountability loop): it answers
  // the click over the real stream with the card's "confirmed" state, as the flow will.
  bot = createStreamClient({
    apiBase: app.apiBase,
    clientId: app.clientId,
    clientSecret: app.clientSecret,
    onCardCallback: (msg) => {
      const confirmed = targetCardConfirmed(cardInput, new Date("2026-11-23T02:32:00Z"));
      bot.socketCallBackResponse(msg.headers.messageId, {
        cardData: { cardParamMap: confirmed.cardParamMap },
        userPrivateData: { cardParamMap: confirmed.privateParamMap?.[li.userId] ?? {} },
        cardUpdateOptions: { updateCardDataByKey: true, updatePrivateDataByKey: true },
      });
    },
  });
  await bot.connect();
  await deliverTargetCard(app);
  browser = await launchChromium();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  bot?.disconnect();
  await svc?.close();
});

/** Sends 李娜 her target card through the emulator's OpenAPI, as the outbox does. */
async function deliverTargetCard(app: NonNullable<TestService["deps"]["dingtalk"]>): Promise<void> {
  const tokenRes = await fetch(`${app.apiBase}/v1.0/oauth2/accessToken`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ appKey: app.clientId, appSecret: app.clientSecret }),
  });
  const { accessToken } = (await tokenRes.json()) as { accessToken: string };
  const card = buildTargetCard(cardInput);
  const res = await fetch(`${app.apiBase}/v1.0/card/instances/createAndDeliver`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-acs-dingtalk-access-token": accessToken },
    body: JSON.stringify(
      createAndDeliverBody({
        templateId: sandboxTemplateId("target"),
        outTrackId: "target-test-r11001-v1",
        card,
        userId: li.userId,
        robotCode: app.robotCode,
      }),
    ),
  });
  expect(res.status, await res.clone().text()).toBe(200);
}

describe("the sandbox page in a real browser", () => {
  it("acts as a rep: sees her card, types a message, taps 确认 and sees the card change", async () => {
    const page = await browser.newPage();
    await page.goto(`${svc.url}/sandbox`);
    await page.getByTestId("filter").fill("李娜");
    await page.locator(".person", { hasText: "李娜" }).click();
    await expect.poll(() => page.getByTestId("who").textContent()).toContain("李娜");

    const card = page.getByTestId("card");
    await card.waitFor();
    expect(await card.locator("h3").textContent()).toBeTruthy();
    expect(await card.textContent()).toContain("420万");
    await page.getByTestId("button-confirm").waitFor();
    expect(await page.getByTestId("button-dispute").count()).toBe(1);

    await page.getByTestId("text").fill("本周完成35万，新客户2家");
    await page.getByTestId("text").press("Enter");
    await page.getByTestId("msg-me").filter({ hasText: "本周完成35万" }).waitFor();

    await page.getByTestId("button-confirm").click();
    await page.getByTestId("card-status").filter({ hasText: "已确认" }).waitFor();
    await expect.poll(() => page.getByTestId("button-confirm").count()).toBe(0);
    expect(await page.getByTestId("notice").textContent()).toBe("");
    await page.screenshot({ path: `${process.env.TMPDIR ?? "/tmp"}/sandbox-after-confirm.png`, fullPage: true });
    await page.close();
  });

  it("another employee does not see 李娜's card", async () => {
    const page = await browser.newPage();
    await page.goto(`${svc.url}/sandbox`);
    await page.getByTestId("filter").fill("王建国");
    await page.locator(".person", { hasText: "王建国" }).click();
    await page.locator(".empty").waitFor();
    expect(await page.getByTestId("card").count()).toBe(0);
    await page.close();
  });
});
