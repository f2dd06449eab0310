-- What the digest reads per person rather than per entry (docs/architecture.md "Kept for the digest"), kept in
-- the same transaction as every write by triggers, so that fixtures, imports and migrations that insert directly
-- are covered too, and backfilled here from the rows already stored.
--
-- progress_figure: the figure in force per (plan, metric, person, period) — an IMPORT beats a SELF_REPORT, then
-- the latest id (IN_FORCE_ORDER) — with the person's running total ("ytd") over the keys of the same year and
-- cadence ("series": "2026-W", "2026-" for months, "2026-Q") up to and including that period. A late figure for
-- an earlier period adds its change to that period's and every later period's running total.
-- progress_series_person: who has figures in a plan's series, with the same two things as arrays by the period's
-- number in the year (1–53: "2026-W50" → 50, "2026-04" → 4): "amounts" the figures in force (NULL: none), "ytd"
-- the running totals (0 before the first figure). The digest reads one such row per owner. Its row is also the
-- lock that orders one person's writes.
-- progress_period_total: per (plan, metric, period) the sum of everyone's figures in force (the digest's bars).
-- target_month_amounts: each target's month amounts as one array in month order, as target_month holds them.

-- CreateTable
CREATE TABLE "progress_figure" (
    "plan_id" TEXT NOT NULL,
    "metric" "Metric" NOT NULL,
    "user_id" TEXT NOT NULL,
    "series" TEXT NOT NULL,
    "period" TEXT NOT NULL,
    "amount" BIGINT NOT NULL,
    "ytd" DECIMAL(65,0) NOT NULL,

    CONSTRAINT "progress_figure_pkey" PRIMARY KEY ("plan_id","metric","user_id","series","period")
);

-- CreateTable
CREATE TABLE "progress_series_person" (
    "plan_id" TEXT NOT NULL,
    "metric" "Metric" NOT NULL,
    "series" TEXT NOT NULL,
    "user_id" TEXT NOT NULL,
    "amounts" BIGINT[],
    "ytd" DECIMAL(65,0)[],

    CONSTRAINT "progress_series_person_pkey" PRIMARY KEY ("plan_id","metric","series","user_id")
);

-- CreateTable
CREATE TABLE "progress_period_total" (
    "plan_id" TEXT NOT NULL,
    "metric" "Metric" NOT NULL,
    "series" TEXT NOT NULL,
    "period" TEXT NOT NULL,
    "amount" DECIMAL(65,0) NOT NULL,

    CONSTRAINT "progress_period_total_pkey" PRIMARY KEY ("plan_id","metric","series","period")
);

-- CreateTable
CREATE TABLE "target_month_amounts" (
    "target_id" TEXT NOT NULL,
    "amounts" BIGINT[],

    CONSTRAINT "target_month_amounts_pkey" PRIMARY KEY ("target_id")
);

-- AddForeignKey
ALTER TABLE "target_month_amounts" ADD CONSTRAINT "target_month_amounts_target_id_fkey" FOREIGN KEY ("target_id") REFERENCES "target"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- A period key's series ("2026-W14" → "2026-W", "2026-04" → "2026-", "2026-Q2" → "2026-Q"); NULL for anything else.
CREATE FUNCTION "progress_series_of"(period TEXT) RETURNS TEXT LANGUAGE sql IMMUTABLE AS $$
  SELECT substring(period FROM '^([0-9]{4}-[WQ]?)[0-9]{2}$')
$$;

-- Progress entries are history: a correction is a new entry (latest wins), never an edit, so the figures kept
-- from them stay true.
CREATE FUNCTION "progress_entry_append_only"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'progress_entry is append-only: a correction is a new entry';
END $$;
CREATE TRIGGER "progress_entry_append_only" BEFORE UPDATE OR DELETE ON "progress_entry"
  FOR EACH ROW EXECUTE FUNCTION "progress_entry_append_only"();

-- After each new entry: the figure in force of its person and period, their later running totals and the
-- plan's period total, by the change in the figure in force (nothing when it did not change: a self-report
-- under an import, a repeat).
CREATE FUNCTION "progress_figure_keep"() RETURNS trigger LANGUAGE plpgsql AS $$
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
  INSERT INTO "progress_period_total" AS t ("plan_id", "metric", "series", "period", "amount")
    VALUES (NEW.plan_id, NEW.metric, s, NEW.period, delta)
    ON CONFLICT ("plan_id", "metric", "series", "period") DO UPDATE SET "amount" = t."amount" + EXCLUDED."amount";
  RETURN NULL;
END $$;
CREATE TRIGGER "progress_figure_keep" AFTER INSERT ON "progress_entry"
  FOR EACH ROW EXECUTE FUNCTION "progress_figure_keep"();

-- Everything kept from progress_entry, rebuilt from it in one set-based pass: this migration's backfill, and
-- bench:digest's after a bulk load with the row trigger disabled. The property test checks that the trigger
-- keeps exactly what this computes.
CREATE FUNCTION "progress_figure_rebuild"() RETURNS void LANGUAGE plpgsql AS $$
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
  INSERT INTO "progress_period_total" ("plan_id", "metric", "series", "period", "amount")
  SELECT plan_id, metric, series, period, sum(amount) FROM "progress_figure" GROUP BY plan_id, metric, series, period;
END $$;
SELECT "progress_figure_rebuild"();

-- The month amounts of the targets a statement on target_month touched, again as one array each.
CREATE FUNCTION "target_month_amounts_keep"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO "target_month_amounts" ("target_id", "amounts")
  SELECT m.target_id, array_agg(m.amount ORDER BY m.month) FROM "target_month" m
   WHERE m.target_id IN (SELECT target_id FROM changed_rows) GROUP BY m.target_id
  ON CONFLICT ("target_id") DO UPDATE SET "amounts" = EXCLUDED."amounts";
  DELETE FROM "target_month_amounts" a
   WHERE a.target_id IN (SELECT target_id FROM changed_rows)
     AND NOT EXISTS (SELECT 1 FROM "target_month" m WHERE m.target_id = a.target_id);
  RETURN NULL;
END $$;
CREATE TRIGGER "target_month_amounts_insert" AFTER INSERT ON "target_month"
  REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION "target_month_amounts_keep"();
CREATE TRIGGER "target_month_amounts_delete" AFTER DELETE ON "target_month"
  REFERENCING OLD TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION "target_month_amounts_keep"();
CREATE TRIGGER "target_month_amounts_update_new" AFTER UPDATE ON "target_month"
  REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION "target_month_amounts_keep"();
CREATE TRIGGER "target_month_amounts_update_old" AFTER UPDATE ON "target_month"
  REFERENCING OLD TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION "target_month_amounts_keep"();

INSERT INTO "target_month_amounts" ("target_id", "amounts")
SELECT target_id, array_agg(amount ORDER BY month) FROM "target_month" GROUP BY target_id;
