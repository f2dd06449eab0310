import { afterEach, describe, expect, it } from "vitest";
import type { Emulator } from "../../src/dingtalk/emulator/emulator-types.ts";
import { enqueue } from "../../src/dingtalk/outbox/enqueue.ts";
import { APP, CARD_TEMPLATE_ENV, startTestEmulator, targetCardBody } from "../fixtures/dingtalk/emulator-app.ts";
import { startTestService, type TestService } from "../helpers/test-service.ts";

interface Health {
  status: string;
  db: string;
  dingtalk: { mode: string; stream: string; since: string | null };
  outbox: { dead: number | null; oldestDeadAt: string | null };
  calendar: { year: number; coverage: string; nextYear: number; nextCoverage: string; warning: string | null };
}

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

async function health(svc: TestService): Promise<{ code: number; body: Health }> {
  const res = await fetch(`${svc.url}/healthz`); // no token: load balancers call it
  return { code: res.status, body: (await res.json()) as Health };
}

/** The service in production mode, its stream and outbox talking to a test emulator. */
async function liveService(): Promise<{ svc: TestService; em: Emulator }> {
  const em = await startTestEmulator();
  cleanups.push(() => em.close());
  const svc = await startTestService({
    DINGTALK_CLIENT_ID: APP.clientId,
    DINGTALK_CLIENT_SECRET: APP.clientSecret,
    DINGTALK_API_BASE: em.url,
    DINGTALK_OAPI_BASE: em.url,
    ...CARD_TEMPLATE_ENV,
  });
  cleanups.push(() => svc.close());
  return { svc, em };
}

/** A business date in 2030: neither chinese-days nor the override file knows that year's holidays. */
const CALENDAR_2030 = {
  year: 2030,
  coverage: "NONE",
  nextYear: 2031,
  nextCoverage: "NONE",
  warning: expect.stringMatching(/^2030年的节假日数据缺失.*config\/holidays-override\.json/),
};

describe("GET /healthz", () => {
  it("live mode: connected; after the stream closes, 200 degraded and reconnecting since the loss", async () => {
    const { svc, em } = await liveService();
    const up = await health(svc);
    expect(up).toEqual({
      code: 200,
      body: {
        status: "ok",
        db: svc.db.kind,
        dingtalk: { mode: "live", stream: "connected", since: expect.any(String) },
        outbox: { dead: 0, oldestDeadAt: null },
        // The real clock here: the calendar block is the one the 2030 test below checks to the letter.
        calendar: expect.objectContaining({
          year: expect.any(Number),
          warning: expect.toBeOneOf([null, expect.any(String)]),
        }),
      },
    });
    expect(em.listConnections()).toHaveLength(1);

    await em.close(); // DingTalk gone: the socket closes and every reconnect attempt fails
    await expect.poll(async () => (await health(svc)).body.dingtalk.stream, { timeout: 5000 }).toBe("reconnecting");
    const down = await health(svc);
    expect(down.code).toBe(200);
    expect(down.body).toMatchObject({ status: "degraded", db: svc.db.kind, outbox: { dead: 0, oldestDeadAt: null } });
    const since = (h: Health) => Date.parse(h.dingtalk.since ?? "");
    expect(since(down.body)).toBeGreaterThanOrEqual(since(up.body));
  });

  it("counts the outbox's dead rows, which GET /api/outbox?status=dead lists behind the token", async () => {
    const { svc, em } = await liveService();
    await enqueue(svc.db, {
      idempotencyKey: "good",
      kind: "card.createAndDeliver",
      payload: { ...targetCardBody("good"), outTrackId: "good" },
    });
    const bad = { ...targetCardBody("bad-space"), outTrackId: "bad-space", openSpaceId: "dtv1.card//NOWHERE.x" };
    await enqueue(svc.db, { idempotencyKey: "bad-space", kind: "card.createAndDeliver", payload: bad });
    svc.dingtalk?.outbox.wake();
    await expect.poll(async () => (await health(svc)).body.outbox.dead, { timeout: 5000 }).toBe(1);
    expect(em.listCards().map((c) => c.outTrackId)).toEqual(["good"]);
    expect((await health(svc)).body.status).toBe("ok");

    expect((await fetch(`${svc.url}/api/outbox?status=dead`)).status).toBe(401);
    const listed = await svc.api("/api/outbox?status=dead");
    expect(listed.status).toBe(200);
    expect(((await listed.json()) as { items: unknown[] }).items).toEqual([
      expect.objectContaining({
        idempotencyKey: "bad-space",
        status: "DEAD",
        attempts: 1,
        lastError: expect.stringContaining("400 param.openSpaceIdInvalid"),
      }),
    ]);
    const bogus = await svc.api("/api/outbox?status=bogus");
    expect(bogus.status).toBe(400);
    expect(((await bogus.json()) as { error: unknown }).error).toMatchObject({
      code: "VALIDATION",
      message: "查询参数无效",
      details: [expect.objectContaining({ field: "status" })],
    });
  });

  it("live mode with DingTalk unreachable from the start: 200 degraded, connecting", async () => {
    const svc = await startTestService({
      DINGTALK_CLIENT_ID: APP.clientId,
      DINGTALK_CLIENT_SECRET: APP.clientSecret,
      DINGTALK_API_BASE: "http://127.0.0.1:9", // discard port: nothing listens
      DINGTALK_OAPI_BASE: "http://127.0.0.1:9",
      ...CARD_TEMPLATE_ENV,
    });
    cleanups.push(() => svc.close());
    const { code, body } = await health(svc);
    expect(code).toBe(200);
    expect(body).toMatchObject({ status: "degraded", dingtalk: { mode: "live", stream: "connecting" } });
  });

  it("sandbox mode reports the in-process emulator's connection", async () => {
    const svc = await startTestService({}, { sandbox: { demo: false } });
    cleanups.push(() => svc.close());
    expect((await health(svc)).body).toMatchObject({
      status: "ok",
      dingtalk: { mode: "sandbox", stream: "connected" },
      outbox: { dead: 0, oldestDeadAt: null },
    });
  });

  it("a service with no DingTalk app at all is not connected; a database gone answers 503", async () => {
    // A business date in 2030: neither chinese-days nor the override file knows that year's holidays.
    const svc = await startTestService({}, { now: () => new Date("2030-11-05T02:00:00Z") });
    cleanups.push(() => svc.close());
    expect(await health(svc)).toEqual({
      code: 200,
      body: {
        status: "degraded",
        db: svc.db.kind,
        dingtalk: { mode: "sandbox", stream: "not connected", since: null },
        outbox: { dead: 0, oldestDeadAt: null },
        calendar: CALENDAR_2030,
      },
    });
    await svc.db.close(); // the database is gone under the running service
    expect(await health(svc)).toEqual({
      code: 503,
      body: {
        status: "down",
        db: "down",
        dingtalk: { mode: "sandbox", stream: "not connected", since: null },
        outbox: { dead: null, oldestDeadAt: null },
        calendar: CALENDAR_2030,
      },
    });
  });
});
