import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { defaultCalendar as cal } from "../../src/domain/calendar.ts";
import {
  buildDigest,
  type DigestInput,
  type DigestLeafInput,
  type DigestPersonInput,
} from "../../src/domain/digest.ts";
import { EXCEPTIONS_PER_KIND } from "../../src/domain/digest-exceptions.ts";
import { expectedAt, leafMonths, summedExpectedAt } from "../../src/domain/expected-points.ts";
import { accrualPoint, expectedToDate } from "../../src/domain/phasing.ts";

const person = (userId: string, name: string, managerUserId: string | null, active = true): DigestPersonInput => ({
  userId,
  name,
  managerUserId,
  active,
});

const leaf = (id: string, owner: string | null, region: [string, string], line: string, annual: bigint) => ({
  targetId: id,
  ownerUserId: owner,
  path: [
    { dimension: "REGION", key: region[0], label: region[1] },
    { dimension: "PRODUCT_LINE", key: line, label: line },
    { dimension: "OWNER", key: owner ?? id, label: owner ?? id },
  ],
  annual,
  ytdTarget: annual / 2n,
  previousYtdTarget: annual / 2n - annual / 52n,
});

const EAST: [string, string] = ["11", "华东"];
const SOUTH: [string, string] = ["12", "华南"];

function input(over: Partial<DigestInput> = {}): DigestInput {
  const people = [
    person("dir", "王建国", null),
    person("m11", "赵经理", "dir"),
    person("m12", "钱经理", "dir"),
    person("a", "张三", "m11"),
    person("b", "李娜", "m11"),
    person("c", "王五", "m12"),
    person("gone", "孙离", "m12", false),
  ];
  return {
    plan: { id: "p", name: "2026", fiscalYear: 2026, cadence: "WEEK", unit: "CNY", metric: "REVENUE" },
    period: "2026-W26",
    previousPeriod: "2026-W25",
    viewer: { userId: null, name: null, scope: "PLAN", role: null },
    pace: { elapsed: 25, total: 51, remaining: 26 },
    leaves: [
      leaf("t1", "a", EAST, "云服务", 5_200_000n),
      leaf("t2", "b", EAST, "云服务", 5_200_000n),
      // 王五 owns a leaf in each region: his one figure is shared 3 : 1 by the leaves' annual targets.
      leaf("t3", "c", SOUTH, "终端", 3_900_000n),
      leaf("t4", "c", EAST, "终端", 1_300_000n),
      leaf("t5", "gone", SOUTH, "终端", 2_600_000n),
    ],
    people: new Map(people.map((p) => [p.userId, p])),
    teamRoot: "dir",
    figures: new Map([
      ["a", { ytdActual: 2_600_000n, periodActual: 120_000n }],
      ["b", { ytdActual: 1_000_000n, periodActual: null }],
      ["c", { ytdActual: 2_000_001n, periodActual: 100_001n }],
      ["gone", { ytdActual: 500_000n, periodActual: null }],
    ]),
    series: [
      { period: "2026-W25", actual: 100n, expected: 200n },
      { period: "2026-W26", actual: 300n, expected: 400n },
    ],
    exceptions: {
      escalations: [{ userId: "b", name: "李娜", streak: 2 }],
      misses: [
        { userId: "b", name: "李娜", target: 100_000n, actual: null },
        { userId: "c", name: "王五", target: 150_000n, actual: 100_001n },
      ],
      excused: new Set(),
      unconfirmed: [{ targetId: "t1", userId: "a", name: "张三", path: "华东 / 云服务 / 张三", version: 2 }],
      approvals: [],
      needsOwner: [{ targetId: "t5", path: "华南 / 终端 / 孙离", ownerUserId: "gone", ownerName: "孙离" }],
    },
    undelivered: 3,
    ...over,
  };
}

