import { type AccessTokenSource, createAccessTokenSource } from "./access-token.ts";
import { DingTalkApiError, isRetryableAnswer } from "./dingtalk-api-error.ts";
import { createDirectoryClient } from "./directory-client.ts";
import { DEFAULT_HTTP_TIMEOUT_MS, type Deadline, deadline } from "./http-deadline.ts";
import { type Exchange, fetchExchange, nodeExchange } from "./json-exchange.ts";
import { createLegacyTokenSource, type LegacyTokenSource } from "./legacy-token.ts";
import { createUnionIdSource, type UnionIdSource } from "./union-ids.ts";

/** The API names the outbox rate-limits by: DingTalk's QPS limit is per app per API (docs/dingtalk.md §8). */
export const API = {
  createAndDeliver: "POST /v1.0/card/instances/createAndDeliver",
  updateCard: "PUT /v1.0/card/instances",
  batchSend: "POST /v1.0/robot/oToMessages/batchSend",
  sessionReply: "POST sessionWebhook",
  /** The path's `{unionId}` (and `{taskId}`) are filled in per call; the limit is per API, not per person. */
  todoCreate: "POST /v1.0/todo/users/{unionId}/tasks",
  todoUpdate: "PUT /v1.0/todo/users/{unionId}/tasks/{taskId}",
  todoBySource: "GET /v1.0/todo/users/{unionId}/tasks/sources/{sourceId}",
  /** Legacy host (oapi), `?access_token=` (docs/dingtalk.md §4.0). */
  mediaUpload: "POST /media/upload",
} as const;

/** `/media/upload?type=image` takes jpg/gif/png/bmp up to 20 MB (docs/dingtalk.md §4.0). */
export const IMAGE_MAX_BYTES = 20 * 1024 * 1024;

/** What `/media/upload` answers. */
export interface MediaUploadResult {
  /** `@lA…`: what `sampleImageMsg`'s `photoURL` takes; works only inside the DingTalk client. */
  media_id: string;
  type: string;
  created_at?: number;
}

/** batchSend takes at most 20 userIds per call (docs/dingtalk.md §4). */
export const BATCH_SEND_MAX_USERS = 20;

/** A createAndDeliver body (docs/dingtalk.md §3.3); passed through as given. */
export type CardCreateBody = Record<string, unknown> & { outTrackId: string };
/** A `PUT /v1.0/card/instances` body (docs/dingtalk.md §3.4). */
export type CardUpdateBody = Record<string, unknown> & { outTrackId: string };

/** A to-do create body (docs/dingtalk.md §7); `detailUrl` is required since 2024-02-01. */
export interface TodoCreateBody {
  subject: string;
  description?: string;
  /** unionIds. */
  executorIds: string[];
  detailUrl: { appUrl: string; pcUrl: string };
  sourceId?: string;
  notifyConfigs?: { dingNotify?: string };
}
/** A to-do as DingTalk returns it (the fields the service reads; there are more). */
export interface TodoTask {
  id: string;
  subject: string;
  done: boolean;
  executorIds: string[];
  createdTime: number;
}

export interface DeliverResult {
  spaceType: string;
  spaceId: string;
  success: boolean;
  carrierId?: string;
  errorMsg?: string;
}
export interface CreateAndDeliverResult {
  success: boolean;
  result: { outTrackId: string; deliverResults: DeliverResult[] };
}
export interface BatchSendInput {
  userIds: string[];
  msgKey: string;
  /** An object is sent as its JSON string (DingTalk wants a string). */
  msgParam: string | Record<string, unknown>;
}
export interface BatchSendResult {
  processQueryKey: string;
  invalidStaffIdList?: string[];
  flowControlledStaffIdList?: string[];
  filteredStaffIdList?: string[];
}

/**
 * Wraps each HTTP request a method makes (the outbox passes one that takes a rate-limit slot per request, so the
 * second request of a call whose token was rejected is limited too). `api` is the request's {@link API} name.
 * The request resolves whenever DingTalk answered, whatever the status; it rejects when no answer came back.
 */
export type RequestGate = <T>(api: string, request: () => Promise<T>) => Promise<T>;

const direct: RequestGate = (_api, request) => request();

/**
 * The outbound DingTalk calls of the bot; every method throws {@link DingTalkApiError} on failure and sends
 * each of its HTTP requests through `gate` (default: straight out). The access token is had before the gate
 * is entered, so a token fetch never holds a rate-limit slot.
 */
