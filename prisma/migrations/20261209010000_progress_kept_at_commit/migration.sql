-- The kept figures (migration 20261208010000_digest_kept) are now brought up to date at commit rather than at
-- each INSERT: the same function, as a deferred constraint trigger. Why: the row trigger locked the person's
-- progress_series_person row and the plan-period's progress_period_total row at the INSERT, and held them while
-- the rest of the handler's transaction ran (its reply row, more statements, one network round trip each) — so
-- every chat report of a plan-week queued behind the one before on that one period-total row for its whole
-- transaction, which cut bench:inbound's capacity on PostgreSQL from 167 to 64 pushes/s. Deferred, the rows are
-- locked only from the end of the transaction to its commit.
--
-- Still exact: the function reconciles a (plan, metric, person, period) to its figure in force, read after the
-- person's lock, and compares it with the figure kept; run at commit it sees every entry of its own transaction,
-- so a second entry for the same key in one transaction finds the figure already kept and changes nothing.
-- Still in the writing transaction (it commits or rolls back with it). Lock order is unchanged: a person's row,
-- then the period total, per entry in insertion order (imports pre-lock their people in sorted order and insert
-- by plan, metric and period: src/flows/progress/report-progress.ts). Within the writing transaction the kept
-- tables now show the entries only after the commit; nothing reads them there (the digest reads in its own).
DROP TRIGGER "progress_figure_keep" ON "progress_entry";
CREATE CONSTRAINT TRIGGER "progress_figure_keep" AFTER INSERT ON "progress_entry"
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION "progress_figure_keep"();
