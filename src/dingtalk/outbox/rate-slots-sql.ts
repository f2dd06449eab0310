/**
 * The SQL of the fleet rate limiter (fleet-rate-limiter.ts), over the `rate_slots` row of one API. TAKE_SQL is
 * `decideGrant` (rate-slots.ts) done under the row lock; the proof of why it keeps the limit is in rate-slots.ts.
 */

export interface TakeRow {
  now: number;
  at: number | null;
  until: number | null;
  last_at: number | null;
  live: number[] | null;
}

/** `applyShrinks` in SQL: the k-th shrink from a value replaces the k-th end equal to it. */
const shrunk = (live: string, from: string, to: string) => `ARRAY(
  SELECT COALESCE(x.n, l.u)
  FROM (SELECT u, row_number() OVER (PARTITION BY u) AS k FROM unnest(${live}) u) l
  LEFT JOIN (SELECT o, n, row_number() OVER (PARTITION BY o) AS k
             FROM unnest(${from}::float8[], ${to}::float8[]) t(o, n) WHERE n < o) x ON x.o = l.u AND x.k = l.k)`;

// $1 api, $2 qps, $3 margin ms, $4 spacing ms, $5 ahead ms, $6/$7 shrinks (from, to); mirrors decideGrant.
// Refused (no update, shrinks not applied) when the slot is too far ahead: then the outer SELECT reports the
// state as of the statement's start, for the wait.
const LIVE_NOW = shrunk("s.live", "$6", "$7");
const LIVE = `ARRAY(SELECT u FROM unnest(${LIVE_NOW}) u WHERE u > EXCLUDED.last_at ORDER BY u)`;
const AT = `greatest(EXCLUDED.last_at, s.last_at + $4::float8,
  (SELECT u + 0.001 FROM unnest(${LIVE_NOW}) u WHERE u > EXCLUDED.last_at ORDER BY u DESC OFFSET $2::int - 1 LIMIT 1))`;
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
t AS (
  INSERT INTO rate_slots AS s (api, last_at, live)
  SELECT $1, c.ms, ARRAY[c.ms + 1000 + $3::float8] FROM c
  ON CONFLICT (api) DO UPDATE SET last_at = ${AT}, live = ${LIVE} || ARRAY[${AT} + 1000 + $3::float8]
  WHERE ${AT} <= EXCLUDED.last_at + $5::float8
  RETURNING s.last_at AS at, s.live[cardinality(s.live)] AS until
)
SELECT c.ms AS now, t.at, t.until, r.last_at, r.live
FROM c LEFT JOIN t ON true LEFT JOIN rate_slots r ON r.api = $1`;

/** `applyShrinks` as a query ($1 ends, $2/$3 shrinks), for the test that the two agree. */
export const APPLY_SHRINKS_SQL = `SELECT ${shrunk("$1::float8[]", "$2", "$3")} AS live`;

// $1 api, $2/$3 shrinks (from, to), outside a take.
export const SHRINK_SQL = `UPDATE rate_slots SET live = ${shrunk("live", "$2", "$3")} WHERE api = $1`;

// Removes one slot with that end (two equal ends are interchangeable).
export const RELEASE_SQL = `
UPDATE rate_slots SET live = live[:array_position(live, $2::float8) - 1] || live[array_position(live, $2::float8) + 1:]
WHERE api = $1 AND array_position(live, $2::float8) IS NOT NULL`;
