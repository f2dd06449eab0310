import { describe, expect, it } from "vitest";
import { clockText, createBusinessClock, stepTarget } from "../../src/sandbox/business-clock.ts";

const ZONE = "Asia/Shanghai";
const at = (iso: string) => new Date(iso);

describe("the sandbox's business clock", () => {
  it("steps land on the next day, the coming Friday 16:00 / Monday 12:00, or a week later", () => {
    const wed = at("2026-03-04T10:30:00+08:00");
    expect(clockText(stepTarget("next-day", wed, ZONE), ZONE)).toBe("2026-03-05 周四 10:30");
    expect(clockText(stepTarget("friday-16", wed, ZONE), ZONE)).toBe("2026-03-06 周五 16:00");
    expect(clockText(stepTarget("monday-12", wed, ZONE), ZONE)).toBe("2026-03-09 周一 12:00");
    expect(clockText(stepTarget("next-week", wed, ZONE), ZONE)).toBe("2026-03-11 周三 10:30");
    // On Friday at 16:00 or later the coming Friday is next week's; before, today's.
    expect(clockText(stepTarget("friday-16", at("2026-03-06T16:00:00+08:00"), ZONE), ZONE)).toBe(
      "2026-03-13 周五 16:00",
    );
    expect(clockText(stepTarget("friday-16", at("2026-03-06T09:00:00+08:00"), ZONE), ZONE)).toBe(
      "2026-03-06 周五 16:00",
    );
    expect(clockText(stepTarget("monday-12", at("2026-03-09T11:59:00+08:00"), ZONE), ZONE)).toBe(
      "2026-03-09 周一 12:00",
    );
  });

  it("starts where it is told, moves only forward, and refuses an earlier moment without moving", () => {
    let real = at("2026-12-05T00:00:00Z").getTime();
    const clock = createBusinessClock(() => new Date(real), ZONE, at("2026-03-02T09:00:00+08:00"));
    expect(clockText(clock.now(), ZONE)).toBe("2026-03-02 周一 09:00");
    real += 60_000; // it runs on in real time
    expect(clockText(clock.now(), ZONE)).toBe("2026-03-02 周一 09:01");
    clock.moveTo(at("2026-03-06T16:00:00+08:00"));
    expect(clockText(clock.now(), ZONE)).toBe("2026-03-06 周五 16:00");
    expect(() => clock.moveTo(at("2026-03-05T16:00:00+08:00"))).toThrow(/只能向前拨/);
    expect(() => clock.moveTo(clock.now())).toThrow(/只能向前拨/);
    expect(clockText(clock.now(), ZONE)).toBe("2026-03-06 周五 16:00");
  });
});
