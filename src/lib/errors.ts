/**
 * The one error type of the service. Thrown anywhere; translated at three edges only: the koa
 * error middleware (HTTP status + body), the bot's error boundary (the user message as a chat reply) and the
 * scheduler wrapper (logged).
 */
export type ErrorCode =
  | "VALIDATION"
  | "UNAUTHORIZED"
  | "FORBIDDEN"
  | "NOT_FOUND"
  | "METHOD_NOT_ALLOWED"
  | "CONFLICT"
  | "PAYLOAD_TOO_LARGE"
  | "UNSUPPORTED_MEDIA_TYPE"
  | "TOO_MANY_REQUESTS"
  | "INTERNAL"
  /** DingTalk (or another system we call) failed or refused: 502, the message says which API. */
  | "UPSTREAM";

const HTTP_STATUS: Record<ErrorCode, number> = {
  VALIDATION: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  CONFLICT: 409,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  TOO_MANY_REQUESTS: 429,
  INTERNAL: 500,
  UPSTREAM: 502,
};

export class AppError extends Error {
  override name = "AppError";
  readonly code: ErrorCode;
  readonly details: unknown;
  /** Response headers that go with the answer (e.g. Retry-After on a 429). */
  readonly headers: Record<string, string>;
  /** Message safe to show to a person (HTTP client or DingTalk user), in the language of its audience. */
  readonly userMessage: string;

  constructor(
    code: ErrorCode,
    userMessage: string,
    options: { details?: unknown; cause?: unknown; headers?: Record<string, string> } = {},
  ) {
    super(userMessage, { cause: options.cause });
    this.code = code;
    this.userMessage = userMessage;
    this.details = options.details;
    this.headers = options.headers ?? {};
  }

  get status(): number {
    return HTTP_STATUS[this.code];
  }
}

/** One problem in an input, located as precisely as the input allows (row, column, sheet, cell, field). */
export interface InputProblem {
  message: string;
  row?: number;
  column?: string;
  sheet?: string;
  cell?: string;
  field?: string;
}

/** An error answer lists at most this many problems; `detailsTotal` says how many there were in all. */
export const MAX_LISTED_PROBLEMS = 200;

/**
 * A 400 listing the problems of an input. The HTTP answer lists the first {@link MAX_LISTED_PROBLEMS} of them
 * (the error middleware cuts the list), so a file with a million bad rows gets a short answer.
 */
export function validationError(message: string, problems: InputProblem[]): AppError {
  return new AppError("VALIDATION", message, { details: problems });
}
