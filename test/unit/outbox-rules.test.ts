import { describe, expect, it } from "vitest";
import { createAccessTokenSource, DingTalkApiError, isRetryableAnswer } from "../../src/dingtalk/access-token.ts";
import { createOpenApiClient } from "../../src/dingtalk/openapi-client.ts";
import { bucketPlan } from "../../src/dingtalk/outbox/fleet-rate-limiter.ts";
import { backoffMs } from "../../src/dingtalk/outbox/outbox-rows.ts";

/** Worst-case calls in any sliding second, for slots taken up to `delayMs` before they arrive. */
function worstWindow(plan: { widthMs: number; perBucket: number }, delayMs: number): number {
  return (Math.floor((1000 + delayMs) / plan.widthMs) + 1) * plan.perBucket;
}

describe("bucketPlan", () => {
  it("keeps every sliding second within qps for delays under the safety margin", () => {
    for (const qps of [2, 5, 20, 40, 100, 1000]) {
      for (const safety of [0, 100, 200, 500]) {
        expect(worstWindow(bucketPlan(qps, safety), safety)).toBeLessThanOrEqual(qps);
      }
    }
  });

  it("gives DingTalk's 20 QPS 16 calls/s with the default 200 ms margin", () => {
    const plan = bucketPlan(20, 200);
    expect((1000 / plan.widthMs) * plan.perBucket).toBe(16);
  });
});

describe("retry rules (PLATFORM.md §8)", () => {
  it("retries throttling, 5xx and timeouts, not other 4xx", () => {
    expect(isRetryableAnswer(403, "Forbidden.AccessDenied.QpsLimitForAppkeyAndApi")).toBe(true);
    expect(isRetryableAnswer(403, "Forbidden.AccessDenied.QpsLimitForApi")).toBe(true);
    expect(isRetryableAnswer(403, "Forbidden.AccessDenied.ApiCountLimitForOrg")).toBe(false);
    expect(isRetryableAnswer(500, "system.busy")).toBe(true);
    expect(isRetryableAnswer(504, "HTTP 504")).toBe(true);
    expect(isRetryableAnswer(400, "param.openSpaceIdInvalid")).toBe(false);
  });

  it("backs off exponentially with jitter, capped at five minutes", () => {
    expect(backoffMs(1, 1000, () => 0.5)).toBe(1000);
    expect(backoffMs(4, 1000, () => 0.5)).toBe(8000);
    expect(backoffMs(30, 1000, () => 1)).toBe(375_000);
    expect(backoffMs(2, 1000, () => 0)).toBe(1500);
  });
});

/** A fetch that answers from a list, recording each request. */
function scriptedFetch(answers: { status: number; body: unknown }[]) {
  const calls: { url: string; token: string | null }[] = [];
  const fn = (async (url: string | URL | Request, init?: RequestInit) => {
    calls.push({ url: String(url), token: new Headers(init?.headers).get("x-acs-dingtalk-access-token") });
    const next = answers.shift();
    if (!next) throw new TypeError("fetch failed");
    return new Response(JSON.stringify(next.body), { status: next.status });
  }) as typeof fetch;
  return { fn, calls };
}

const opts = { apiBase: "http://dt", clientId: "id", clientSecret: "secret", robotCode: "id" };

describe("openapi client", () => {
  it("refreshes the token once on 400 InvalidAuthentication and retries", async () => {
    const { fn, calls } = scriptedFetch([
      { status: 200, body: { accessToken: "t1", expireIn: 7200 } },
      { status: 400, body: { code: "InvalidAuthentication", message: "不合法的access_token" } },
      { status: 200, body: { accessToken: "t2", expireIn: 7200 } },
      { status: 200, body: { success: true, result: true } },
    ]);
    const client = createOpenApiClient({ ...opts, fetch: fn });
    expect(await client.updateCard({ outTrackId: "x" })).toEqual({ success: true, result: true });
    expect(calls.map((c) => c.token)).toEqual([null, "t1", null, "t2"]);
  });

  it("throws typed errors: retryable network / QPS, permanent 4xx", async () => {
    const { fn } = scriptedFetch([
      { status: 200, body: { accessToken: "t1", expireIn: 7200 } },
      { status: 403, body: { code: "Forbidden.AccessDenied.QpsLimitForAppkeyAndApi", message: "qps" } },
      { status: 400, body: { code: "param.cardAlreadyExist", message: "exists" } },
    ]);
    const client = createOpenApiClient({ ...opts, fetch: fn });
    const body = { outTrackId: "x" };
    await expect(client.createAndDeliverCard(body)).rejects.toMatchObject({ status: 403, retryable: true });
    await expect(client.createAndDeliverCard(body)).rejects.toMatchObject({
      status: 400,
      code: "param.cardAlreadyExist",
      retryable: false,
    });
    await expect(client.createAndDeliverCard(body)).rejects.toMatchObject({ code: "network", retryable: true });
    await expect(client.batchSendOto({ userIds: [], msgKey: "sampleText", msgParam: {} })).rejects.toBeInstanceOf(
      DingTalkApiError,
    );
  });

  it("treats a session-webhook errcode as an error", async () => {
    const { fn } = scriptedFetch([{ status: 200, body: { errcode: 300005, errmsg: "token is not exist" } }]);
    const client = createOpenApiClient({ ...opts, fetch: fn });
    await expect(client.replyBySessionWebhook("http://dt/robot/sendBySession?session=1", {})).rejects.toMatchObject({
      code: "300005",
      retryable: false,
    });
  });

  it("caches the token until shortly before expiry and shares one fetch", async () => {
    let clock = 0;
    const { fn, calls } = scriptedFetch([
      { status: 200, body: { accessToken: "t1", expireIn: 7200 } },
      { status: 200, body: { accessToken: "t2", expireIn: 7200 } },
    ]);
    const tokens = createAccessTokenSource({ ...opts, fetch: fn, now: () => clock });
    expect(await Promise.all([tokens.get(), tokens.get()])).toEqual(["t1", "t1"]);
    clock = 6_000_000;
    expect(await tokens.get()).toBe("t1");
    clock = 6_900_001; // 7200 s − 300 s margin
    expect(await tokens.get()).toBe("t2");
    expect(calls).toHaveLength(2);
  });
});
