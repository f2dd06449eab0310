import { request } from "node:http";
import { networkInterfaces } from "node:os";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config.ts";
import { openDatabase } from "../../src/db/database.ts";
import { referenceOrg } from "../../src/demo/reference-org.ts";
import { DEMO_PLAN_NAME, seedDemo } from "../../src/demo/seed-demo.ts";
import type { Logger } from "../../src/lib/logger.ts";
import { startService } from "../../src/start-service.ts";
import { APP, CARD_TEMPLATE_ENV, startTestEmulator } from "../fixtures/dingtalk/emulator-app.ts";
import { orgSnapshot } from "../helpers/org-snapshot.ts";
import { jsonInit } from "../helpers/plan-api.ts";
import {
  createServerDatabase,
  createTestDatabase,
  localServerUrl,
  silentLog,
  skipWithoutLocalServer,
} from "../helpers/test-db.ts";
import { startTestService, TEST_TOKEN } from "../helpers/test-service.ts";

/** Issue #15 item 7 (exposure): who can reach the sandbox, the emulator's CORS, upstream errors, client aborts. */

/** A logger whose lines the test reads. */
function capturingLog(): { log: Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const log = pino({ level: "info" }, { write: (s: string) => lines.push(JSON.parse(s)) }) as unknown as Logger;
  return { log, lines };
}

/** This machine's first non-loopback IPv4 address, if it has one. */
const lanAddress = Object.values(networkInterfaces())
  .flat()
  .find((a) => a && a.family === "IPv4" && !a.internal)?.address;

async function sandboxService(env: Record<string, string>, log: Logger) {
  const db = await createTestDatabase();
  const config = loadConfig({ ADMIN_TOKEN: TEST_TOKEN, PORT: "0", BOT_SCHEDULER: "off", ...env });
  const service = await startService({ config, log, db, sandbox: { demo: false } });
  return {
    service,
    port: Number(new URL(service.url).port),
    close: async () => {
      await service.stop();
      await db.close();
    },
  };
}

const reachable = (url: string) =>
  fetch(url, { signal: AbortSignal.timeout(3000) }).then(
    (r) => r.status,
    () => "refused",
  );

describe("sandbox mode listens on 127.0.0.1 unless HOST says otherwise", () => {
  it("is not reachable from another interface by default, and nothing is logged about it", async (ctx) => {
    const { log, lines } = capturingLog();
    const s = await sandboxService({}, log);
    try {
      expect(await reachable(`http://127.0.0.1:${s.port}/healthz`)).toBe(200);
      ctx.skip(!lanAddress, "this machine has no non-loopback IPv4 address");
      expect(await reachable(`http://${lanAddress}:${s.port}/healthz`)).toBe("refused");
      expect(lines.filter((l) => String(l.msg).includes("act as anyone"))).toEqual([]);
    } finally {
      await s.close();
    }
  });

  it("with HOST=0.0.0.0 listens everywhere and warns that the sandbox lets anyone act as anyone", async () => {
    const { log, lines } = capturingLog();
    const s = await sandboxService({ HOST: "0.0.0.0" }, log);
    try {
      expect(lines.filter((l) => l.level === 40 && String(l.msg).includes("act as anyone"))).toHaveLength(1);
      if (lanAddress) expect(await reachable(`http://${lanAddress}:${s.port}/healthz`)).toBe(200);
    } finally {
      await s.close();
    }
  });
});

describe("the emulator's control API", () => {
  it("sends no Access-Control-Allow-Origin, so another site's page cannot drive it", async () => {
    const em = await startTestEmulator();
    try {
      const headers = { origin: "https://evil.example" };
      const get = await fetch(`${em.url}/_emulator/cards`, { headers });
      expect(get.status).toBe(200);
      expect(get.headers.get("access-control-allow-origin")).toBeNull();
      const preflight = await fetch(`${em.url}/_emulator/messages`, {
        method: "OPTIONS",
        headers: { ...headers, "access-control-request-method": "POST" },
      });
      expect(preflight.headers.get("access-control-allow-origin")).toBeNull();
      expect(preflight.status).not.toBe(204);
    } finally {
      await em.close();
    }
  });
});

