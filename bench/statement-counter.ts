import { PGlite } from "@electric-sql/pglite";
import pg from "pg";

/**
 * Counts the statements this process sends to the database — load-independent, unlike a time. PostgreSQL: every
 * `pg` client query (the service's Prisma adapter, its raw SQL and the outbox share one pool), i.e. round trips,
 * BEGIN and COMMIT included. PGlite: every statement handed to the engine (a Parse of the extended protocol, or
 * a simple query such as BEGIN), i.e. the same statements without a network. Statements run by triggers inside
 * the database are not seen here: docs/architecture.md ("Inbound: statements per push") counts those.
 */
export interface StatementCounter {
  readonly count: number;
  /** The statements' texts since the last `take()` (only when created with `keepTexts`). */
  take(): string[];
  stop(): void;
}

export function countStatements(opts: { keepTexts?: boolean } = {}): StatementCounter {
  let count = 0;
  let texts: string[] = [];
  const seen = (text: string) => {
    count++;
    if (opts.keepTexts) texts.push(text.replace(/\s+/g, " ").trim());
  };
  const pgQuery = pg.Client.prototype.query;
  pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
    const q = args[0];
    seen(typeof q === "string" ? q : String((q as { text?: unknown })?.text ?? "?"));
    return (pgQuery as (...a: unknown[]) => unknown).apply(this, args);
  } as typeof pgQuery;
  type Proto = { execProtocolStream: (message: Uint8Array, ...rest: unknown[]) => unknown };
  const proto = PGlite.prototype as unknown as Proto;
  const exec = proto.execProtocolStream;
  const decoder = new TextDecoder();
  proto.execProtocolStream = function (this: unknown, message: Uint8Array, ...rest: unknown[]) {
    // 'P' Parse (one per extended-protocol statement: describe/bind/execute follow it) or 'Q' simple query.
    if (message[0] === 0x50)
      seen(decoder.decode(message.subarray(5, Math.min(message.length, 600))).replace(/\0/g, " "));
    else if (message[0] === 0x51)
      seen(decoder.decode(message.subarray(5, Math.min(message.length, 600))).replace(/\0/g, ""));
    return exec.call(this, message, ...rest);
  };
  return {
    get count() {
      return count;
    },
    take() {
      const t = texts;
      texts = [];
      return t;
    },
    stop() {
      pg.Client.prototype.query = pgQuery;
      proto.execProtocolStream = exec;
    },
  };
}
