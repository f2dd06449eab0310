import { describe, expect, it } from "vitest";
import { leastTimeAtRate } from "../../bench/recovery-floor.ts";

describe("bench:recovery's floor", () => {
  it("lets 20 calls go at once and each further 20 a second later", () => {
    expect(leastTimeAtRate(Array(20).fill(0), [], 20, 1000)).toBe(0);
    expect(leastTimeAtRate(Array(21).fill(0), [], 20, 1000)).toBe(1000);
    expect(leastTimeAtRate(Array(150).fill(0), [], 20, 1000)).toBe(7000);
  });

  it("counts the calls of the last second before the start", () => {
    // 20 calls 400 ms before the start fill the window until 600 ms after it.
    expect(leastTimeAtRate([0], Array(20).fill(-400), 20, 1000)).toBe(600);
    expect(leastTimeAtRate([0], Array(19).fill(-400), 20, 1000)).toBe(0);
  });

  it("holds a leased call until its lease ends, while the others go", () => {
    // 10 free calls at once, then 5 held until 4 s: the held ones bound the end.
    expect(leastTimeAtRate([...Array(10).fill(0), ...Array(5).fill(4000)], [], 20, 1000)).toBe(4000);
    // 30 free and 15 held until 1.5 s: the window (20 at 0, 10 at 1000, then 10 of the held at 1500 — 20 in
    // [1000, 2000) — the last 5 at 2000).
    expect(leastTimeAtRate([...Array(30).fill(0), ...Array(15).fill(1500)], [], 20, 1000)).toBe(2000);
  });
});
