import { createRequire } from "node:module";
import { type DestinationStream, type Logger, pino } from "pino";

export type { Logger };

const require = createRequire(import.meta.url);

/**
 * Logs on stdout: JSON, one line per event (what a log collector reads); tests pass level "silent". With
 * `pretty` (main.ts sets it when stdout is a terminal), coloured one-line-per-event text through pino-pretty,
 * loaded only then and written synchronously on this thread (no worker to start).
 */
export function createLogger(
  level: string,
  bindings: Record<string, unknown> = {},
  opts: { pretty?: boolean } = {},
): Logger {
  const options = { level, base: { service: "target-bot", ...bindings } };
  if (!opts.pretty) return pino(options);
  const pretty = require("pino-pretty") as (o: Record<string, unknown>) => DestinationStream;
  return pino(options, pretty({ sync: true, translateTime: "SYS:HH:MM:ss.l", ignore: "pid,hostname,service" }));
}
