/**
 * The SQL of the fleet rate limiter (fleet-rate-limiter.ts), over the `rate_slots` row of one API. TAKE_SQL is
 * `decideGrant` (rate-slots.ts) done under the row lock; the proof of why it keeps the limit is in rate-slots.ts.
 */

export interface TakeRow {
  now: number;
  at: number | null;
  until: number | null;
  last_at: number | null;
  /** The row's ends as they were, when the take was refused; null when granted (not read then). */
  live: number[] | null;
}

/** `applyShrinks` in SQL: the k-th shrink from a value replaces the k-th end equal to it. */
const shrunk = (live: string, from: string, to: string) => `ARRAY(
  SELECT COALESCE(x.n, l.u)
  FROM (SELECT u, row_number() OVER (PARTITION BY u) AS k FROM unnest(${live}) u) l
  LEFT JOIN (SELECT o, n, row_number() OVER (PARTITION BY o) AS k
             FROM unnest(${from}::float8[], ${to}::float8[]) t(o, n) WHERE n < o) x ON x.o = l.u AND x.k = l.k)`;

// $1 api, $2 qps, $3 margin ms, $4 spacing ms, $5 ahead ms, $6/$7 shrinks (from, to); mirrors decideGrant.
// The row is read once under its lock (`r`, FOR UPDATE: a concurrent take is waited for, then its result is read),
// the shrinks applied and the expired ends dropped once (`n`), the slot computed from that (`g`). Written as
// INSERT … ON CONFLICT DO UPDATE, the shrunk array had to be spelt out in every SET and WHERE expression that used
// it, and PostgreSQL evaluated it four times per take: with bench:inbound's replies (1,000 QPS allowed, ~300 live
// ends) the take was the costliest statement of a push, 4.6 ms of backend CPU (log_*_stats, 2026-12-05).
// Refused (slot too far ahead): no update, shrinks not applied; the outer SELECT reports the row as locked, for
// the wait (the ends only then: a grant does not read them, and parsing ~300 floats per take showed in the
// service's profile, bench:inbound). No row yet: the first take inserts it (a concurrent first insert makes this
// one a refusal, retried).
//
// synchronous_commit is off for this one statement's transaction (set_config(…, true) lasts until its commit): a
// take is on the critical path of every send and the takes of one API go one at a time, so waiting for a WAL
// flush per take (tens of ms on a busy disk) would cap the fleet below the limit. The row is only a short-lived
// schedule: what a server crash could lose is the last few ms of slots, never a message. Other sessions see the
// update at once either way.
export const TAKE_SQL = `
WITH c AS (
  SELECT (extract(epoch FROM clock_timestamp()) * 1000)::float8 AS ms, set_config('synchronous_commit', 'off', true)
),
r AS (SELECT s.last_at, s.live FROM rate_slots s WHERE s.api = $1 FOR UPDATE),
n AS MATERIALIZED (
  SELECT r.last_at, ARRAY(SELECT u FROM unnest(${shrunk("r.live", "$6", "$7")}) u WHERE u > c.ms ORDER BY u) AS live
  FROM r, c
),
g AS MATERIALIZED (
  SELECT greatest(c.ms, n.last_at + $4::float8,
           CASE WHEN cardinality(n.live) >= $2::int THEN n.live[cardinality(n.live) - $2::int + 1] + 0.001 END) AS at,
         n.live
  FROM n, c
),
u AS (
  UPDATE rate_slots s SET last_at = g.at, live = g.live || ARRAY[g.at + 1000 + $3::float8]
  FROM g, c WHERE s.api = $1 AND g.at <= c.ms + $5::float8
  RETURNING s.last_at AS at, s.live[cardinality(s.live)] AS until
),
i AS (
  INSERT INTO rate_slots (api, last_at, live)
  SELECT $1, c.ms, ARRAY[c.ms + 1000 + $3::float8] FROM c WHERE NOT EXISTS (SELECT 1 FROM r)
  ON CONFLICT (api) DO NOTHING
  RETURNING last_at AS at, live[cardinality(live)] AS until
),
t AS (SELECT at, until FROM u UNION ALL SELECT at, until FROM i)
SELECT c.ms AS now, t.at, t.until, r.last_at, CASE WHEN t.at IS NULL THEN r.live END AS live
FROM c LEFT JOIN t ON true LEFT JOIN r ON true`;

/** `applyShrinks` as a query ($1 ends, $2/$3 shrinks), for the test that the two agree. */
export const APPLY_SHRINKS_SQL = `SELECT ${shrunk("$1::float8[]", "$2", "$3")} AS live`;

// $1 api, $2/$3 shrinks (from, to), outside a take.
export const SHRINK_SQL = `UPDATE rate_slots SET live = ${shrunk("live", "$2", "$3")} WHERE api = $1`;

// Removes one slot with that end (two equal ends are interchangeable).
export const RELEASE_SQL = `
UPDATE rate_slots SET live = live[:array_position(live, $2::float8) - 1] || live[array_position(live, $2::float8) + 1:]
WHERE api = $1 AND array_position(live, $2::float8) IS NOT NULL`;
