import { request } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestService, TEST_TOKEN, type TestService } from "../helpers/test-service.ts";

let svc: TestService;
beforeAll(async () => {
  svc = await startTestService();
});
afterAll(() => svc.close());

describe("HTTP edges", () => {
  it("/healthz needs no token and reports the database (each state: healthz.test.ts)", async () => {
    const res = await fetch(`${svc.url}/healthz`);
    expect(res.status).toBe(200);
    // Started without the sandbox's emulator: there is no stream to connect.
    expect(await res.json()).toEqual({
      status: "degraded",
      db: svc.db.kind,
      dingtalk: { mode: "sandbox", stream: "not connected", since: null },
      outbox: { dead: 0, oldestDeadAt: null },
      calendar: expect.objectContaining({ year: expect.any(Number), coverage: expect.any(String) }),
    });
    expect(res.headers.get("x-request-id")).toMatch(/[0-9a-f-]{36}/);
  });

  it("/api/* refuses a missing or wrong token with 401 and the documented error body", async () => {
    for (const headers of [{}, { authorization: "Bearer wrong" }, { authorization: "Basic abc" }] as Record<
      string,
      string
    >[]) {
      const res = await fetch(`${svc.url}/api/org/staff/x`, { headers });
      expect(res.status).toBe(401);
      const body = (await res.json()) as { error: { code: string; message: string } };
      expect(body.error.code).toBe("UNAUTHORIZED");
      expect(body.error.message).toMatch(/Authorization: Bearer/);
    }
  });

  it("unknown routes and wrong methods answer JSON errors", async () => {
    const missing = await svc.api("/api/nothing-here");
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { error: { code: string } }).error.code).toBe("NOT_FOUND");
    const wrong = await svc.api("/api/org", { method: "DELETE" });
    expect(wrong.status).toBe(405);
    expect(((await wrong.json()) as { error: { code: string } }).error.code).toBe("METHOD_NOT_ALLOWED");
  });

  it("POST /api/org/sync is mounted behind the token and explains that sandbox mode has no directory", async () => {
    expect((await fetch(`${svc.url}/api/org/sync`, { method: "POST" })).status).toBe(401);
    const res = await svc.api("/api/org/sync", { method: "POST" });
    expect(res.status).toBe(409);
    const body = (await res.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe("CONFLICT");
    expect(body.error.message).toMatch(/^沙盒模式未配置钉钉应用凭证/);
  });

  it("a JSON route refuses a body declared as a form or text with 415, and stores nothing", async () => {
    const plans = async () => Number((await svc.db.sql.query<{ n: bigint }>("SELECT count(*) AS n FROM plan"))[0]!.n);
    const before = await plans();
    const body = JSON.stringify({ name: "表单", fiscalYear: 2026, total: 1000, ownerUserId: "nobody" });
    for (const type of [
      "application/x-www-form-urlencoded",
      "text/plain;charset=UTF-8",
      "multipart/form-data; boundary=x",
    ]) {
      const res = await svc.api("/api/plans", { method: "POST", headers: { "content-type": type }, body });
      expect(res.status, type).toBe(415);
      const { error } = (await res.json()) as { error: { code: string; message: string } };
      expect(error.code).toBe("UNSUPPORTED_MEDIA_TYPE");
      expect(error.message).toContain("Content-Type: application/json");
    }
    // No declared type is read as JSON: here a 4xx about the body's content (an unknown owner), not its type.
    const untyped = await svc.api("/api/plans", { method: "POST", body: new TextEncoder().encode(body) });
    expect(untyped.status).not.toBe(415);
    expect(untyped.status).toBeLessThan(500);
    expect(await plans()).toBe(before);
  });

  it("keeps the request id a client sends", async () => {
    const res = await fetch(`${svc.url}/healthz`, { headers: { "x-request-id": "abc-123" } });
    expect(res.headers.get("x-request-id")).toBe("abc-123");
  });

  it("stop() lets an in-flight request finish", async () => {
    const other = await startTestService();
    // "Expect: 100-continue" makes the server answer 100 as soon as it has the request headers: from then on
    // the request is certainly in flight. Stop the service, then send the body; the request must still complete.
    const body = JSON.stringify({
      departments: [{ id: "1", name: "星辰科技", parentId: null }],
      staff: [{ userId: "u1", name: "王建国", deptId: "1", managerUserId: null, role: "DIRECTOR" }], // not empty: see org-import-guard
    });
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(`${other.url}/api/org`, {
        method: "PUT",
        headers: {
          authorization: `Bearer ${TEST_TOKEN}`,
          "content-type": "application/json",
          "content-length": Buffer.byteLength(body),
          expect: "100-continue",
        },
      });
      req.on("continue", () => {
        const stopping = other.close();
        req.end(body);
        stopping.catch(reject);
      });
      req.on("response", (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on("error", reject);
    });
    expect(status).toBe(200);
  });
});
