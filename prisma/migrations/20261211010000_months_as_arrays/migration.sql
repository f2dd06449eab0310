-- Months as one array per leaf (issue #17, bench:decompose): target_month_amounts becomes the table of record for
-- a leaf's 12 month amounts, and target_month a view over it with the same columns (target_id, month, amount).
-- Phasing 10,000 leaves wrote 120,000 target_month rows plus, through the statement triggers of migrations
-- 20261208010000_digest_kept and 20261210030000_month_rows_cheaper, the same amounts again as 10,000 arrays; now it
-- writes the 10,000 arrays alone, and the triggers that kept the two in step go.

-- Every target's month rows must be exactly months 1–12 to become an array of 12 in month order: a target with
-- some months missing (rows deleted by hand) would otherwise get its amounts shifted to the wrong months, or be
-- refused by the CHECK below with a message that does not say which target. Nothing is dropped silently:
-- the migration stops and names the targets (the conservation check already reports them as MONTHS violations).
DO $$
DECLARE
  bad TEXT;
BEGIN
  SELECT string_agg(target_id, ', ') INTO bad FROM (
    SELECT target_id FROM "target_month" GROUP BY target_id
    HAVING count(*) <> 12 OR min(month) <> 1 OR max(month) <> 12 OR bool_or(amount IS NULL)
    ORDER BY target_id LIMIT 20) t;
  IF bad IS NOT NULL THEN
    RAISE EXCEPTION 'target_month rows are not 12 months (1-12) for target(s) %: repair or delete those rows, then start again', bad;
  END IF;
END $$;

-- The kept arrays equal the rows (the triggers kept them in the same transaction as every write); rebuilt here
-- from the rows all the same, since after this migration the rows are gone and the arrays are all there is.
DELETE FROM "target_month_amounts";
INSERT INTO "target_month_amounts" ("target_id", "amounts")
SELECT target_id, array_agg(amount ORDER BY month) FROM "target_month" GROUP BY target_id;

-- DropTable (its keeping triggers go with it)
DROP TABLE "target_month";
DROP FUNCTION "target_month_amounts_keep"();
DROP FUNCTION "target_month_amounts_insert_keep"();

-- A month array is exactly 12 amounts, January first (lower bound 1, one dimension), none NULL: a leaf is either
-- phased (a row) or not (no row), never partly. Whether the 12 sum to the leaf's amount is checked by the
-- conservation check (src/plans/check-plan-conservation.ts), which reports the target; a CHECK cannot see the
-- target's amount.
ALTER TABLE "target_month_amounts" ADD CONSTRAINT "target_month_amounts_twelve"
  CHECK ("amounts" IS NOT NULL AND array_ndims("amounts") = 1 AND array_lower("amounts", 1) = 1
         AND cardinality("amounts") = 12 AND array_position("amounts", NULL) IS NULL);

-- One row per month for the readers that want rows (progress, evaluation, the target card): not writable.
CREATE VIEW "target_month" AS
SELECT a."target_id", m."month"::INTEGER AS "month", m."amount"
  FROM "target_month_amounts" a
 CROSS JOIN LATERAL unnest(a."amounts") WITH ORDINALITY AS m("amount", "month");
