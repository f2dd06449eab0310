import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  approvalCardDecided,
  buildApprovalCard,
  buildDigestCard,
  buildEscalationCard,
  buildNoticeCard,
  buildProgressCard,
  buildTargetCard,
  buildTargetInfoCard,
  type CardId,
  type CardParams,
  cardDefinitions,
  checkCardParams,
  escalationCardHandled,
  escalationCardResolved,
  progressCardReported,
  renderCardText,
  type TApprovalCardInput,
  type TDigestCardInput,
  type TEscalationCardInput,
  type TNoticeCardInput,
  type TProgressCardInput,
  type TTargetCardInput,
  targetCardConfirmed,
} from "../../cards/index.ts";

/**
 * Adversarial inputs: names and reasons thousands of bytes long, emoji families, control characters, huge
 * amounts, 200+ list items. Whatever comes in, a card must stay inside DingTalk's limits.
 */

const at = new Date("2026-04-03T08:00:00Z");

// Non-empty after trimming (the schemas require that), otherwise anything: graphemes, binary, long repeats.
const arbText = fc
  .oneof(
    fc.string({ unit: "grapheme", maxLength: 300 }),
    fc.string({ unit: "binary", maxLength: 300 }),
    fc
      .tuple(fc.constantFrom("李", "👩‍👩‍👧‍👦", "a", "𠮷", "\n", "*[]"), fc.integer({ min: 1, max: 800 }))
      .map(([c, n]) => c.repeat(n)),
  )
  .map((s) => `名${s}`);
const arbUserId = fc.stringMatching(/^[a-z0-9]{1,64}$/);
const arbPerson = fc.record({ userId: arbUserId, name: arbText });
const arbAmount = fc.oneof(fc.bigInt({ min: 0n, max: 10n ** 16n }), fc.bigInt({ min: 0n, max: 200_000n }));
const arbWeek = fc.integer({ min: 1, max: 52 }).map((w) => `2026-W${String(w).padStart(2, "0")}`);
const arbPeriod = fc.oneof(
  arbWeek,
  fc.integer({ min: 1, max: 12 }).map((m) => `2026-${String(m).padStart(2, "0")}`),
  fc.integer({ min: 1, max: 4 }).map((q) => `2026-Q${q}`),
);
const arbResult = fc.record(
  { period: arbWeek, target: arbAmount, actual: fc.option(arbAmount, { nil: null }), excused: fc.boolean() },
  { requiredKeys: ["period", "target", "actual"] },
);
const arbUrl = fc.webUrl().filter((u) => u.length < 900);

const arbTarget: fc.Arbitrary<TTargetCardInput> = fc
  .record({
    planName: arbText,
    metric: fc.constantFrom("REVENUE", "COLLECTION", "GROSS_PROFIT", "NEW_CUSTOMERS" as const),
    version: fc.integer({ min: 1, max: 10_000 }),
    previousAmount: fc.option(arbAmount, { nil: undefined }),
    owner: arbPerson,
    coOwners: fc.array(arbPerson, { maxLength: 80 }),
    months: fc.array(arbAmount, { minLength: 12, maxLength: 12 }),
    parent: fc.option(fc.record({ name: arbText, extra: arbAmount }), { nil: undefined }),
    funnel: fc.option(
      fc.record({
        leadsPerWeek: fc.double({ min: 0, max: 1e6, noNaN: true }),
        visitsPerWeek: fc.double({ min: 0, max: 1e6, noNaN: true }),
        proposalsPerWeek: fc.double({ min: 0, max: 1e6, noNaN: true }),
      }),
      { nil: undefined },
    ),
  })
  .map(({ parent, ...t }) => {
    const amount = t.months.reduce((a, b) => a + b, 0n);
    return { ...t, amount, parent: parent && { name: parent.name, amount: amount + parent.extra } };
  });

const arbProgress: fc.Arbitrary<TProgressCardInput> = fc.record({
  owner: arbPerson,
  metric: fc.constantFrom("REVENUE", "NEW_CUSTOMERS" as const),
  period: arbPeriod,
  periodTarget: arbAmount,
  annualTarget: arbAmount,
  ytdActual: arbAmount,
  ytdTarget: arbAmount,
  requiredRunRate: arbAmount,
  dueAt: fc.option(fc.date({ noInvalidDate: true }), { nil: undefined }),
});

const arbEscalation: fc.Arbitrary<TEscalationCardInput> = fc.record({
  manager: arbPerson,
  owner: arbPerson,
  ownerUnit: fc.option(arbText, { nil: undefined }),
  level: fc.integer({ min: 1, max: 20 }),
  streak: fc.integer({ min: 1, max: 1000 }),
  misses: fc.array(arbResult, { minLength: 1, maxLength: 120 }),
  annualTarget: arbAmount,
  ytdActual: arbAmount,
  ytdTarget: arbAmount,
  requiredRunRate: arbAmount,
});

const arbChange = fc.record({ name: arbText, oldAmount: arbAmount, newAmount: arbAmount });
const arbApproval: fc.Arbitrary<TApprovalCardInput> = fc
  .record({
    approver: arbPerson,
    requester: arbPerson,
    owner: arbPerson,
    targetLabel: arbText,
    oldAmount: arbAmount,
    newAmount: arbAmount,
    reason: arbText,
    parent: arbChange,
    reserve: fc.option(fc.record({ oldAmount: arbAmount, newAmount: arbAmount }), { nil: undefined }),
    siblings: fc.array(arbChange, { maxLength: 120 }),
    recentAttainment: fc.array(arbResult, { maxLength: 60 }),
    total: fc.integer({ min: 1, max: 9 }),
    previousDecisions: fc.array(
      fc.record({ approver: arbPerson, comment: fc.option(arbText, { nil: undefined }), at: fc.constant(at) }),
      { maxLength: 9 },
    ),
  })
  .map(({ total, ...a }) => ({ ...a, step: { index: Math.min(total, a.previousDecisions.length + 1), total } }));