export interface OpenApiClient {
  createAndDeliverCard(body: CardCreateBody, gate?: RequestGate): Promise<CreateAndDeliverResult>;
  updateCard(body: CardUpdateBody, gate?: RequestGate): Promise<{ success: boolean; result: unknown }>;
  batchSendOto(input: BatchSendInput, gate?: RequestGate): Promise<BatchSendResult>;
  /** docs/dingtalk.md §2.1: no token; HTTP 200 with errcode ≠ 0 is an error. */
  replyBySessionWebhook(
    url: string,
    body: Record<string, unknown>,
    gate?: RequestGate,
  ): Promise<{ errcode: number; errmsg?: string }>;
  /**
   * The unionId of a userId, from the directory and cached per client; throws a {@link DingTalkApiError} that
   * is not retryable when the directory does not know the person. Called outside any gate, like a token fetch.
   */
  unionIdOf(userId: string): Promise<string>;
  /** A to-do in `unionId`'s 待办 list (docs/dingtalk.md §7), created with that person as operator. */
  createTodo(unionId: string, body: TodoCreateBody, gate?: RequestGate): Promise<TodoTask>;
  /** The to-do of `unionId`'s created with this `sourceId`, or null when DingTalk has none (any 4xx answer). */
  findTodoBySource(unionId: string, sourceId: string, gate?: RequestGate): Promise<TodoTask | null>;
  /** Changes a to-do of `unionId`'s, e.g. `{done: true}`; DingTalk answers `{result: boolean}`. */
  updateTodo(
    unionId: string,
    taskId: string,
    body: { done: boolean },
    gate?: RequestGate,
  ): Promise<{ result: boolean }>;
  /**
   * Uploads an image to the legacy host (`POST /media/upload?type=image`, multipart part `media`) and answers its
   * media_id. Errors: errcode -1 / 15 / 88 without sub_code / 90018 / 90002, any 5xx, or a non-JSON answer are
   * retryable (docs/dingtalk.md §8); any other errcode (bad type, too large) is final.
   */
  uploadImage(bytes: Uint8Array, fileName: string, gate?: RequestGate): Promise<MediaUploadResult>;
}

export interface OpenApiClientOptions {
  apiBase: string;
  clientId: string;
  clientSecret: string;
  robotCode: string;
  fetch?: typeof fetch;
  /** Shared token cache; default one per client. */
  tokens?: AccessTokenSource;
  /** The legacy host whose directory gives unionIds (default: none, and to-dos fail as not sendable). */
  oapiBase?: string;
  /** Where unionIds come from; default the directory at `oapiBase`, cached for the client's life. */
  unionIds?: UnionIdSource;
  /**
   * How long each HTTP request (token fetches included) may wait for its whole answer (default 10 s:
   * DINGTALK_HTTP_TIMEOUT_MS). One past it fails like a network error: retryable, code "timeout".
   */
  timeoutMs?: number;
}

