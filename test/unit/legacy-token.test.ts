import { describe, expect, it } from "vitest";
import { createLegacyTokenSource, REFRESH_MARGIN_MS } from "../../src/dingtalk/legacy-token.ts";
import { AppError } from "../../src/lib/errors.ts";

const OAPI = "https://oapi.example.test";

/** A fake `/gettoken`: answers in order from `answers` (the last one repeats), records every URL. */
function fakeFetch(answers: (Record<string, unknown> | Error | number)[]) {
  const urls: string[] = [];
  let release: (() => void) | undefined;
  const gate = { hold: false };
  const impl = (async (input: string | URL | Request) => {
    urls.push(String(input));
    if (gate.hold) await new Promise<void>((resolve) => (release = resolve));
    const answer = answers[Math.min(urls.length - 1, answers.length - 1)];
    if (answer instanceof Error) throw answer;
    if (typeof answer === "number") return new Response("bad gateway", { status: answer });
    return Response.json(answer);
  }) as typeof fetch;
  return { impl, urls, gate, release: () => release?.() };
}

const ok = (token: string, expires_in = 7200) => ({ errcode: 0, errmsg: "ok", access_token: token, expires_in });

function source(fetchImpl: typeof fetch, clock: { t: number }) {
  return createLegacyTokenSource({
    oapiBase: OAPI,
    clientId: "dingkey",
    clientSecret: "s&cret",
    fetch: fetchImpl,
    now: () => clock.t,
  });
}

describe("createLegacyTokenSource", () => {
  it("fetches /gettoken with the app's key and secret once, then serves the cache", async () => {
    const f = fakeFetch([ok("T1")]);
    const tokens = source(f.impl, { t: 0 });
    expect(await tokens.get()).toBe("T1");
    expect(await tokens.get()).toBe("T1");
    expect(f.urls).toHaveLength(1);
    const url = new URL(f.urls[0] ?? "");
    expect(url.origin + url.pathname).toBe(`${OAPI}/gettoken`);
    expect(url.searchParams.get("appkey")).toBe("dingkey");
    expect(url.searchParams.get("appsecret")).toBe("s&cret");
  });

  it("shares one request between concurrent callers", async () => {
    const f = fakeFetch([ok("T1")]);
    f.gate.hold = true;
    const tokens = source(f.impl, { t: 0 });
    const all = Promise.all([tokens.get(), tokens.get(), tokens.get()]);
    await new Promise((r) => setTimeout(r, 0));
    f.release();
    expect(await all).toEqual(["T1", "T1", "T1"]);
    expect(f.urls).toHaveLength(1);
  });

  it("refreshes 5 minutes before expires_in", async () => {
    const clock = { t: 1_000 };
    const f = fakeFetch([ok("T1"), ok("T2")]);
    const tokens = source(f.impl, clock);
    await tokens.get();
    clock.t = 1_000 + 7_200_000 - REFRESH_MARGIN_MS - 1;
    expect(await tokens.get()).toBe("T1");
    clock.t += 1;
    expect(await tokens.get()).toBe("T2");
    expect(f.urls).toHaveLength(2);
  });

  it("keeps a short-lived token for half its life rather than never caching it", async () => {
    const clock = { t: 0 };
    const f = fakeFetch([ok("T1", 60), ok("T2", 60)]);
    const tokens = source(f.impl, clock);
    await tokens.get();
    clock.t = 29_999;
    expect(await tokens.get()).toBe("T1");
    clock.t = 30_000;
    expect(await tokens.get()).toBe("T2");
  });

  it("names the errcode in a Chinese AppError and does not cache the failure", async () => {
    const f = fakeFetch([{ errcode: 40096, errmsg: "不合法的appKey或appSecret" }, ok("T1")]);
    const tokens = source(f.impl, { t: 0 });
    const err = await tokens.get().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).userMessage).toMatch(/获取钉钉 access_token 失败：errcode 40096/);
    expect((err as AppError).userMessage).toMatch(/DINGTALK_CLIENT_ID/);
    expect(await tokens.get()).toBe("T1");
  });

  it("turns HTTP errors, network errors and answers without a token into AppErrors", async () => {
    for (const answer of [502, new TypeError("fetch failed"), { errcode: 0, errmsg: "ok" }]) {
      const tokens = source(fakeFetch([answer]).impl, { t: 0 });
      const err = await tokens.get().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(AppError);
      expect((err as AppError).userMessage).toMatch(/^获取钉钉 access_token 失败/);
    }
  });

  it("invalidate(rejected) drops only the rejected token, once", async () => {
    const f = fakeFetch([ok("T1"), ok("T2"), ok("T3")]);
    const tokens = source(f.impl, { t: 0 });
    expect(await tokens.get()).toBe("T1");
    // Eight parallel calls saw T1 rejected: one refresh, not eight.
    for (let i = 0; i < 8; i++) tokens.invalidate("T1");
    expect(await Promise.all([tokens.get(), tokens.get()])).toEqual(["T2", "T2"]);
    // A late caller that also saw T1 rejected must not throw T2 away.
    tokens.invalidate("T1");
    expect(await tokens.get()).toBe("T2");
    tokens.invalidate();
    expect(await tokens.get()).toBe("T3");
    expect(f.urls).toHaveLength(3);
  });

  it("does not cache a token whose request started before invalidate()", async () => {
    const f = fakeFetch([ok("OLD"), ok("NEW")]);
    f.gate.hold = true;
    const tokens = source(f.impl, { t: 0 });
    const first = tokens.get();
    await new Promise((r) => setTimeout(r, 0));
    tokens.invalidate();
    f.release();
    expect(await first).toBe("OLD");
    f.gate.hold = false;
    expect(await tokens.get()).toBe("NEW");
  });
});