describe("POST /api/org/sync when DingTalk fails", () => {
  const live = (oapi: string, api: string) => ({
    DINGTALK_CLIENT_ID: APP.clientId,
    DINGTALK_CLIENT_SECRET: APP.clientSecret,
    DINGTALK_API_BASE: api,
    DINGTALK_OAPI_BASE: oapi,
    ...CARD_TEMPLATE_ENV,
  });

  it("answers 502 naming the DingTalk API, never a URL; the org is unchanged", async () => {
    const em = await startTestEmulator();
    // Nothing listens on port 9 (discard): the token call fails at the network.
    const svc = await startTestService(live("http://127.0.0.1:9", em.url));
    try {
      expect((await svc.api("/api/org", jsonInit("PUT", referenceOrg()))).status).toBe(200);
      const before = await orgSnapshot(svc.db);
      const res = await svc.api("/api/org/sync", { method: "POST" });
      expect(res.status).toBe(502);
      const text = await res.text();
      const body = JSON.parse(text) as { error: { code: string; message: string } };
      expect(body.error.code).toBe("UPSTREAM");
      expect(body.error.message).toContain("钉钉接口 gettoken 无法访问");
      expect(text).not.toMatch(/127\.0\.0\.1|https?:|access_token=|appsecret/);
      expect(await orgSnapshot(svc.db)).toEqual(before);
    } finally {
      await svc.close();
      await em.close();
    }
  });

  it("a directory API that keeps failing: 502 with its name", async () => {
    const em = await startTestEmulator();
    const svc = await startTestService(live(em.url, em.url));
    try {
      const before = await orgSnapshot(svc.db);
      em.fail5xx("/topapi/v2/department/listsub", 1000);
      const res = await svc.api("/api/org/sync", { method: "POST" });
      const text = await res.text();
      expect(res.status, text).toBe(502);
      expect(text).toContain("department/listsub");
      expect(text).not.toMatch(/127\.0\.0\.1|https?:|access_token=/);
      expect(await orgSnapshot(svc.db)).toEqual(before);
    } finally {
      await svc.close();
      await em.close();
    }
  });
});

describe("a client that hangs up mid-request", () => {
  let s: Awaited<ReturnType<typeof sandboxService>>;
  let lines: Record<string, unknown>[];
  beforeAll(async () => {
    const c = capturingLog();
    lines = c.lines;
    s = await sandboxService({}, c.log);
  });
  afterAll(() => s?.close());

  it("is logged as a client abort (499), not as a bug or a 500; nothing is written", async () => {
    const before = await orgSnapshot(s.service.deps.db);
    await new Promise<void>((resolve) => {
      const req = request(`http://127.0.0.1:${s.port}/api/org`, {
        method: "PUT",
        headers: {
          authorization: `Bearer ${TEST_TOKEN}`,
          "content-type": "application/json",
          "content-length": 100_000,
        },
      });
      req.on("error", () => resolve());
      req.write('{"departments": [');
      setTimeout(() => {
        req.destroy();
        resolve();
      }, 200);
    });
    await expect
      .poll(() => lines.find((l) => l.msg === "request" && l.path === "/api/org"), { timeout: 5000 })
      .toMatchObject({ status: 499 });
    expect(lines.filter((l) => l.msg === "client closed the request")).toHaveLength(1);
    expect(lines.filter((l) => String(l.msg).includes("bug") || l.level === 50)).toEqual([]);
    expect(await orgSnapshot(s.service.deps.db)).toEqual(before);
  });
});

describe("two sandbox replicas on one database", () => {
  it("seed the demo plan once", async (ctx) => {
    await skipWithoutLocalServer(ctx);
    const { url, drop } = await createServerDatabase(localServerUrl);
    const a = await openDatabase({ url, pgliteDir: "", log: silentLog });
    const b = await openDatabase({ url, pgliteDir: "", log: silentLog });
    try {
      const [x, y] = await Promise.all([seedDemo(a), seedDemo(b)]);
      expect([x.created, y.created].sort()).toEqual([false, true]);
      expect(x.planId).toBe(y.planId);
      const plans = await a.sql.query<{ n: number }>("SELECT count(*)::int AS n FROM plan WHERE name = $1", [
        DEMO_PLAN_NAME,
      ]);
      expect(plans[0]!.n).toBe(1);
    } finally {
      await a.close();
      await b.close();
      await drop();
    }
  }, 180_000);
});