const arbDigest: fc.Arbitrary<TDigestCardInput> = fc.record({
  scopeName: arbText,
  metric: fc.constantFrom("REVENUE", "COLLECTION" as const),
  period: arbPeriod,
  annualTarget: arbAmount,
  ytdActual: arbAmount,
  ytdTarget: arbAmount,
  ytdDeltaPoints: fc.option(fc.double({ min: -1000, max: 1000, noNaN: true }), { nil: undefined }),
  lastPeriod: fc.record({ actual: arbAmount, expected: arbAmount }),
  projection: arbAmount,
  requiredRunRate: arbAmount,
  breakdown: fc.array(
    fc.record({
      name: arbText,
      ytdActual: arbAmount,
      ytdTarget: arbAmount,
      deltaPoints: fc.double({ noNaN: true, noDefaultInfinity: true }),
    }),
    { maxLength: 60 },
  ),
  exceptions: fc.array(
    fc.record(
      {
        kind: fc.constantFrom(
          "STREAK",
          "NO_REPORT",
          "UNCONFIRMED",
          "STALE_APPROVAL",
          "OPEN_ESCALATION",
          "NEEDS_REASSIGNMENT" as const,
        ),
        subject: arbText,
        detail: arbText,
      },
      { requiredKeys: ["kind", "subject"] },
    ),
    { minLength: 0, maxLength: 250 },
  ),
  freshness: fc.record({ reported: fc.nat(100_000), expected: fc.nat(100_000) }),
  undelivered: fc.nat(1_000_000),
  dashboardUrl: arbUrl,
});

const arbNotice: fc.Arbitrary<TNoticeCardInput> = fc.record(
  {
    title: arbText,
    lines: fc.array(fc.oneof(arbText, fc.constant("")), { minLength: 1, maxLength: 300 }),
    link: fc.record({ label: arbText, url: arbUrl }),
  },
  { requiredKeys: ["title", "lines"] },
);

function expectFits(id: CardId, params: CardParams): void {
  expect(checkCardParams(cardDefinitions[id], params)).toEqual([]);
  for (const userId of [undefined, ...Object.keys(params.privateParamMap ?? {})]) {
    const rendered = renderCardText(
      cardDefinitions[id],
      params.cardParamMap,
      userId ? params.privateParamMap?.[userId] : {},
    );
    expect(rendered.title.length).toBeGreaterThan(0);
  }
}

const runs = { numRuns: 60 };

describe("cards stay within DingTalk's limits for any input", () => {
  it("target", () => {
    fc.assert(
      fc.property(arbTarget, (t) => {
        expectFits("target", buildTargetCard(t));
        expectFits("target", buildTargetInfoCard(t));
        expectFits("target", targetCardConfirmed(t, at));
      }),
      runs,
    );
  });

  it("progress", () => {
    fc.assert(
      fc.property(arbProgress, arbAmount, arbText, (p, amount, note) => {
        expectFits("progress", buildProgressCard(p));
        expectFits("progress", progressCardReported(p, { amount, newCustomers: amount, note }, at));
      }),
      runs,
    );
  });

  it("escalation", () => {
    fc.assert(
      fc.property(arbEscalation, arbResult, (e, recovery) => {
        expectFits("escalation", buildEscalationCard(e));
        expectFits("escalation", escalationCardHandled(e, "adjust", at));
        expectFits("escalation", escalationCardResolved(e, recovery));
      }),
      runs,
    );
  });

  it("approval", () => {
    fc.assert(
      fc.property(arbApproval, arbText, (a, comment) => {
        expectFits("approval", buildApprovalCard(a));
        expectFits("approval", approvalCardDecided(a, "reject", comment, at));
      }),
      runs,
    );
  });

  it("digest", () => {
    fc.assert(
      fc.property(arbDigest, (d) => {
        const params = buildDigestCard(d);
        expectFits("digest", params);
        expect(params.cardParamMap.exceptionCount).toBe(String(d.exceptions.length));
        if (d.exceptions.length >= 200) expect(params.cardParamMap.exceptionsText).toMatch(/…等\d+项$/);
      }),
      runs,
    );
  });

  it("notice", () => {
    fc.assert(
      fc.property(arbNotice, (n) => expectFits("notice", buildNoticeCard(n))),
      runs,
    );
  });

  it("200 exceptions with long names end in 「…等200项」", () => {
    const exceptions = Array.from({ length: 200 }, (_, i) => ({
      kind: "NO_REPORT" as const,
      subject: `${"欧阳".repeat(30)}${i}（华东）🚩`,
      detail: "W15 未填报",
    }));
    const base: TDigestCardInput = {
      scopeName: "全公司",
      metric: "REVENUE",
      period: "2026-W15",
      annualTarget: 180_000_000n,
      ytdActual: 1n,
      ytdTarget: 1n,
      lastPeriod: { actual: 1n, expected: 1n },
      projection: 1n,
      requiredRunRate: 1n,
      breakdown: [],
      exceptions,
      freshness: { reported: 0, expected: 150 },
      undelivered: 0,
      dashboardUrl: "http://localhost:3000/dashboard",
    };
    const params = buildDigestCard(base);
    expectFits("digest", params);
    expect(params.cardParamMap.exceptionsText).toMatch(/…等200项$/);
  });
});
