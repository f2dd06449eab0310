-- rate_window was the per-second counter of the first fleet rate limiter. Since migration
-- 20261123070000_rate_slots the limiter keeps its slots in rate_slots, and no code reads or writes rate_window.

-- DropTable
DROP TABLE "rate_window";
