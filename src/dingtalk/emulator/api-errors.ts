import type { Context, Next } from "koa";
import type { Logger } from "../../lib/logger.ts";
import { DingTalkApiError } from "../dingtalk-api-error.ts";
import { newRequestId } from "./ids.ts";

// The emulator answers with the same error class the client throws (one DingTalkApiError, in src/dingtalk/);
// re-exported so that the emulator's routes keep one import for all three error types.
export { DingTalkApiError };

/** Shorthand for the common case: HTTP 400 with a `param.*` code (docs/dingtalk.md §3.3). */
export function paramError(code: string, message: string): DingTalkApiError {
  return new DingTalkApiError(400, code, message);
}

/**
 * An error of the legacy API (oapi.dingtalk.com): HTTP 200 with a non-zero `errcode` (docs/dingtalk.md §6, §8).
 * `extra` carries fields such as `sub_code`.
 */
export class LegacyApiError extends Error {
  override name = "LegacyApiError";
  constructor(
    readonly errcode: number,
    readonly errmsg: string,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(errmsg);
  }
}

/** Errors reported to control-API callers (`/_emulator/…`): misuse of the emulator itself. */
export class ControlError extends Error {
  override name = "ControlError";
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** The body of a new-API error. */
export function apiErrorBody(code: string, message: string) {
  return { code, message, requestid: newRequestId() };
}

/** The body of a legacy error; `request_id` like the real ones. */
export function legacyErrorBody(errcode: number, errmsg: string, extra: Record<string, unknown> = {}) {
  return { errcode, errmsg, ...extra, request_id: newRequestId() };
}

/** First middleware: turns the three error types into their wire shapes; anything else is a 500 and logged. */
export function emulatorErrors(log: Logger) {
  return async (ctx: Context, next: Next) => {
    try {
      await next();
    } catch (err) {
      if (err instanceof DingTalkApiError) {
        ctx.status = err.status;
        ctx.body = apiErrorBody(err.code, err.message);
      } else if (err instanceof LegacyApiError) {
        ctx.status = 200;
        ctx.body = legacyErrorBody(err.errcode, err.errmsg, err.extra);
      } else if (err instanceof ControlError) {
        ctx.status = err.status;
        ctx.body = { error: err.message };
      } else {
        log.error({ err, path: ctx.path }, "emulator bug while serving a request");
        ctx.status = 500;
        ctx.body = apiErrorBody("unknownError", "emulator internal error");
      }
    }
  };
}
