import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createAccessTokenSource } from "../../src/dingtalk/access-token.ts";
import { DingTalkApiError, isRetryableAnswer } from "../../src/dingtalk/dingtalk-api-error.ts";
import { createOpenApiClient } from "../../src/dingtalk/openapi-client.ts";
import { createClockOffset, createDelayMeter } from "../../src/dingtalk/outbox/delay-meter.ts";
import { attemptsWithin, backoffMs } from "../../src/dingtalk/outbox/outbox-rows.ts";
import {
  applyShrinks,
  decideGrant,
  type RateState,
  type Shrink,
  spacingMs,
} from "../../src/dingtalk/outbox/rate-slots.ts";

/** The largest number of arrivals inside any half-open window [t, t + 1000). */
function maxPerSecond(arrivals: number[]): number {
  const sorted = [...arrivals].sort((a, b) => a - b);
  let best = 0;
  for (let i = 0, j = 0; i < sorted.length; i++) {
    while (sorted[i]! - sorted[j]! >= 1000) j++;
    best = Math.max(best, i - j + 1);
  }
  return best;
}

interface SimTaker {
  marginMs: number;
  /** From the slot to the call's arrival at DingTalk. */
  delay: (r: number) => number;
  /** From the arrival to the answer being back (it shrinks the slot); none: no answers are recorded. */
  back?: (r: number) => number;
}

/**
 * Replicas taking slots through decideGrant in lock order, each reading the clock up to 30 ms before its turn
 * (waiting for the row lock), each call starting at its slot and arriving within the taker's margin of it. A
 * replica whose answers come back shrinks its own slots with its next granted take, as the limiter does.
 */
function simulate(qps: number, takers: SimTaker[], random: () => number, until = 20_000) {
  let state: RateState | null = null;
  let clock = 0;
  const arrivals: number[] = [];
  const answers = takers.map(() => [] as { at: number; shrink: Shrink }[]);
  while (clock < until) {
    clock += random() * 20;
    const t = Math.floor(random() * takers.length);
    const taker = takers[t]!;
    const readAt = clock - random() * 30;
    const known = answers[t]!.filter((a) => a.at <= readAt);
    const shrinks = known.map((a) => a.shrink);
    const d = decideGrant(state, readAt, { qps, marginMs: taker.marginMs, aheadMs: random() * 1000 }, shrinks);
    state = d.state;
    if (!d.granted) continue;
    answers[t] = answers[t]!.filter((a) => !known.includes(a));
    const arrival = d.at + taker.delay(random());
    arrivals.push(arrival);
    if (taker.back) {
      const answeredAt = arrival + taker.back(random());
      const end = d.state.live.at(-1)!;
      if (answeredAt + 1000 < end) answers[t]!.push({ at: answeredAt, shrink: { from: end, to: answeredAt + 1000 } });
    }
  }
  return arrivals;
}

