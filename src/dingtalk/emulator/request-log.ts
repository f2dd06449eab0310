/**
 * Every API request the emulator served, with its timestamp, so tests can assert throttling from the outside
 * ("no one-second window held more than N calls to createAndDeliver").
 */
export interface RequestRecord {
  /** `METHOD path`, e.g. `POST /v1.0/card/instances/createAndDeliver`. */
  api: string;
  method: string;
  path: string;
  /** The app, once its token (or webhook session) identified it. */
  clientId: string | undefined;
  /** Emulator clock, ms. */
  at: number;
  /** HTTP status answered (undefined while in flight). */
  status: number | undefined;
  /** DingTalk error code answered (`code` or `errcode`), if any. */
  errorCode: string | undefined;
}

export interface RequestLog {
  start(method: string, path: string, at: number): RequestRecord;
  /** Requests in arrival order; `api` is `METHOD path` or just a path (all methods). */
  list(api?: string): RequestRecord[];
  clear(): void;
}

/** The API name used by the request log, the QPS limiter and `fail5xx`: `METHOD path`. */
export function apiKey(method: string, path: string): string {
  return `${method.toUpperCase()} ${path}`;
}

/** True when `record` is the API named by `api` (`METHOD path` or a bare path). */
export function matchesApi(record: { api: string; path: string }, api: string): boolean {
  return api.includes(" ") ? record.api === api.replace(/^\S+/, (m) => m.toUpperCase()) : record.path === api;
}

/** An in-memory, append-only request log. */
export function createRequestLog(): RequestLog {
  let records: RequestRecord[] = [];
  return {
    start(method, path, at) {
      const record: RequestRecord = {
        api: apiKey(method, path),
        method: method.toUpperCase(),
        path,
        clientId: undefined,
        at,
        status: undefined,
        errorCode: undefined,
      };
      records.push(record);
      return record;
    },
    list: (api) => (api === undefined ? [...records] : records.filter((r) => matchesApi(r, api))),
    clear() {
      records = [];
    },
  };
}

/**
 * The largest number of timestamps inside any half-open window `[t, t + windowMs)` — the figure a
 * "≤ N per second" rate limit is about.
 */
export function maxInWindow(timestamps: readonly number[], windowMs = 1000): number {
  const sorted = [...timestamps].sort((a, b) => a - b);
  let best = 0;
  let start = 0;
  for (let end = 0; end < sorted.length; end++) {
    while (sorted[end]! - sorted[start]! >= windowMs) start++;
    best = Math.max(best, end - start + 1);
  }
  return best;
}