/** A client for api.dingtalk.com with a cached access token, refreshed once when DingTalk rejects it. */
export function createOpenApiClient(opts: OpenApiClientOptions): OpenApiClient {
  const timeoutMs = opts.timeoutMs ?? DEFAULT_HTTP_TIMEOUT_MS;
  const doFetch = opts.fetch ?? fetch;
  // JSON calls (every outbox send) on node:http unless a fetch is given; the multipart upload stays on fetch.
  const exchange: Exchange = opts.fetch ? fetchExchange(opts.fetch) : nodeExchange;
  const tokens = opts.tokens ?? createAccessTokenSource(opts);

  const legacyToken = opts.oapiBase ? createLegacyTokenSource({ ...opts, oapiBase: opts.oapiBase }) : undefined;
  const unionIds = opts.unionIds ?? directoryUnionIds(opts, legacyToken);

  /** `path` fills in the placeholders of the API's path; the API name stays the rate-limit bucket. */
  const call = async <T>(api: string, body: unknown, gate: RequestGate, at?: string): Promise<T> => {
    const [method, template] = api.split(" ") as [string, string];
    const path = at ?? template;
    const url = `${opts.apiBase}${path}`;
    const token = await tokens.get();
    const first = await gate(api, () => send(exchange, url, method, body, token, timeoutMs));
    // docs/dingtalk.md §8: an expired token answers 400 InvalidAuthentication (the Python SDK also resets on 401).
    if (first.status === 401 || (first.status === 400 && first.body.code === "InvalidAuthentication")) {
      tokens.invalidate(token);
      const fresh = await tokens.get(); // before the gate: a token fetch must not hold a rate-limit slot
      return unwrap<T>(await gate(api, () => send(exchange, url, method, body, fresh, timeoutMs)), method, path);
    }
    return unwrap<T>(first, method, path);
  };

  return {
    createAndDeliverCard: (body, gate = direct) => call(API.createAndDeliver, body, gate),
    updateCard: (body, gate = direct) => call(API.updateCard, body, gate),
    async batchSendOto({ userIds, msgKey, msgParam }, gate = direct) {
      if (userIds.length === 0 || userIds.length > BATCH_SEND_MAX_USERS) {
        const msg = `batchSend 需要 1–${BATCH_SEND_MAX_USERS} 个 userId，收到 ${userIds.length} 个`;
        throw new DingTalkApiError(400, "param.invalid", msg, false);
      }
      const param = typeof msgParam === "string" ? msgParam : JSON.stringify(msgParam);
      const body = { robotCode: opts.robotCode, userIds, msgKey, msgParam: param };
      return call(API.batchSend, body, gate);
    },
    unionIdOf: (userId) => unionIds(userId),
    createTodo: (unionId, body, gate = direct) => {
      const user = encodeURIComponent(unionId);
      return call(API.todoCreate, body, gate, `/v1.0/todo/users/${user}/tasks?operatorId=${user}`);
    },
    async findTodoBySource(unionId, sourceId, gate = direct) {
      const user = encodeURIComponent(unionId);
      const path = `/v1.0/todo/users/${user}/tasks/sources/${encodeURIComponent(sourceId)}?operatorId=${user}`;
      try {
        return await call<TodoTask>(API.todoBySource, undefined, gate, path);
      } catch (err) {
        // Which code DingTalk uses for "no such task" is not documented: any final answer means none to reuse.
        if (err instanceof DingTalkApiError && !err.retryable) return null;
        throw err;
      }
    },
    updateTodo: (unionId, taskId, body, gate = direct) => {
      const user = encodeURIComponent(unionId);
      const path = `/v1.0/todo/users/${user}/tasks/${encodeURIComponent(taskId)}?operatorId=${user}`;
      return call(API.todoUpdate, body, gate, path);
    },
    async uploadImage(bytes, fileName, gate = direct) {
      if (!opts.oapiBase || !legacyToken) {
        throw new DingTalkApiError(0, "oapi.none", "no oapiBase configured: media cannot be uploaded", false);
      }
      const upload = (token: string) => () =>
        sendMultipart(doFetch, `${opts.oapiBase}/media/upload`, token, bytes, fileName, timeoutMs);
      const token = await legacyToken.get();
      let answer = await gate(API.mediaUpload, upload(token));
      // docs/dingtalk.md §8: errcode 88 with sub_code 40014 is a rejected token: one fresh one, like `call`.
      if (answer.body.errcode === 88 && String(answer.body.sub_code ?? "") === "40014") {
        legacyToken.invalidate(token);
        const fresh = await legacyToken.get(); // before the gate, like every token fetch
        answer = await gate(API.mediaUpload, upload(fresh));
      }
      return unwrapLegacy(answer, "POST /media/upload") as unknown as MediaUploadResult;
    },
    async replyBySessionWebhook(url, body, gate = direct) {
      const answer = await gate(API.sessionReply, () => send(exchange, url, "POST", body, undefined, timeoutMs));
      const errcode = typeof answer.body.errcode === "number" ? answer.body.errcode : Number.NaN;
      if (answer.status !== 200 || errcode !== 0) {
        // Legacy convention (docs/dingtalk.md §6, §8): errcode -1 = system busy, worth another try.
        const retryable = answer.status >= 500 || errcode === -1;
        const code = Number.isNaN(errcode) ? `HTTP ${answer.status}` : String(errcode);
        throw new DingTalkApiError(
          answer.status,
          code,
          `sessionWebhook: ${String(answer.body.errmsg ?? "")}`,
          retryable,
        );
      }
      return { errcode, errmsg: String(answer.body.errmsg ?? "") };
    },
  };
}

/** unionIds from the directory at `oapiBase`, with a legacy token of the same app. */
function directoryUnionIds(opts: OpenApiClientOptions, token: LegacyTokenSource | undefined): UnionIdSource {
  const { oapiBase } = opts;
  if (!oapiBase || !token) {
    return async () => {
      throw new DingTalkApiError(0, "directory.none", "no oapiBase configured: unionIds cannot be looked up", false);
    };
  }
  const fetchOpt = opts.fetch ? { fetch: opts.fetch } : {};
  const timeoutOpt = opts.timeoutMs === undefined ? {} : { timeoutMs: opts.timeoutMs };
  return createUnionIdSource(createDirectoryClient({ oapiBase, token, ...fetchOpt, ...timeoutOpt }));
}

