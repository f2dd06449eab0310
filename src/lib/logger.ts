import { type Logger, pino } from "pino";

export type { Logger };

/** JSON logs on stdout (one line per event); tests pass level "silent". */
export function createLogger(level: string, bindings: Record<string, unknown> = {}): Logger {
  return pino({ level, base: { service: "target-bot", ...bindings } });
}
