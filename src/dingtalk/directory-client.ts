import { setTimeout as sleep } from "node:timers/promises";
import { z } from "zod";
import { AppError } from "../lib/errors.ts";
import { deadline } from "./http-deadline.ts";
import type { LegacyTokenSource } from "./legacy-token.ts";

/** A department as `/topapi/v2/department/listsub` and `/get` return it (docs/dingtalk.md §6). */
export const ZDirectoryDept = z.looseObject({
  dept_id: z.number().int(),
  name: z.string(),
  parent_id: z.number().int().optional(),
});
/** A `/topapi/v2/user/list` item: `leader` and `boss` are about the listed department (docs/dingtalk.md §6). */
export const ZDirectoryListUser = z.looseObject({
  userid: z.string().min(1),
  name: z.string(),
  dept_id_list: z.array(z.number().int()).default([]),
  title: z.string().optional(),
  leader: z.boolean().default(false),
  boss: z.boolean().default(false),
});
/** `/topapi/v2/user/get`: the only place with `manager_userid` (docs/dingtalk.md §6). */
export const ZDirectoryUserDetail = z.looseObject({
  userid: z.string().min(1),
  /** The id the new OpenAPI's to-do paths take (docs/dingtalk.md §7). */
  unionid: z.string().optional(),
  name: z.string(),
  dept_id_list: z.array(z.number().int()).default([]),
  title: z.string().optional(),
  manager_userid: z.string().optional(),
  boss: z.boolean().default(false),
});
const ZUserPage = z.looseObject({
  has_more: z.boolean(),
  next_cursor: z.number().int().optional(),
  list: z.array(ZDirectoryListUser),
});

export type TDirectoryDept = z.infer<typeof ZDirectoryDept>;
export type TDirectoryListUser = z.infer<typeof ZDirectoryListUser>;
export type TDirectoryUserDetail = z.infer<typeof ZDirectoryUserDetail>;

/** The legacy directory APIs the org sync needs; every error is an AppError naming the API and errcode. */
export interface DirectoryClient {
  /** Direct child departments. */
  listSubDepartments(deptId: number): Promise<TDirectoryDept[]>;
  getDepartment(deptId: number): Promise<TDirectoryDept>;
  /** Direct members of a department, every page. */
  listUsers(deptId: number): Promise<TDirectoryListUser[]>;
  getUser(userid: string): Promise<TDirectoryUserDetail>;
}

export interface DirectoryClientOptions {
  oapiBase: string;
  token: LegacyTokenSource;
  fetch?: typeof fetch;
  /** Waits before each retry of a transient failure; its length is the retry count (default 3 retries). */
  retryDelaysMs?: readonly number[];
  /** Per-API call rate (docs/dingtalk.md §8: 20 QPS per app per API); unset = no pacing. */
  qps?: number;
  /** How long each request may wait for its whole answer (default 10 s, see http-deadline.ts); then retried. */
  timeoutMs?: number;
}

/** docs/dingtalk.md §6: size max 100 per page. */
export const USER_PAGE_SIZE = 100;
const DEFAULT_RETRY_DELAYS_MS = [200, 500, 1000] as const;
/** §8: on errcode 90018 (QPS limit) DingTalk asks to sleep 1 s before retrying. */
const QPS_BACKOFF_MS = 1000;

type Outcome =
  | { kind: "ok"; result: unknown }
  | { kind: "badToken" }
  | { kind: "transient"; reason: string; minDelayMs?: number }
  | { kind: "failed"; errcode: unknown; errmsg: string };

/** A client for `POST ${oapiBase}/topapi/...?access_token=` (docs/dingtalk.md §6, errors §8). */
export function createDirectoryClient(opts: DirectoryClientOptions): DirectoryClient {
  const pace = createPacer(opts.qps);
  const call = async <T>(api: string, body: object, schema: z.ZodType<T>): Promise<T> => {
    const result = await callWithRetries(opts, api, body, pace);
    const parsed = schema.safeParse(result);
    if (!parsed.success) {
      throw new AppError("INTERNAL", `钉钉接口 ${api} 的应答格式不符：${z.prettifyError(parsed.error)}`);
    }
    return parsed.data;
  };
  return {
    listSubDepartments: (deptId) =>
      call("department/listsub", { dept_id: deptId, language: "zh_CN" }, z.array(ZDirectoryDept)),
    getDepartment: (deptId) => call("department/get", { dept_id: deptId, language: "zh_CN" }, ZDirectoryDept),
    async listUsers(deptId) {
      const users: TDirectoryListUser[] = [];
      for (let cursor: number | undefined = 0; cursor !== undefined; ) {
        const page: z.infer<typeof ZUserPage> = await call(
          "user/list",
          { dept_id: deptId, cursor, size: USER_PAGE_SIZE },
          ZUserPage,
        );
        users.push(...page.list);
        // A page claiming more without a cursor would loop forever on cursor 0: stop instead.
        cursor =
          page.has_more && page.next_cursor !== undefined && page.next_cursor > cursor ? page.next_cursor : undefined;
      }
      return users;
    },
    getUser: (userid) => call("user/get", { userid, language: "zh_CN" }, ZDirectoryUserDetail),
  };
}