describe("decideGrant (fleet rate limiter)", () => {
  it("keeps every sliding second of arrivals within qps while delays stay within each taker's margin", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 40 }),
        fc.array(
          fc.record({
            marginMs: fc.integer({ min: 0, max: 300 }),
            skew: fc.double({ min: 0, max: 1, noNaN: true }),
            backMs: fc.option(fc.integer({ min: 0, max: 1500 }), { nil: undefined }),
          }),
          { minLength: 1, maxLength: 3 },
        ),
        fc.integer(),
        (qps, specs, seed) => {
          const takers = specs.map(({ marginMs, skew, backMs }) => ({
            marginMs,
            delay: (r: number) => marginMs * r ** skew,
            back: backMs === undefined ? undefined : (r: number) => backMs * r,
          }));
          const arrivals = simulate(qps, takers, mulberry32(seed));
          expect(arrivals.length).toBeGreaterThan(0);
          expect(maxPerSecond(arrivals)).toBeLessThanOrEqual(qps);
        },
      ),
      { numRuns: 100 },
    );
  });

  it("a window can be exceeded when a delay outlives the margin (so the margin must cover the delays)", () => {
    const arrivals = simulate(20, [{ marginMs: 0, delay: (r) => (r < 0.5 ? 0 : 200) }], mulberry32(7));
    expect(maxPerSecond(arrivals)).toBeGreaterThan(20);
  });

  it("with answers back, hands out qps slots per 1000 + the actual delay, not the margin", () => {
    // Margin 300 ms (a stall seen recently), but calls arrive 5 ms after their slot and answer 5 ms later.
    const taker = { marginMs: 300, delay: () => 5, back: () => 5 };
    const arrivals = simulate(20, [taker], mulberry32(3), 61_000).filter((a) => a < 60_000);
    expect(maxPerSecond(arrivals)).toBeLessThanOrEqual(20);
    expect(arrivals.length / 60).toBeGreaterThan((20 * 1000) / 1040);
    // Without answers the margin sets the pace.
    const blind = simulate(20, [{ ...taker, back: undefined }], mulberry32(3), 61_000).filter((a) => a < 60_000);
    expect(blind.length / 60).toBeLessThan((20 * 1000) / 1290);
  });

  it("shrinks one end per answer (equal ends are interchangeable), and never lengthens one", () => {
    expect(applyShrinks([1000, 1200, 1400], [{ from: 1200, to: 1100 }])).toEqual([1000, 1100, 1400]);
    expect(applyShrinks([1000, 1200, 1200], [{ from: 1200, to: 1100 }])).toEqual([1000, 1100, 1200]);
    const both = applyShrinks(
      [1200, 1000, 1200],
      [
        { from: 1200, to: 1100 },
        { from: 1200, to: 1150 },
      ],
    );
    expect(both).toEqual([1100, 1000, 1150]);
    expect(applyShrinks([1000, 1200], [{ from: 1200, to: 1300 }])).toEqual([1000, 1200]);
    expect(applyShrinks([1000, 1200], [{ from: 900, to: 800 }])).toEqual([1000, 1200]);
  });

  it("hands out qps slots per 1000 + margin ms under full demand, spaced out rather than in bursts", () => {
    let state: RateState | null = null;
    const slots: number[] = [];
    const req = { qps: 20, marginMs: 40, aheadMs: 1000 };
    for (let now = 0; now < 61_000; now += 7) {
      const d = decideGrant(state, now, req);
      state = d.state;
      if (d.granted) slots.push(d.at);
    }
    const perSecond = slots.filter((at) => at < 60_000).length / 60;
    expect(perSecond).toBeGreaterThan((20 * 1000) / 1040 - 0.05);
    // At most one more window's worth at the edge of the minute.
    expect(perSecond).toBeLessThanOrEqual((20 * 1000) / 1040 + 20 / 60);
    const gaps = slots.slice(1).map((at, i) => at - slots[i]!);
    expect(Math.min(...gaps)).toBeCloseTo(spacingMs(req));
    expect(Math.max(...slots) - 61_000).toBeLessThanOrEqual(1000);
  });

  it("says when the next slot is, and hands it out only within aheadMs", () => {
    const req = { qps: 2, marginMs: 0, aheadMs: 0 };
    // Spacing: half the average gap, 250 ms at 2 per second.
    expect(decideGrant({ lastAt: 0, live: [1000] }, 100, req)).toMatchObject({ granted: false, at: 250 });
    expect(decideGrant({ lastAt: 0, live: [1000] }, 100, { ...req, aheadMs: 1000 })).toMatchObject({
      granted: true,
      at: 250,
      state: { lastAt: 250, live: [1000, 1250] },
    });
    expect(decideGrant({ lastAt: 500, live: [1200, 1500] }, 1000, req)).toMatchObject({ granted: false, at: 1200.001 });
    expect(decideGrant({ lastAt: 500, live: [1200, 1500] }, 1300, req)).toMatchObject({
      granted: true,
      state: { lastAt: 1300, live: [1500, 2300] },
    });
  });
});

describe("clock offset", () => {
  it("bounds the offset by the fastest round trip", () => {
    const offset = createClockOffset();
    // True offset 1000 (db = local + 1000); round trips of 10 ms and 2 ms, the db read anywhere in between.
    offset.observe(1000 + 105, 100, 110);
    offset.observe(1000 + 201, 200, 202);
    expect(offset.low()).toBe(999);
    expect(offset.high()).toBe(1001);
  });
});

describe("delay meter", () => {
  it("starts cautious, then follows the measured delays", () => {
    const meter = createDelayMeter();
    expect(meter.budget()).toEqual({ preBudgetMs: 50, marginMs: 150 });
    for (let i = 0; i < 100; i++) {
      meter.observePre(i < 95 ? 2 : 40);
      meter.observeNet(i === 50 ? 12 : 4);
    }
    // pre: p90 2 ms → budget 7 ms; net: the longest recent round trip, 12 ms, × 1.5 + 5.
    expect(meter.budget()).toEqual({ preBudgetMs: 7, marginMs: 30 });
  });

  it("forgets old samples and honours the bounds", () => {
    const meter = createDelayMeter({ samples: 10, minMarginMs: 30 });
    // 3 + 1.5 × 1 + 5 is under the least margin.
    meter.observeNet(500);
    for (let i = 0; i < 10; i++) meter.observeNet(1);
    for (let i = 0; i < 10; i++) meter.observePre(0);
    expect(meter.budget()).toEqual({ preBudgetMs: 3, marginMs: 30 });
  });
});

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe("retry rules (docs/dingtalk.md §8)", () => {
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
    expect(backoffMs(30, 10, () => 0.5)).toBe(3000); // the cap scales with the base: 300 × it
  });

  it("gives a row as many attempts as span the retry horizon (OUTBOX_RETRY_HOURS)", () => {
    // 24 h at 1 s: waits of 1, 2, … 256 s (511 s), then 287 of 5 min — 296 waits, 297 attempts.
    expect(attemptsWithin(24 * 3_600_000, 1000)).toBe(297);
    // The old fixed budget of 8 attempts spanned 127 × the base.
    expect(attemptsWithin(127 * 1000, 1000)).toBe(8);
    expect(attemptsWithin(1, 1000)).toBe(2);
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
