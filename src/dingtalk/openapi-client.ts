import {
  type AccessTokenSource,
  createAccessTokenSource,
  DingTalkApiError,
  errText,
  isRetryableAnswer,
} from "./access-token.ts";

export { DingTalkApiError };

/** The API names the outbox rate-limits by: DingTalk's QPS limit is per app per API (PLATFORM.md §8). */
export const API = {
  createAndDeliver: "POST /v1.0/card/instances/createAndDeliver",
  updateCard: "PUT /v1.0/card/instances",
  batchSend: "POST /v1.0/robot/oToMessages/batchSend",
  sessionReply: "POST sessionWebhook",
} as const;

/** batchSend takes at most 20 userIds per call (PLATFORM.md §4). */
export const BATCH_SEND_MAX_USERS = 20;

/** A createAndDeliver body (PLATFORM.md §3.3); passed through as given. */
export type CardCreateBody = Record<string, unknown> & { outTrackId: string };
/** A `PUT /v1.0/card/instances` body (PLATFORM.md §3.4). */
export type CardUpdateBody = Record<string, unknown> & { outTrackId: string };

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

/** The outbound DingTalk calls of the bot; every method throws {@link DingTalkApiError} on failure. */
export interface OpenApiClient {
  /**
   * Fetches the access token now if none is cached. The outbox calls it before taking a rate-limit slot, so a
   * token fetch cannot hold back calls that then arrive at DingTalk together.
   */
  ready(): Promise<void>;
  createAndDeliverCard(body: CardCreateBody): Promise<CreateAndDeliverResult>;
  updateCard(body: CardUpdateBody): Promise<{ success: boolean; result: unknown }>;
  batchSendOto(input: BatchSendInput): Promise<BatchSendResult>;
  /** PLATFORM.md §2.1: no token; HTTP 200 with errcode ≠ 0 is an error. */
  replyBySessionWebhook(url: string, body: Record<string, unknown>): Promise<{ errcode: number; errmsg?: string }>;
}

export interface OpenApiClientOptions {
  apiBase: string;
  clientId: string;
  clientSecret: string;
  robotCode: string;
  fetch?: typeof fetch;
  /** Shared token cache; default one per client. */
  tokens?: AccessTokenSource;
}

/** A client for api.dingtalk.com with a cached access token, refreshed once when DingTalk rejects it. */
export function createOpenApiClient(opts: OpenApiClientOptions): OpenApiClient {
  const doFetch = opts.fetch ?? fetch;
  const tokens = opts.tokens ?? createAccessTokenSource(opts);

  const call = async <T>(method: string, path: string, body: unknown): Promise<T> => {
    const token = await tokens.get();
    const first = await send(doFetch, `${opts.apiBase}${path}`, method, body, token);
    // PLATFORM.md §8: an expired token answers 400 InvalidAuthentication (the Python SDK also resets on 401).
    if (first.status === 401 || (first.status === 400 && first.body.code === "InvalidAuthentication")) {
      tokens.invalidate(token);
      const again = await send(doFetch, `${opts.apiBase}${path}`, method, body, await tokens.get());
      return unwrap<T>(again, method, path);
    }
    return unwrap<T>(first, method, path);
  };

  return {
    async ready() {
      await tokens.get();
    },
    createAndDeliverCard: (body) => call("POST", "/v1.0/card/instances/createAndDeliver", body),
    updateCard: (body) => call("PUT", "/v1.0/card/instances", body),
    async batchSendOto({ userIds, msgKey, msgParam }) {
      if (userIds.length === 0 || userIds.length > BATCH_SEND_MAX_USERS) {
        const msg = `batchSend 需要 1–${BATCH_SEND_MAX_USERS} 个 userId，收到 ${userIds.length} 个`;
        throw new DingTalkApiError(400, "param.invalid", msg, false);
      }
      const param = typeof msgParam === "string" ? msgParam : JSON.stringify(msgParam);
      const body = { robotCode: opts.robotCode, userIds, msgKey, msgParam: param };
      return call("POST", "/v1.0/robot/oToMessages/batchSend", body);
    },
    async replyBySessionWebhook(url, body) {
      const answer = await send(doFetch, url, "POST", body, undefined);
      const errcode = typeof answer.body.errcode === "number" ? answer.body.errcode : Number.NaN;
      if (answer.status !== 200 || errcode !== 0) {
        // Legacy convention (PLATFORM.md §6, §8): errcode -1 = system busy, worth another try.
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

interface Answer {
  status: number;
  body: Record<string, unknown>;
}

async function send(
  doFetch: typeof fetch,
  url: string,
  method: string,
  body: unknown,
  token: string | undefined,
): Promise<Answer> {
  const headers: Record<string, string> = { "Content-Type": "application/json", Accept: "application/json" };
  if (token !== undefined) headers["x-acs-dingtalk-access-token"] = token;
  try {
    const res = await doFetch(url, { method, headers, body: JSON.stringify(body) });
    const text = await res.text();
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : {};
    } catch {
      // PLATFORM.md §8: the per-IP block answers an HTML page; keep its start for the log.
      parsed = { code: `HTTP ${res.status}`, message: text.slice(0, 200) };
    }
    const record = typeof parsed === "object" && parsed !== null ? (parsed as Record<string, unknown>) : {};
    return { status: res.status, body: record };
  } catch (err) {
    throw new DingTalkApiError(0, "network", `${method} ${url}: ${errText(err)}`, true, { cause: err });
  }
}

function unwrap<T>(answer: Answer, method: string, path: string): T {
  if (answer.status >= 200 && answer.status < 300) return answer.body as T;
  const code = typeof answer.body.code === "string" ? answer.body.code : `HTTP ${answer.status}`;
  const message = `${method} ${path}: ${answer.status} ${code} ${String(answer.body.message ?? "")}`.trim();
  throw new DingTalkApiError(answer.status, code, message, isRetryableAnswer(answer.status, code));
}
