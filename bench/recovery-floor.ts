/**
 * The earliest the last of some calls can go when at most `limit` may fall in any sliding `windowMs` (DingTalk's
 * QPS limit, docs/dingtalk.md §8) and call i may not go before `avail[i]` (ms): the floor of bench:recovery.
 * `prior` are the times of calls already made (negative: before time 0) that still count in the window. Greedy
 * in order of availability, each call at the first moment both it is available and the window has room: no
 * schedule ends sooner (an exchange argument: any schedule's k-th call is no earlier than the greedy one's).
 * Network time is not counted: zero latency, so the figure is a true lower bound.
 */
export function leastTimeAtRate(
  avail: readonly number[],
  prior: readonly number[],
  limit: number,
  windowMs: number,
): number {
  const sent = [...prior].sort((a, b) => a - b);
  let last = 0;
  for (const at of [...avail].sort((a, b) => a - b)) {
    // The call that would be `limit` calls back once this one goes: this one must be a window after it.
    const bound = sent.length >= limit ? sent[sent.length - limit]! + windowMs : Number.NEGATIVE_INFINITY;
    last = Math.max(at, bound, 0);
    sent.push(last);
  }
  return last;
}