describe("buildDigest: the year to date, by every dimension and team", () => {
  const d = buildDigest(input());

  it("totals are the owners' figures in force and the leaves' expected amounts, exactly", () => {
    expect(d.totals.ytdActual).toBe(2_600_000n + 1_000_000n + 2_000_001n + 500_000n);
    expect(d.totals.periodActual).toBe(220_001n);
    expect(d.totals.annualTarget).toBe(18_200_000n);
    expect(d.totals.ytdTarget).toBe(9_100_000n);
    expect(d.totals.ytdAttainment).toBe(0.6703);
    // Projection at the current pace: ytd × 51 / 25; run-rate: the rest over the 26 periods left, rounded up.
    expect(d.totals.projectedYearEnd).toBe((6_100_001n * 51n * 2n + 25n) / 50n);
    expect(d.totals.requiredRunRate).toBe((18_200_000n - 6_100_001n + 25n) / 26n);
  });

  it("a person's figure over leaves in two regions is apportioned by annual target and still adds up", () => {
    const region = d.breakdowns.find((b) => b.dimension === "REGION")!;
    expect(region.title).toBe("区域");
    const east = region.rows.find((r) => r.key === "11")!;
    const south = region.rows.find((r) => r.key === "12")!;
    // 王五 2,000,001 → 1,500,001 (t3, 华南) + 500,000 (t4, 华东), largest remainder.
    expect(east.figures.ytdActual).toBe(2_600_000n + 1_000_000n + 500_000n);
    expect(south.figures.ytdActual).toBe(1_500_001n + 500_000n);
    expect(east.figures.ytdActual + south.figures.ytdActual).toBe(d.totals.ytdActual);
    for (const b of d.breakdowns) {
      const sum = b.rows.reduce((s, r) => s + r.figures.ytdActual, 0n);
      expect(sum, b.dimension).toBe(d.totals.ytdActual);
    }
    expect(d.breakdowns.map((b) => b.dimension)).toEqual(["REGION", "PRODUCT_LINE", "TEAM"]);
  });

  it("TEAM groups each direct report of the root with everyone under them", () => {
    const team = d.breakdowns.find((b) => b.dimension === "TEAM")!;
    expect(team.rows.map((r) => [r.key, r.label]).sort()).toEqual([
      ["m11", "赵经理团队"],
      ["m12", "钱经理团队"],
    ]);
  });

  it("deltaPoints is the change in YTD attainment vs the previous period, in points", () => {
    const east = d.breakdowns[0]!.rows.find((r) => r.key === "11")!;
    const f = east.figures;
    expect(east.deltaPoints).toBe(Math.round((f.ytdAttainment! - f.previousYtdAttainment!) * 10_000) / 100);
  });

  it("exceptions come first in a fixed order, each person named once, with the streak sentence", () => {
    expect(d.exceptions.map((e) => [e.kind, e.text])).toEqual([
      ["ESCALATION", "李娜 连续2周未达标"],
      ["MISS", "王五 W26 未达标：完成 10万元 / 目标 15万元（67%）"],
      ["UNCONFIRMED", "张三 未确认目标（华东 / 云服务 / 张三，第2版）"],
      ["NEEDS_OWNER", "华南 / 终端 / 孙离：负责人 孙离 已离职，需要重新指派"],
    ]);
    expect(d.exceptionCounts).toEqual({
      ESCALATION: 1,
      MISS: 1,
      NOT_REPORTED: 0,
      UNCONFIRMED: 1,
      APPROVAL_OVERDUE: 0,
      NEEDS_OWNER: 1,
    });
  });

  it("ranks active people by YTD attainment; top and bottom never share a row; regions for the whole plan", () => {
    // 张三 2.6M of 2.6M (100%), 王五 2,000,001 of 2.6M (77%), 李娜 1M of 2.6M (38%); 孙离 left: not ranked.
    expect(d.top.people.map((p) => [p.userId, p.attainment])).toEqual([
      ["a", 1],
      ["c", 0.7692],
      ["b", 0.3846],
    ]);
    expect(d.bottom.people).toEqual([]);
    expect(d.top.regions.map((r) => r.label)).toEqual(["华东", "华南"]);
    expect(d.freshness).toEqual({ owners: 3, reported: 2, share: 0.6667 });
    expect(d.health).toEqual({ undelivered: 3 });
  });

  it("the series accumulates", () => {
    expect(d.series.at(-1)).toMatchObject({ cumulativeActual: 400n, cumulativeExpected: 600n });
  });
});

