/**
 * The one error type of the service. Thrown anywhere; translated at three edges only: the koa
 * error middleware (HTTP status + body), the bot's error boundary (the user message as a chat reply) and the
 * scheduler wrapper (logged).
 */
export type ErrorCode =
  | "VALIDATION"
  | "UNAUTHORIZED"
  | "NOT_FOUND"
  | "METHOD_NOT_ALLOWED"
  | "CONFLICT"
  | "PAYLOAD_TOO_LARGE"
  | "UNSUPPORTED_MEDIA_TYPE"
  | "INTERNAL"
  /** DingTalk (or another system we call) failed or refused: 502, the message says which API. */
  | "UPSTREAM";

const HTTP_STATUS: Record<ErrorCode, number> = {
  VALIDATION: 400,
  UNAUTHORIZED: 401,
  NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  CONFLICT: 409,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  INTERNAL: 500,
  UPSTREAM: 502,
};

export class AppError extends Error {
  override name = "AppError";
  readonly code: ErrorCode;
  readonly details: unknown;
  /** Message safe to show to a person (HTTP client or DingTalk user), in the language of its audience. */
  readonly userMessage: string;

  constructor(code: ErrorCode, userMessage: string, options: { details?: unknown; cause?: unknown } = {}) {
    super(userMessage, { cause: options.cause });
    this.code = code;
    this.userMessage = userMessage;
    this.details = options.details;
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

export function validationError(message: string, problems: InputProblem[]): AppError {
  return new AppError("VALIDATION", message, { details: problems });
}
