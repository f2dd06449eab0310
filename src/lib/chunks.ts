/**
 * Consecutive slices of at most `size` rows. Bulk writes send a big set as several statements of this many rows
 * inside their one transaction: PGlite's WebAssembly heap grows to fit the largest single statement (its
 * parameters, its rows in flight) and never shrinks, so one 50,000-row statement costs the process its memory
 * for good; on PostgreSQL the cost is a few round trips more.
 */
export function* chunks<T>(rows: readonly T[], size: number): Generator<T[]> {
  if (!(size >= 1)) throw new RangeError(`chunk size must be at least 1, got ${size}`);
  for (let i = 0; i < rows.length; i += size) yield rows.slice(i, i + size);
}