describe("buildDigest: empty, capped and subtree digests", () => {
  it("is empty with nothing published in scope, and with nothing reported and nothing else to flag", () => {
    expect(buildDigest(input({ leaves: [] })).empty).toBe(true);
    const silent = input({
      figures: new Map(),
      exceptions: { ...input().exceptions, escalations: [], unconfirmed: [], needsOwner: [], misses: [] },
    });
    const d = buildDigest(silent);
    expect(d.exceptions.every((e) => e.kind === "NOT_REPORTED")).toBe(true);
    expect(d.empty).toBe(true);
    expect(buildDigest(input()).empty).toBe(false);
  });

  it("lists at most 20 of a kind and keeps the full count", () => {
    const many = Array.from({ length: 45 }, (_, i) => ({ userId: `x${i}`, name: `某${i}`, streak: 2 + (i % 3) }));
    const d = buildDigest(input({ exceptions: { ...input().exceptions, escalations: many } }));
    expect(d.exceptions.filter((e) => e.kind === "ESCALATION")).toHaveLength(EXCEPTIONS_PER_KIND);
    expect(d.exceptionCounts?.ESCALATION).toBe(45);
    expect(d.exceptions[0]!.streak).toBe(4);
  });

  it("regions are ranked only for the whole plan", () => {
    const d = buildDigest(input({ viewer: { userId: "m11", name: "赵经理", scope: "SUBTREE", role: "MANAGER" } }));
    expect(d.top.regions).toEqual([]);
  });
});

