/**
 * The set-based form of the leave rule (src/domain/leave-dates.ts `awayForPeriod`), for any query that must leave
 * out — or excuse — people who are away: true when the person `userExpr` names is on a leave (not cancelled) on
 * every one of the dates `datesExpr` gives, a comma-separated text of "YYYY-MM-DD" dates (a query parameter, e.g.
 * `$2`: from `periodWorkdayDates(period, calendar)` for a period, or one date for a day). No dates → false.
 *
 * One subquery per row, answered by the (user_id, from_date, to_date) index; a person with no leave costs one
 * index probe.
 */
export function awayOnAllSql(userExpr: string, datesExpr: string): string {
  const days = `unnest(string_to_array(${datesExpr}, ',')::date[]) AS away_day(d)`;
  return `(EXISTS (SELECT 1 FROM ${days})
     AND NOT EXISTS (SELECT 1 FROM ${days}
       WHERE NOT EXISTS (SELECT 1 FROM staff_leave l WHERE l.user_id = ${userExpr} AND l.cancelled_at IS NULL
                            AND away_day.d BETWEEN l.from_date AND l.to_date)))`;
}

/** The `datesExpr` parameter of {@link awayOnAllSql} for a list of dates. */
export const awayDates = (dates: readonly string[]): string => dates.join(",");
