/**
 * Names for statement texts the service sends again and again, so that node-postgres prepares each once per
 * connection (`{ name, text, values }`) and PostgreSQL parses it once and can keep its plan, instead of parsing,
 * analysing and planning the same text on every push. Measured on bench:inbound (PostgreSQL, log_parser_stats /
 * log_planner_stats per statement, 2026-12-05): parsing and planning were ~40 % of the backends' CPU on the hot
 * path, the claim, the chat report's reads and insert, the reply row, the outbox's claim, take and mark.
 *
 * A text is named from its second use on (one-off statements — migrations, set-up, reports — are never prepared),
 * and at most {@link MAX_NAMED} texts get names in a process, so a connection never holds more prepared
 * statements than that however many different texts are built (bulk VALUES lists of varying length, for instance).
 * Only statements with parameters are named: node-postgres sends those as one extended-protocol statement already,
 * while a parameterless text may be a script of several statements, which cannot be prepared.
 *
 * Trade-offs, stated: a prepared statement lives as long as its connection, so a statement whose result columns
 * change under it (a migration altering a table while the service runs) fails once with "cached plan must not
 * change result type" — the service migrates at start, before any statement; and a connection pooler in
 * transaction mode (PgBouncer < 1.21) cannot carry named statements.
 */
const MAX_NAMED = 256;
/** Texts seen once, waiting for a second use; cleared when it grows past this (dynamic texts). */
const MAX_SEEN = 4096;

const named = new Map<string, string>();
const seen = new Set<string>();

/** The name to prepare `text` under, or undefined to send it unnamed (first use, no parameters, cap reached). */
export function preparedName(text: string, params: unknown[] | undefined): string | undefined {
  if (params === undefined) return undefined;
  const name = named.get(text);
  if (name !== undefined) return name;
  if (named.size >= MAX_NAMED) return undefined;
  if (!seen.has(text)) {
    if (seen.size >= MAX_SEEN) seen.clear();
    seen.add(text);
    return undefined;
  }
  seen.delete(text);
  const fresh = `tb_${named.size + 1}`;
  named.set(text, fresh);
  return fresh;
}
