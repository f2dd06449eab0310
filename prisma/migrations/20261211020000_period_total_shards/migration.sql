-- The plan-period total in 16 shards (issue #17): progress_period_total gets a "shard" column in its key,
-- "progress_total_shard"(user_id) (the low 4 bits of hashtext), and the trigger adds a person's change to their
-- shard's row only. Why: with one row per (plan, metric, series, period) every chat report of a plan-week updated
-- that one row at its commit (migration 20261209010000_progress_kept_at_commit), so each report's commit waited
-- for the one before it to commit (the previous profile: 2.2 ms on average with 8 in flight, longer in the tail
-- at 200 pushes/s). Two people in different shards now never wait on each other; two in the same shard wait as
-- before. The reader (src/flows/digest/digest-data.ts) sums a period's shards.
--
-- Still exact: which row a change lands in does not change the sum; per shard it is also exactly the sum of that
-- shard's people's figures in force, which progress_figure_rebuild() computes the same way (the property test in
-- test/integration/digest-kept.test.ts compares the two row by row). Lock order: a person's row, then the
-- period total's shard row. A chat report takes one shard row; an import locks its people first, then inserts by
-- plan, metric, period and shard (src/flows/progress/report-progress.ts), so every writer takes shard rows in one
-- order.
ALTER TABLE "progress_period_total" ADD COLUMN "shard" SMALLINT NOT NULL DEFAULT 0;
ALTER TABLE "progress_period_total" ALTER COLUMN "shard" DROP DEFAULT;
ALTER TABLE "progress_period_total" DROP CONSTRAINT "progress_period_total_pkey";
ALTER TABLE "progress_period_total"
  ADD CONSTRAINT "progress_period_total_pkey" PRIMARY KEY ("plan_id", "metric", "series", "period", "shard");

-- A person's shard of a period total, 0–15. hashtext rather than the id's order: ids of one department are
-- consecutive, and people reporting at the same time should not fall into neighbouring, let alone the same, rows.
CREATE FUNCTION "progress_total_shard"(user_id TEXT) RETURNS SMALLINT LANGUAGE sql IMMUTABLE AS $$
  SELECT (hashtext(user_id) & 15)::SMALLINT
$$;

-- As in migration 20261208010000_digest_kept, but the period total's row is the person's shard of it.
CREATE OR REPLACE FUNCTION "progress_figure_keep"() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  s TEXT := "progress_series_of"(NEW.period);
  in_force BIGINT;
  was BIGINT;
  before_ytd NUMERIC;
  delta NUMERIC;
  k INT;
BEGIN
  IF s IS NULL THEN RETURN NULL; END IF;
  -- One person's writes one after another: the running totals below read and move a chain of their rows.
  INSERT INTO "progress_series_person" ("plan_id", "metric", "series", "user_id", "amounts", "ytd")
    VALUES (NEW.plan_id, NEW.metric, s, NEW.user_id, array_fill(NULL::BIGINT, ARRAY[53]), array_fill(0::NUMERIC, ARRAY[53]))
    ON CONFLICT DO NOTHING;
  PERFORM 1 FROM "progress_series_person"
    WHERE "plan_id" = NEW.plan_id AND "metric" = NEW.metric AND "series" = s AND "user_id" = NEW.user_id FOR UPDATE;
  -- Read after the lock: under READ COMMITTED this statement sees every entry committed before it.
  SELECT e."amount" INTO in_force FROM "progress_entry" e
    WHERE e."plan_id" = NEW.plan_id AND e."metric" = NEW.metric AND e."user_id" = NEW.user_id AND e."period" = NEW.period
    ORDER BY (e."source" = 'IMPORT') DESC, e."id" DESC LIMIT 1;
  SELECT f."amount" INTO was FROM "progress_figure" f
    WHERE f."plan_id" = NEW.plan_id AND f."metric" = NEW.metric AND f."user_id" = NEW.user_id AND f."series" = s
      AND f."period" = NEW.period;
  IF FOUND THEN
    IF was = in_force THEN RETURN NULL; END IF;
    delta := in_force::NUMERIC - was;
    UPDATE "progress_figure" SET "amount" = in_force, "ytd" = "ytd" + delta
      WHERE "plan_id" = NEW.plan_id AND "metric" = NEW.metric AND "user_id" = NEW.user_id AND "series" = s
        AND "period" = NEW.period;
  ELSE
    delta := in_force;
    SELECT f."ytd" INTO before_ytd FROM "progress_figure" f
      WHERE f."plan_id" = NEW.plan_id AND f."metric" = NEW.metric AND f."user_id" = NEW.user_id AND f."series" = s
        AND f."period" < NEW.period
      ORDER BY f."period" DESC LIMIT 1;
    INSERT INTO "progress_figure" ("plan_id", "metric", "user_id", "series", "period", "amount", "ytd")
      VALUES (NEW.plan_id, NEW.metric, NEW.user_id, s, NEW.period, in_force, coalesce(before_ytd, 0) + in_force);
  END IF;
  -- A late figure for an earlier period moves the running totals of every later period.
  UPDATE "progress_figure" SET "ytd" = "ytd" + delta
    WHERE "plan_id" = NEW.plan_id AND "metric" = NEW.metric AND "user_id" = NEW.user_id AND "series" = s
      AND "period" > NEW.period;
  k := right(NEW.period, 2)::INT;
  UPDATE "progress_series_person" p
     SET "amounts"[k] = in_force,
         "ytd" = ARRAY(SELECT CASE WHEN i >= k THEN p."ytd"[i] + delta ELSE p."ytd"[i] END FROM generate_series(1, 53) AS i)
   WHERE p."plan_id" = NEW.plan_id AND p."metric" = NEW.metric AND p."series" = s AND p."user_id" = NEW.user_id;
  INSERT INTO "progress_period_total" AS t ("plan_id", "metric", "series", "period", "shard", "amount")
    VALUES (NEW.plan_id, NEW.metric, s, NEW.period, "progress_total_shard"(NEW.user_id), delta)
    ON CONFLICT ("plan_id", "metric", "series", "period", "shard") DO UPDATE SET "amount" = t."amount" + EXCLUDED."amount";
  RETURN NULL;
END $$;

-- As in migration 20261208010000_digest_kept, with the period totals by shard.
CREATE OR REPLACE FUNCTION "progress_figure_rebuild"() RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM "progress_figure";
  DELETE FROM "progress_series_person";
  DELETE FROM "progress_period_total";
  INSERT INTO "progress_figure" ("plan_id", "metric", "user_id", "series", "period", "amount", "ytd")
  SELECT plan_id, metric, user_id, series, period, amount,
         sum(amount) OVER (PARTITION BY plan_id, metric, user_id, series ORDER BY period)
    FROM (SELECT DISTINCT ON (plan_id, metric, user_id, period) plan_id, metric, user_id, period, amount,
                 "progress_series_of"(period) AS series
            FROM "progress_entry"
           ORDER BY plan_id, metric, user_id, period, (source = 'IMPORT') DESC, id DESC) in_force
   WHERE series IS NOT NULL;
  INSERT INTO "progress_series_person" ("plan_id", "metric", "series", "user_id", "amounts", "ytd")
  SELECT plan_id, metric, series, user_id, array_agg(amount ORDER BY i), array_agg(ytd ORDER BY i)
    FROM (SELECT p.plan_id, p.metric, p.series, p.user_id, i, f.amount,
                 coalesce(sum(f.amount) OVER (PARTITION BY p.plan_id, p.metric, p.series, p.user_id ORDER BY i), 0) AS ytd
            FROM (SELECT DISTINCT plan_id, metric, series, user_id FROM "progress_figure") p
           CROSS JOIN generate_series(1, 53) AS i
            LEFT JOIN "progress_figure" f
              ON f.plan_id = p.plan_id AND f.metric = p.metric AND f.series = p.series AND f.user_id = p.user_id
             AND f.period = p.series || lpad(i::text, 2, '0')) numbered
   GROUP BY plan_id, metric, series, user_id;
  INSERT INTO "progress_period_total" ("plan_id", "metric", "series", "period", "shard", "amount")
  SELECT plan_id, metric, series, period, "progress_total_shard"(user_id) AS shard, sum(amount)
    FROM "progress_figure" GROUP BY plan_id, metric, series, period, shard;
END $$;

-- The totals already kept, split into the shards (from progress_figure, which holds every figure in force).
DELETE FROM "progress_period_total";
INSERT INTO "progress_period_total" ("plan_id", "metric", "series", "period", "shard", "amount")
SELECT plan_id, metric, series, period, "progress_total_shard"(user_id) AS shard, sum(amount)
  FROM "progress_figure" GROUP BY plan_id, metric, series, period, shard;
