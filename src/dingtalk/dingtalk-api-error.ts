/**
 * A failed call to the new OpenAPI (api.dingtalk.com) or a session webhook — on both sides of the wire: the
 * client (openapi-client.ts, access-token.ts) throws it for an answer it got, the emulator throws it to answer
 * one (emulator/api-errors.ts turns it into `{code, message, requestid}`). `status` is the HTTP status (0 when
 * no answer came back), `code` DingTalk's error code (`Forbidden.AccessDenied.QpsLimitForAppkeyAndApi`,
 * `param.cardAlreadyExist`, an errcode as a string, or `network`). `retryable` says whether the same request may
 * succeed later (docs/dingtalk.md §8: throttling, 5xx, timeouts, network) or never will (other 4xx); by default
 * what {@link isRetryableAnswer} says of the status and code.
 *
 * Not an AppError: it never reaches a person or an HTTP client; the outbox worker is its edge and turns it
 * into a retry or a dead row.
 */
export class DingTalkApiError extends Error {
  override name = "DingTalkApiError";
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly retryable: boolean = isRetryableAnswer(status, code),
    options: { cause?: unknown } = {},
  ) {
    super(message, options);
  }
}

/**
 * docs/dingtalk.md §8: 403 QPS codes, any 5xx (504 = DingTalk's 3 s timeout) may succeed on a later try; so may
 * a to-do create throttled per executor or org (§7, `todo.taskCreate.flowControlError`, whatever its status).
 */
export function isRetryableAnswer(status: number, code: string): boolean {
  if (code === "todo.taskCreate.flowControlError") return true;
  return status >= 500 || (status === 403 && code.startsWith("Forbidden.AccessDenied.QpsLimit"));
}
