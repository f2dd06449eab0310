-- Monthly cells cost less to write (issue #17, bench:decompose): phasing 10,000 leaves writes 120,000 rows.
--
-- 1. target_month loses its own foreign key. It was checked once per month row (120,000 checks, ~40% of the
--    month insert's time by EXPLAIN ANALYZE). Its statement trigger below writes a target_month_amounts row for
--    every target the statement gave months to (and the UPDATE triggers for every target a row moved to), and
--    that table's foreign key refuses an unknown target, so the statement still fails as a whole — checked once
--    per target. Targets are never deleted (the ledger references every one without a cascade), so the
--    cascade the key carried had nothing to do.
-- 2. The INSERT trigger keeps target_month_amounts from the inserted rows alone. A target without a
--    target_month_amounts row had no months before the statement (the triggers keep the two in step), so its
--    new array is exactly its inserted rows in month order; only a target that already had months is read
--    back from target_month. The old function joined the whole table to the inserted rows and then ran the
--    DELETE half, which an INSERT can never need.
ALTER TABLE "target_month" DROP CONSTRAINT "target_month_target_id_fkey";

CREATE FUNCTION "target_month_amounts_insert_keep"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO "target_month_amounts" ("target_id", "amounts")
  SELECT c.target_id, array_agg(c.amount ORDER BY c.month) FROM changed_rows c GROUP BY c.target_id
  ON CONFLICT ("target_id") DO UPDATE SET "amounts" =
    (SELECT array_agg(m.amount ORDER BY m.month) FROM "target_month" m WHERE m.target_id = EXCLUDED.target_id);
  RETURN NULL;
END $$;
DROP TRIGGER "target_month_amounts_insert" ON "target_month";
CREATE TRIGGER "target_month_amounts_insert" AFTER INSERT ON "target_month"
  REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION "target_month_amounts_insert_keep"();