describe("property: the YTD actual is exactly the sum of the figures in force of the owners in scope", () => {
  const amount = fc.bigInt({ min: 0n, max: 10n ** 17n });
  it("for any figures and any leaves, and every breakdown adds up to it", () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ ytd: amount, period: fc.option(amount), leaves: fc.integer({ min: 1, max: 3 }) }), {
          minLength: 1,
          maxLength: 12,
        }),
        (owners) => {
          const base = input();
          const leaves: DigestLeafInput[] = [];
          const figures = new Map<string, { ytdActual: bigint; periodActual: bigint | null }>();
          owners.forEach((o, i) => {
            const ytd = o.ytd + (o.period ?? 0n);
            figures.set(`u${i}`, { ytdActual: ytd, periodActual: o.period });
            for (let j = 0; j < o.leaves; j++) {
              leaves.push(leaf(`t${i}.${j}`, `u${i}`, j % 2 ? EAST : SOUTH, `L${j}`, BigInt(j * 1000 + i)));
            }
          });
          const people = new Map(owners.map((_, i) => [`u${i}`, person(`u${i}`, `人${i}`, "dir")]));
          const d = buildDigest({ ...base, leaves, figures, people });
          const expected = [...figures.values()].reduce((s, f) => s + f.ytdActual, 0n);
          expect(d.totals.ytdActual).toBe(expected);
          for (const b of d.breakdowns) expect(b.rows.reduce((s, r) => s + r.figures.ytdActual, 0n)).toBe(expected);
          const periodSum = [...figures.values()].reduce((s, f) => s + (f.periodActual ?? 0n), 0n);
          expect(d.totals.periodActual).toBe(periodSum);
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe("expected-to-date for many leaves: phasing's rule, exactly, in numbers or bigints", () => {
  const month = fc.oneof(fc.bigInt({ min: 0n, max: 10n ** 9n }), fc.bigInt({ min: 0n, max: 7n * 10n ** 17n }));
  it("equals expectedToDate per leaf and summed, at every week end of the year", () => {
    const dates = Array.from({ length: 53 }, (_, w) => {
      const d = new Date(Date.UTC(2026, 0, 4 + 7 * w));
      return d.toISOString().slice(0, 10);
    });
    const points = dates.map((d) => accrualPoint(2026, d, cal));
    fc.assert(
      fc.property(fc.array(fc.array(month, { minLength: 12, maxLength: 12 }), { minLength: 1, maxLength: 6 }), (ls) => {
        const parsed = ls.map((m) => leafMonths(m.map(String)));
        const sums = summedExpectedAt(parsed, points);
        dates.forEach((date, j) => {
          const each = ls.map((m) => expectedToDate(m, 2026, date, cal));
          for (let i = 0; i < ls.length; i++) expect(expectedAt(parsed[i]!, points[j]!)).toBe(each[i]);
          expect(sums[j]).toBe(each.reduce((s, x) => s + x, 0n));
        });
      }),
      { numRuns: 60 },
    );
  });
});

describe("TEAM and the leaderboard on any org, loops included, as walking each chain and sorting everyone gives", () => {
  /** The team of each person by walking their chain alone, with a set against loops (the rule as written). */
  function teamByWalking(userId: string, root: string, people: ReadonlyMap<string, DigestPersonInput>): string {
    let below = userId;
    let at = userId === root ? null : (people.get(userId)?.managerUserId ?? null);
    const seen = new Set([userId]);
    while (at !== null && at !== root && !seen.has(at)) {
      seen.add(at);
      below = at;
      at = people.get(at)?.managerUserId ?? null;
    }
    return below;
  }

  it("groups and ranks exactly like that", () => {
    const ids = Array.from({ length: 12 }, (_, i) => `p${i}`);
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            manager: fc.option(fc.integer({ min: 0, max: 11 }), { nil: null }),
            active: fc.boolean(),
            // Few distinct values, so attainments and YTD actuals tie and the later keys decide.
            ytd: fc.constantFrom(0n, 1n, 2n, 3n),
            annual: fc.constantFrom(4n, 8n),
            owns: fc.boolean(),
          }),
          { minLength: 12, maxLength: 12 },
        ),
        fc.integer({ min: 0, max: 11 }),
        (rows, rootIndex) => {
          const root = ids[rootIndex]!;
          const people = new Map(
            rows.map((r, i) => [
              ids[i]!,
              person(ids[i]!, `人${i}`, r.manager === null ? null : ids[r.manager]!, r.active),
            ]),
          );
          const owners = rows.flatMap((r, i) => (r.owns ? [i] : []));
          const leaves: DigestLeafInput[] = owners.map((i) => ({
            ...leaf(`t${i}`, ids[i]!, EAST, "L", rows[i]!.annual),
            ytdTarget: rows[i]!.annual,
            previousYtdTarget: 0n,
          }));
          const figures = new Map(owners.map((i) => [ids[i]!, { ytdActual: rows[i]!.ytd, periodActual: null }]));
          const d = buildDigest({ ...input(), leaves, figures, people, teamRoot: root });

          const teams = new Map<string, bigint>();
          for (const i of owners) {
            const t = teamByWalking(ids[i]!, root, people);
            teams.set(t, (teams.get(t) ?? 0n) + rows[i]!.ytd);
          }
          const team = d.breakdowns.find((b) => b.dimension === "TEAM");
          expect(new Map(team?.rows.map((r) => [r.key, r.figures.ytdActual]) ?? [])).toEqual(teams);

          const ranked = owners
            .filter((i) => rows[i]!.active)
            .map((i) => ({ id: ids[i]!, a: Number(rows[i]!.ytd) / Number(rows[i]!.annual), ytd: rows[i]!.ytd }))
            .sort((x, y) => y.a - x.a || Number(y.ytd - x.ytd) || (x.id < y.id ? -1 : 1))
            .map((r) => r.id);
          const top = ranked.slice(0, 5);
          const bottom = ranked.slice(Math.max(top.length, ranked.length - 5)).reverse();
          expect(d.top.people.map((p) => p.userId)).toEqual(top);
          expect(d.bottom.people.map((p) => p.userId)).toEqual(bottom);
        },
      ),
      { numRuns: 500 },
    );
  });
});
