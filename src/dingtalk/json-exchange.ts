import http from "node:http";
import https from "node:https";

/** One HTTP exchange as the DingTalk client needs it: the status and the whole body as text. */
export type Exchange = (
  url: string,
  init: { method: string; headers: Record<string, string>; body?: string; signal: AbortSignal },
) => Promise<{ status: number; text: string }>;

/** An exchange through a given `fetch` (tests pass one that injects faults). */
export function fetchExchange(doFetch: typeof fetch): Exchange {
  return async (url, init) => {
    const res = await doFetch(url, init);
    return { status: res.status, text: await res.text() };
  };
}

// Keep-alive, as fetch's own pool: one connection per concurrent call, reused. An idle connection is closed after
// 4 s, as undici (fetch) does: a server closes idle connections on its own schedule, and reusing one it has just
// closed fails the call (ECONNRESET). An agent's `timeout` only ends idle pooled sockets; a call in progress keeps
// its own deadline (the signal below).
const IDLE_MS = 4_000;
const agents = {
  http: new http.Agent({ keepAlive: true, timeout: IDLE_MS }),
  https: new https.Agent({ keepAlive: true, timeout: IDLE_MS }),
};

/**
 * The default exchange, on node:http / node:https rather than the global fetch: every outbox send (a chat reply
 * per report) is one, and fetch's WHATWG streams, Response and abort machinery cost ~0.5 ms of CPU per call in
 * bench:inbound's profile (undici + web streams ≈ 10 % of the service's thread, 2026-12-05). The deadline's signal
 * ends the exchange whether the headers or the body are late (the request is destroyed: a rejection).
 */
export const nodeExchange: Exchange = (url, init) =>
  new Promise((resolve, reject) => {
    const target = new URL(url);
    const secure = target.protocol === "https:";
    const headers = {
      ...init.headers,
      ...(init.body === undefined ? {} : { "Content-Length": String(Buffer.byteLength(init.body)) }),
    };
    const req = (secure ? https : http).request(
      target,
      { method: init.method, headers, agent: secure ? agents.https : agents.http, signal: init.signal },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString("utf8") }));
        res.on("error", reject);
        res.on("aborted", () => reject(new Error("the connection closed before the whole answer came")));
      },
    );
    req.on("error", reject);
    req.end(init.body);
  });
