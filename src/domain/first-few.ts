/**
 * The `n` first items of `items` in the order `order` gives them, as a stable sort followed by `slice(0, n)` would
 * return them (items that compare equal keep their input order) — a selection, not a sort: a list of 50,000
 * people or 5,000 names of which a digest shows five or twenty.
 */
export function firstFew<T>(items: Iterable<T>, order: (a: T, b: T) => number, n: number): T[] {
  const few: T[] = [];
  if (n <= 0) return few;
  for (const item of items) {
    if (few.length === n && order(item, few[n - 1]!) >= 0) continue;
    let i = few.length === n ? n - 1 : few.length;
    while (i > 0 && order(item, few[i - 1]!) < 0) {
      few[i] = few[i - 1]!;
      i--;
    }
    few[i] = item;
  }
  return few;
}
