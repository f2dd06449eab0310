import { createHash, randomUUID, timingSafeEqual } from "node:crypto";
import type { Context, Next } from "koa";
import { AppError, MAX_LISTED_PROBLEMS } from "../lib/errors.ts";
import type { Logger } from "../lib/logger.ts";
import { badCharMessage, findBadChar, truncateForEcho } from "../lib/text-rule.ts";

/**
 * Mounted first: every error becomes `{"error":{"code","message","details?"}}`. Expected errors (AppError)
 * keep their status and message; anything else is logged with its stack and answered as a bare 500.
 */
export function errorMiddleware() {
  return async (ctx: Context, next: Next) => {
    try {
      await next();
      if (ctx.status === 404 && ctx.body === undefined) {
        throw new AppError("NOT_FOUND", `没有这个接口：${ctx.method} ${ctx.path}`);
      }
    } catch (err) {
      const log = ctx.state.log as Logger | undefined;
      if (clientGone(ctx, err)) {
        // Not a bug and not the service's failure: the client hung up (a timeout, a closed tab) while its
        // request was read or served. Nobody will read an answer; 499 (nginx's "client closed request") marks
        // it in the request log. Whatever the handler had not committed was rolled back with its error.
        log?.info(
          { err: { message: (err as Error)?.message, code: (err as { code?: string })?.code } },
          "client closed the request",
        );
        ctx.status = 499;
        return;
      }
      if (err instanceof AppError) {
        ctx.status = err.status;
        for (const [name, value] of Object.entries(err.headers)) ctx.set(name, value);
        ctx.body = { error: { code: err.code, message: truncateForEcho(err.userMessage, 2000), ...detailsOf(err) } };
        // A refused body was not read to its end: what is left of it would be taken for the next request on
        // this keep-alive connection, so the connection ends with this answer.
        if (err.code === "PAYLOAD_TOO_LARGE" || err.code === "TOO_MANY_REQUESTS") ctx.set("Connection", "close");
        if (err.status >= 500) log?.error({ err }, "request failed");
      } else {
        log?.error({ err }, "unhandled error while serving request; this is a bug");
        ctx.status = 500;
        ctx.body = {
          error: { code: "INTERNAL", message: "服务器内部错误，请稍后重试", requestId: ctx.state.requestId },
        };
      }
    }
  };
}

/** The client aborted: its socket is gone, or reading its body failed with Node's "aborted" (ECONNRESET). */
function clientGone(ctx: Context, err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  const aborted = code === "ECONNRESET" || code === "ECONNABORTED" || (err as Error | null)?.message === "aborted";
  return aborted && (ctx.req.destroyed || ctx.req.readableAborted || !ctx.req.socket?.writable);
}

/**
 * An error's details as answered: a list is cut to its first {@link MAX_LISTED_PROBLEMS} entries (with
 * `detailsTotal`, the full count), and every string in it to a few hundred characters — a 5 MB value sent in
 * is never echoed back whole.
 */
function detailsOf(err: AppError) {
  if (err.details === undefined) return {};
  if (!Array.isArray(err.details)) return { details: shorten(err.details) };
  if (err.details.length <= MAX_LISTED_PROBLEMS) return { details: shorten(err.details) };
  return { details: shorten(err.details.slice(0, MAX_LISTED_PROBLEMS)), detailsTotal: err.details.length };
}

function shorten(v: unknown): unknown {
  if (typeof v === "string") return truncateForEcho(v, 500);
  if (Array.isArray(v)) return v.map(shorten);
  if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, shorten(x)]));
  return v;
}

/**
 * The text rule (src/lib/text-rule.ts) for the parts of a request every route reads: each path segment (as the
 * router decodes it) and each query value. A NUL in `/api/org/staff/a%00b` is a 400 here, before a route sends
 * it to the database.
 */
export function rejectBadRequestText() {
  return async (ctx: Context, next: Next) => {
    for (const segment of ctx.path.split("/")) {
      let decoded: string;
      try {
        decoded = decodeURIComponent(segment);
      } catch {
        continue; // the router leaves a malformed escape as it is; the route answers for it
      }
      const bad = findBadChar(decoded);
      if (bad) throw new AppError("VALIDATION", badCharMessage("请求路径 / request path", bad));
    }
    for (const [name, value] of Object.entries(ctx.query)) {
      const bad = findBadChar(name) ?? [value ?? ""].flat().map(findBadChar).find(Boolean);
      if (bad) {
        throw new AppError(
          "VALIDATION",
          badCharMessage(`查询参数 ${truncateForEcho(name, 40)} / query parameter`, bad),
          {
            details: [{ field: truncateForEcho(name, 40), message: "含有无法识别的字符" }],
          },
        );
      }
    }
    await next();
  };
}

/** Tags each request with an id (incoming `x-request-id` or a new one) and logs one line when it ends. */
export function requestLogger(log: Logger) {
  return async (ctx: Context, next: Next) => {
    const requestId = ctx.get("x-request-id") || randomUUID();
    const started = performance.now();
    ctx.state.requestId = requestId;
    ctx.state.log = log.child({ requestId });
    ctx.set("x-request-id", requestId);
    try {
      await next();
    } finally {
      ctx.state.log.info(
        { method: ctx.method, path: ctx.path, status: ctx.status, ms: Math.round(performance.now() - started) },
        "request",
      );
    }
  };
}

/** Bearer-token check for /api/*, compared in constant time (digests, so lengths never leak either). */
export function bearerAuth(token: string) {
  const expected = createHash("sha256").update(token).digest();
  return async (ctx: Context, next: Next) => {
    const header = ctx.get("authorization");
    const match = /^Bearer\s+(.+)$/i.exec(header);
    const given = createHash("sha256")
      .update(match?.[1]?.trim() ?? "")
      .digest();
    if (!match || !timingSafeEqual(given, expected)) {
      ctx.set("www-authenticate", 'Bearer realm="api"');
      throw new AppError("UNAUTHORIZED", "缺少或错误的访问令牌：请在请求头加 Authorization: Bearer <ADMIN_TOKEN>");
    }
    await next();
  };
}

/**
 * Serialises object bodies itself so that bigint amounts go out as exact decimal strings ("180000000");
 * JSON numbers would silently round anything beyond 2^53.
 */
export function bigintJson() {
  return async (ctx: Context, next: Next) => {
    await next();
    const body = ctx.body;
    if (body && typeof body === "object" && !Buffer.isBuffer(body) && !("pipe" in body)) {
      ctx.type = "application/json";
      ctx.body = JSON.stringify(body, (_k, v) => (typeof v === "bigint" ? v.toString() : v));
    }
  };
}
