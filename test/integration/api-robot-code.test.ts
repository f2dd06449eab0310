import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Emulator } from "../../src/dingtalk/emulator/emulator-types.ts";
import { startEmulator } from "../../src/dingtalk/emulator/start-emulator.ts";
import { planApi } from "../helpers/plan-api.ts";
import { startTestService, type TestService } from "../helpers/test-service.ts";

/** Two apps on one emulated DingTalk: one whose bot has a robot code of its own, one whose bot is its client id. */
const OWN = { clientId: "dingownrobot01", clientSecret: "secret-own-0001", robotCode: "dingrobot-sales-01" };
const DEFAULT = { clientId: "dingdefaultapp", clientSecret: "secret-default-1" };
const MONDAY = "2026-11-23T10:00:00+08:00"; // the progress reminder's time, in the plan's year

let emulator: Emulator;
const services: TestService[] = [];
beforeAll(async () => {
  // No directory: every userId is a person the emulator delivers to.
  emulator = await startEmulator({ apps: [OWN, DEFAULT], redeliverAfterMs: null, pingIntervalMs: null });
});
afterAll(async () => {
  for (const s of services) await s.close();
  await emulator?.close();
});

/** A service with the app's credentials (and DINGTALK_ROBOT_CODE when given), one published leaf for r11001. */
async function serviceFor(app: { clientId: string; clientSecret: string }, robotCode?: string) {
  const svc = await startTestService({
    DINGTALK_CLIENT_ID: app.clientId,
    DINGTALK_CLIENT_SECRET: app.clientSecret,
    DINGTALK_API_BASE: emulator.url,
    DINGTALK_OAPI_BASE: emulator.url,
    DINGTALK_QPS: "500",
    // Production mode needs its card templates; the emulator takes any id.
    ...Object.fromEntries(
      ["TARGET", "PROGRESS", "ESCALATION", "APPROVAL", "DIGEST", "NOTICE"].map((c) => [
        `DINGTALK_CARD_TEMPLATE_${c}`,
        `tpl.${c}`,
      ]),
    ),
    ...(robotCode ? { DINGTALK_ROBOT_CODE: robotCode } : {}),
  });
  services.push(svc);
  const api = planApi(() => svc);
  await api.importReferenceOrg();
  const plan = await api.newPlan(1_000_000, { minOwners: 1 });
  await api.split(plan.id, {
    parentTargetId: plan.rootTargetId,
    dimension: "OWNER",
    method: "EQUAL",
    children: [{ key: "r11001" }],
  });
  await api.phase(plan.id, "EQUAL");
  await api.ok(await svc.api(`/api/plans/${plan.id}/publish`, { method: "POST" }));
  // The Monday reminder goes to r11001 (nothing reported) as a robot batchSend.
  await api.ok(
    await svc.api("/api/jobs/progress-reminder/run", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ at: MONDAY }),
    }),
  );
  await svc.dingtalk!.outbox.drain();
  return svc;
}

/** What the emulator received from one app: the robot code of each card delivery, and the batchSend answers. */
function received(clientId: string) {
  const cards = emulator.listCards().filter((c) => c.clientId === clientId);
  const sends = emulator.listRequests("POST /v1.0/robot/oToMessages/batchSend").filter((r) => r.clientId === clientId);
  const messages = emulator
    .getInbox("r11001")
    .filter((i) => i.kind === "robotMessage" && i.conversationId === emulator.directConversationId("r11001", clientId));
  return {
    deliveryRobotCodes: cards.flatMap((c) => c.deliveries.map((d) => d.robotCode)),
    batchSends: sends.map((r) => [r.status, r.errorCode ?? null]),
    messages: messages.length,
  };
}

describe("DINGTALK_ROBOT_CODE", () => {
  it("the configured robot code is the one the cards and robot messages are sent with", async () => {
    await serviceFor(OWN, OWN.robotCode);
    expect(received(OWN.clientId)).toEqual({
      deliveryRobotCodes: [OWN.robotCode],
      batchSends: [[200, null]],
      messages: 1,
    });
  });

  it("unset, it is the client id", async () => {
    await serviceFor(DEFAULT);
    expect(received(DEFAULT.clientId)).toEqual({
      deliveryRobotCodes: [DEFAULT.clientId],
      batchSends: [[200, null]],
      messages: 1,
    });
  });
});