/** One refresh of a rejected token; transient failures retried after each of `retryDelaysMs`. */
async function callWithRetries(
  opts: DirectoryClientOptions,
  api: string,
  body: object,
  pace: (api: string) => Promise<void>,
): Promise<unknown> {
  const delays = opts.retryDelaysMs ?? DEFAULT_RETRY_DELAYS_MS;
  let refreshed = false;
  for (let retries = 0; ; ) {
    const token = await opts.token.get();
    await pace(api);
    const outcome = await send(opts, api, token, body);
    if (outcome.kind === "ok") return outcome.result;
    if (outcome.kind === "badToken" && !refreshed) {
      refreshed = true;
      opts.token.invalidate(token);
      continue;
    }
    if (outcome.kind === "transient" && retries < delays.length) {
      await sleep(Math.max(delays[retries] ?? 0, outcome.minDelayMs ?? 0));
      retries++;
      continue;
    }
    throw failure(api, outcome, retries);
  }
}

async function send(opts: DirectoryClientOptions, api: string, token: string, body: object): Promise<Outcome> {
  const url = `${opts.oapiBase}/topapi/v2/${api}?access_token=${encodeURIComponent(token)}`;
  let res: Response;
  let answer: Record<string, unknown>;
  const due = deadline(opts.timeoutMs);
  try {
    res = await (opts.fetch ?? fetch)(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
      signal: due.signal,
    });
  } catch (err) {
    return { kind: "transient", reason: `网络错误：${withoutUrls(due.reason(err))}` };
  }
  if (res.status >= 500) {
    await res.body?.cancel(); // free the connection; the body of a gateway error says nothing useful
    return { kind: "transient", reason: `HTTP ${res.status}` };
  }
  try {
    answer = ((await res.json()) ?? {}) as Record<string, unknown>;
  } catch (err) {
    if (due.signal.aborted) return { kind: "transient", reason: `网络错误：${due.reason(err)}` };
    // §8: an IP over its call budget is answered with an HTML page and no error code; it passes with time.
    return { kind: "transient", reason: `HTTP ${res.status}，应答不是 JSON` };
  }
  const errcode = answer.errcode;
  const errmsg = String(answer.errmsg ?? "");
  if (errcode === 0 && res.ok) return { kind: "ok", result: answer.result };
  // §8: 88 with sub_code 40014 is a bad token; 88 with an empty sub_code (or 15) is a 3 s server timeout.
  const subCode = String(answer.sub_code ?? "");
  if (errcode === 88 && subCode === "40014") return { kind: "badToken" };
  // 88 with another sub_code is final, e.g. 60011 "没有调用该接口的权限": no retry grants the permission.
  if (errcode === 88 && subCode !== "") {
    return { kind: "failed", errcode: `88/${subCode}`, errmsg: String(answer.sub_msg ?? errmsg) };
  }
  if (errcode === -1 || errcode === 15 || errcode === 88)
    return { kind: "transient", reason: `errcode ${errcode}（${errmsg}）` };
  if (errcode === 90018) return { kind: "transient", reason: `errcode 90018（${errmsg}）`, minDelayMs: QPS_BACKOFF_MS };
  return { kind: "failed", errcode: errcode ?? `HTTP ${res.status}`, errmsg };
}

function failure(api: string, outcome: Exclude<Outcome, { kind: "ok" }>, retries: number): AppError {
  if (outcome.kind === "badToken") {
    return new AppError("UPSTREAM", `钉钉接口 ${api} 拒绝了刷新后的 access_token（errcode 88 / sub_code 40014）`, {
      details: { api, errcode: 88 },
    });
  }
  if (outcome.kind === "transient") {
    return new AppError(
      "UPSTREAM",
      `钉钉接口 ${api} 重试 ${retries} 次后仍失败（最后一次：${outcome.reason}），请稍后再试`,
      { details: { api, reason: outcome.reason } },
    );
  }
  return new AppError("UPSTREAM", `钉钉接口 ${api} 返回错误 errcode ${String(outcome.errcode)}（${outcome.errmsg}）`, {
    details: { api, errcode: outcome.errcode, errmsg: outcome.errmsg },
  });
}

/** Slack on the one-second window, for the way from here to DingTalk's counter (timers fire late, requests queue). */
const PACE_MARGIN_MS = 50;

/**
 * At most `qps` calls to each API in any second, in this process: the same sliding window DingTalk counts
 * (docs/dingtalk.md §8), measured on actual send times. Evenly spaced slots were not enough: a late timer lets
 * the next calls bunch up and trip errcode 90018.
 */
function createPacer(qps: number | undefined): (api: string) => Promise<void> {
  const sent = new Map<string, number[]>();
  const turns = new Map<string, Promise<void>>();
  return (api) => {
    if (!qps) return Promise.resolve();
    const limit = Math.max(1, Math.floor(qps));
    const turn = (turns.get(api) ?? Promise.resolve()).then(async () => {
      const times = sent.get(api) ?? [];
      const oldest = times.length >= limit ? times[times.length - limit] : undefined;
      if (oldest !== undefined) await sleep(Math.max(0, oldest + 1000 + PACE_MARGIN_MS - Date.now()));
      times.push(Date.now());
      sent.set(api, times.slice(-limit));
    });
    turns.set(api, turn);
    return turn;
  };
}

/**
 * An error text without URLs: a request URL carries the access token (`?access_token=…`) and says where
 * DingTalk is reached from inside; the API's name says enough.
 */
export function withoutUrls(text: string): string {
  return text.replace(/[a-z][a-z0-9+.-]*:\/\/\S+/gi, "（地址已隐藏）");
}
