/**
 * How long one DingTalk HTTP exchange may take, headers and body (DINGTALK_HTTP_TIMEOUT_MS). Without a deadline
 * a call DingTalk (or a proxy on the way) never answers would hang for ever: its outbox row would stay SENDING,
 * its lease renewed by the live worker's heartbeat, never sent nor retried, and shutdown would wait on it.
 */
export const DEFAULT_HTTP_TIMEOUT_MS = 10_000;

/** A deadline for one request: pass `signal` to fetch (it also ends a body still being read). */
export interface Deadline {
  signal: AbortSignal;
  /** The failure's text: "no answer within N ms" when the deadline cut it, else the error's own message. */
  reason(err: unknown): string;
}

export function deadline(timeoutMs: number = DEFAULT_HTTP_TIMEOUT_MS): Deadline {
  const signal = AbortSignal.timeout(timeoutMs);
  return {
    signal,
    reason: (err) =>
      signal.aborted ? `no answer within ${timeoutMs} ms` : err instanceof Error ? err.message : String(err),
  };
}