interface Answer {
  status: number;
  body: Record<string, unknown>;
}

async function send(
  exchange: Exchange,
  url: string,
  method: string,
  body: unknown,
  token: string | undefined,
  timeoutMs: number,
): Promise<Answer> {
  const headers: Record<string, string> = { "Content-Type": "application/json", Accept: "application/json" };
  if (token !== undefined) headers["x-acs-dingtalk-access-token"] = token;
  const due = deadline(timeoutMs);
  try {
    const init = { method, headers, signal: due.signal };
    const res = await exchange(url, { ...init, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
    const { text } = res;
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : {};
    } catch {
      // docs/dingtalk.md §8: the per-IP block answers an HTML page; keep its start for the log.
      parsed = { code: `HTTP ${res.status}`, message: text.slice(0, 200) };
    }
    const record = typeof parsed === "object" && parsed !== null ? (parsed as Record<string, unknown>) : {};
    return { status: res.status, body: record };
  } catch (err) {
    throw failedExchange(`${method} ${url}`, due, err);
  }
}

/** A multipart upload to the legacy host; the answer as {@link send} gives it (non-JSON kept as a message). */
async function sendMultipart(
  doFetch: typeof fetch,
  url: string,
  token: string,
  bytes: Uint8Array,
  fileName: string,
  timeoutMs: number,
): Promise<Answer> {
  const form = new FormData();
  form.append("media", new Blob([bytes], { type: "image/png" }), fileName);
  const target = `${url}?access_token=${encodeURIComponent(token)}&type=image`;
  const due = deadline(timeoutMs);
  try {
    const res = await doFetch(target, { method: "POST", body: form, signal: due.signal });
    const text = await res.text();
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : {};
    } catch {
      parsed = { errmsg: text.slice(0, 200) };
    }
    const record = typeof parsed === "object" && parsed !== null ? (parsed as Record<string, unknown>) : {};
    return { status: res.status, body: record };
  } catch (err) {
    throw failedExchange(`POST ${url}`, due, err);
  }
}

/**
 * No answer: the network failed, or none came within the deadline. Either way the request may or may not have
 * reached DingTalk, and trying again is what the outbox does (a card's outTrackId makes a repeat harmless).
 */
function failedExchange(what: string, due: Deadline, err: unknown): DingTalkApiError {
  const code = due.signal.aborted ? "timeout" : "network";
  return new DingTalkApiError(0, code, `${what}: ${due.reason(err)}`, true, { cause: err });
}

/**
 * A legacy answer (HTTP 200 with errcode, docs/dingtalk.md §8): errcode 0 is the result; system busy (-1), the
 * 3 s timeout (15, or 88 without sub_code), the QPS limits (90018, 90002), any 5xx and a non-JSON page (the
 * per-IP block) may pass later; anything else will not.
 */
function unwrapLegacy(answer: Answer, api: string): Record<string, unknown> {
  const errcode = answer.body.errcode;
  if (answer.status === 200 && errcode === 0) return answer.body;
  const code = typeof errcode === "number" ? String(errcode) : `HTTP ${answer.status}`;
  // 88 is the 3 s timeout only without a sub_code; with one (e.g. 60011, no permission) it is final (§8).
  const timeout = errcode === 88 && String(answer.body.sub_code ?? "") === "";
  const busy = timeout || (typeof errcode === "number" && [-1, 15, 90018, 90002].includes(errcode));
  const retryable = answer.status >= 500 || busy || typeof errcode !== "number";
  const message = `${api}: ${answer.status} errcode ${code} ${String(answer.body.errmsg ?? "")}`.trim();
  throw new DingTalkApiError(answer.status, code, message, retryable);
}

function unwrap<T>(answer: Answer, method: string, path: string): T {
  if (answer.status >= 200 && answer.status < 300) return answer.body as T;
  const code = typeof answer.body.code === "string" ? answer.body.code : `HTTP ${answer.status}`;
  const message = `${method} ${path}: ${answer.status} ${code} ${String(answer.body.message ?? "")}`.trim();
  throw new DingTalkApiError(answer.status, code, message, isRetryableAnswer(answer.status, code));
}
