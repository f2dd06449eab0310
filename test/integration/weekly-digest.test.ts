import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DIRECTOR_ID, referenceOrg } from "../../src/demo/reference-org.ts";
import type { ImageInboxItem } from "../../src/dingtalk/emulator/emulator-types.ts";
import { verifyDashboardToken } from "../../src/flows/digest/dashboard-token.ts";
import { cardsIn, robotMarkdowns } from "../helpers/chat.ts";
import { jsonInit, planApi } from "../helpers/plan-api.ts";
import { createSmallPlan, SMALL_PLAN_REPS } from "../helpers/small-plan.ts";
import { startTestService, type TestService } from "../helpers/test-service.ts";

/*
 * The weekly-digest job through the started service in sandbox mode (the emulator's inbox): after the week's
 * evaluation the director gets exactly one digest (markdown + chart image) and each manager one for their team
 * only; before the evaluation nothing yet; a rerun nothing new; an empty week nothing; a manager who left nothing.
 */

const shanghai = (local: string) => new Date(`${local}+08:00`);
let clock = shanghai("2026-04-01T09:00:00"); // Wednesday of W14: both plans are published
let svc: TestService;
const api = planApi(() => svc);
const emulator = () => svc.deps.emulator!;
/** Plan A: 华东 (m11: 李娜, 赵涛) and 华南 (m12: two reps), owned by the director. Plan B: empty weeks. */
let planA: string;
let planB: string;
const EAST = ["r11001", "r11002"];
const SOUTH = ["r12001", "r12002"];

interface DigestRun {
  period: string;
  ran: boolean;
  status: string;
  result?: {
    digests: { planId: string; period: string; sent: number; charts: number; empty: number; failed: number }[];
    waiting: { planId: string; period: string }[];
  };
}
const runDigest = async (local: string): Promise<DigestRun> => {
  clock = shanghai(local);
  const res = await svc.api("/api/jobs/weekly-digest/run", jsonInit("POST", { at: `${local}+08:00` }));
  expect(res.status, await res.clone().text()).toBe(200);
  await svc.dingtalk!.outbox.drain();
  return (await res.json()) as DigestRun;
};
const evaluate = async (local: string) => {
  const res = await svc.api("/api/jobs/evaluate/run", jsonInit("POST", { at: `${local}+08:00` }));
  expect(res.status, await res.clone().text()).toBe(200);
};
const report = async (planId: string, userId: string, period: string, amount: number) => {
  const res = await svc.api(
    "/api/progress",
    jsonInit("POST", { entries: [{ planId, userId, period, amount: String(amount) }] }),
  );
  expect(res.status, await res.clone().text()).toBe(200);
};
const nameOf = async (userId: string) =>
  (await svc.db.sql.query<{ name: string }>("SELECT name FROM staff WHERE user_id = $1", [userId]))[0]!.name;
/** A person's digest messages, and the images they got. */
const digestsOf = (userId: string) => robotMarkdowns(emulator(), userId).filter((m) => m.title.includes("周报"));
const imagesOf = (userId: string) =>
  emulator()
    .getInbox(userId)
    .filter((i): i is ImageInboxItem => i.kind === "image");
const digestRows = async () =>
  svc.db.sql.query<{ plan_id: string; period: string; user_id: string; scope: string; with_chart: boolean }>(
    "SELECT plan_id, period, user_id, scope, with_chart FROM digest_sent ORDER BY plan_id, period, user_id",
  );
const digestOutbox = async () =>
  (
    await svc.db.sql.query<{ k: string }>(
      "SELECT idempotency_key AS k FROM outbox_message WHERE idempotency_key LIKE 'digest.%' ORDER BY 1",
    )
  ).map((r) => r.k);

beforeAll(async () => {
  svc = await startTestService({ DINGTALK_QPS: "500" }, { sandbox: { demo: false }, now: () => clock });
  await api.importReferenceOrg();
  const plan = await api.newPlan(20_000_000, { name: "A计划" });
  planA = plan.id;
  const regions = await api.split(planA, {
    parentTargetId: plan.rootTargetId,
    dimension: "REGION",
    method: "EQUAL",
    children: [
      { key: "11", ownerUserId: "m11", coOwnerUserIds: [DIRECTOR_ID] },
      { key: "12", ownerUserId: "m12", coOwnerUserIds: [DIRECTOR_ID] },
    ],
  });
  for (const [key, reps, manager] of [
    ["11", EAST, "m11"],
    ["12", SOUTH, "m12"],
  ] as const) {
    await api.split(planA, {
      parentTargetId: regions.find((r) => r.key === key)!.id,
      dimension: "OWNER",
      method: "EQUAL",
      children: reps.map((r) => ({ key: r, ownerUserId: r, coOwnerUserIds: [manager] })),
    });
  }
  await api.phase(planA, "WORKDAYS");
  // Plan B: the three 华东 reps (owner m11), every target confirmed, nobody ever reports: an empty week.
  planB = (await createSmallPlan(svc)).planId;
  for (const id of [planA, planB]) {
    const res = await svc.api(`/api/plans/${id}/publish`, { method: "POST" });
    expect(res.status, await res.clone().text()).toBe(200);
  }
  await svc.dingtalk!.outbox.drain();
  for (const rep of SMALL_PLAN_REPS) {
    for (const card of cardsIn(emulator(), rep, "tgt.")) {
      const click = await emulator().clickCard(card.outTrackId, rep, { action: "confirm" }, "confirm");
      expect(click.status).toBe("applied");
    }
  }
  await svc.dingtalk!.outbox.drain();
  clock = shanghai("2026-04-10T15:00:00");
  await report(planA, "r11001", "2026-W15", 300_000);
  await report(planA, "r12001", "2026-W15", 150_000);
  await report(planA, "r12002", "2026-W15", 80_000);
}, 180_000);
afterAll(() => svc?.close());

describe("weekly-digest", () => {
  it("before the week is evaluated: nothing yet, the plans waiting", async () => {
    const run = await runDigest("2026-04-13T13:00:00");
    expect(run).toMatchObject({ period: "2026-04-13", ran: true, status: "DONE" });
    expect(run.result!.digests).toEqual([]);
    expect(run.result!.waiting).toEqual([
      { planId: planA, period: "2026-W15" },
      { planId: planB, period: "2026-W15" },
    ]);
    expect(await digestRows()).toEqual([]);
    expect(await digestOutbox()).toEqual([]);
  });

  it("after it: the director one digest with its chart, each manager one for their team only", async () => {
    await evaluate("2026-04-13T12:00:00");
    const run = await runDigest("2026-04-14T13:00:00"); // the next run catches up
    expect(run.result!.waiting).toEqual([]);
    expect(run.result!.digests).toEqual([
      { planId: planA, period: "2026-W15", sent: 3, charts: 3, empty: 0, failed: 0 },
      // Plan B: nothing reported, every target confirmed: an empty week for both its viewers.
      { planId: planB, period: "2026-W15", sent: 0, charts: 0, empty: 2, failed: 0 },
    ]);
    expect(
      (await digestRows()).map((r) => [r.plan_id === planA ? "A" : "B", r.user_id, r.scope, r.with_chart]),
    ).toEqual([
      ["A", "m11", "SUBTREE", true],
      ["A", "m12", "SUBTREE", true],
      ["A", DIRECTOR_ID, "PLAN", true],
    ]);
    for (const viewer of [DIRECTOR_ID, "m11", "m12"]) {
      expect(
        digestsOf(viewer).map((d) => d.title),
        viewer,
      ).toEqual(["A计划 W15周报"]);
      expect(imagesOf(viewer), viewer).toHaveLength(1);
    }
    for (const rep of [...EAST, ...SOUTH]) expect(digestsOf(rep)).toEqual([]);
    // The image is the chart as a PNG, uploaded to DingTalk (the emulator keeps the bytes).
    const [image] = imagesOf("m11");
    const png = emulator().getMedia(image!.mediaId!)!;
    expect([...png.bytes.subarray(0, 8)]).toEqual([137, 80, 78, 71, 13, 10, 26, 10]);
    expect(png.bytes.length).toBeGreaterThan(5_000);

    const director = digestsOf(DIRECTOR_ID)[0]!.text;
    expect(director).toContain("全公司 · 年度累计达成");
    expect(director).not.toContain("|");

    const east = digestsOf("m11")[0]!.text;
    expect(east).toContain(`${await nameOf("m11")}的团队`);
    expect(east).toContain(await nameOf("r11002")); // the one who did not report is named
    for (const other of ["m12", ...SOUTH]) expect(east).not.toContain(await nameOf(other));
    expect(east).not.toContain("华南");
    const south = digestsOf("m12")[0]!.text;
    for (const other of ["m11", ...EAST]) expect(south).not.toContain(await nameOf(other));

    // The link opens the dashboard as that manager, for DASHBOARD_LINK_DAYS days.
    const token = /\/dashboard\?t=([A-Za-z0-9_.-]+)\)/.exec(east)?.[1];
    expect(token, east).toBeDefined();
    expect(verifyDashboardToken(svc.deps.config.dashboardSecret, token!, clock)).toMatchObject({
      ok: true,
      claims: { userId: "m11", expiresAt: new Date(clock.getTime() + 7 * 86_400_000) },
    });
  });

  it("run again: the same day's run is claimed, a later run sends nothing new", async () => {
    const keys = await digestOutbox();
    expect(keys).toHaveLength(6); // 3 messages + 3 charts
    expect(await runDigest("2026-04-14T13:30:00")).toMatchObject({ period: "2026-04-14", ran: false });
    const later = await runDigest("2026-04-15T13:00:00");
    expect(later).toMatchObject({ ran: true, status: "DONE" });
    expect(later.result!.digests.find((d) => d.planId === planA)).toMatchObject({ sent: 0 });
    expect(await digestOutbox()).toEqual(keys);
    for (const viewer of [DIRECTOR_ID, "m11", "m12"]) {
      expect(digestsOf(viewer)).toHaveLength(1);
      expect(imagesOf(viewer)).toHaveLength(1);
    }
  });

  it("the next week: a manager who left gets nothing; the others get that week's digest", async () => {
    // m12 leaves: the org import no longer lists them and their reps now report to the director.
    const org = referenceOrg();
    org.staff = org.staff
      .filter((s) => s.userId !== "m12")
      .map((s) => (s.managerUserId === "m12" ? { ...s, managerUserId: DIRECTOR_ID } : s));
    const res = await svc.api("/api/org", jsonInit("PUT", org));
    expect(res.status, await res.clone().text()).toBe(200);
    clock = shanghai("2026-04-17T15:00:00");
    await report(planA, "r11001", "2026-W16", 100_000);
    await evaluate("2026-04-20T12:00:00");
    const run = await runDigest("2026-04-20T13:00:00");
    expect(run.result!.digests.find((d) => d.planId === planA)).toMatchObject({ period: "2026-W16", sent: 2 });
    const titlesOfA = (userId: string) =>
      digestsOf(userId).flatMap((d) => (d.title.startsWith("A计划") ? [d.title] : []));
    expect(titlesOfA(DIRECTOR_ID)).toEqual(["A计划 W15周报", "A计划 W16周报"]);
    expect(titlesOfA("m11")).toEqual(["A计划 W15周报", "A计划 W16周报"]);
    expect(digestsOf("m12").map((d) => d.title)).toEqual(["A计划 W15周报"]);
    const w16 = (await digestRows()).filter((r) => r.plan_id === planA && r.period === "2026-W16");
    expect(w16.map((r) => r.user_id)).toEqual(["m11", DIRECTOR_ID]);
    // Plan B is no longer empty: a second week without a report opened escalations, which the digest reports.
    expect(run.result!.digests.find((d) => d.planId === planB)).toMatchObject({ period: "2026-W16", sent: 2 });
  });
});

describe("weekly-digest without a CJK font to draw the chart with", () => {
  let bare: TestService;
  beforeAll(async () => {
    clock = shanghai("2026-04-01T09:00:00");
    bare = await startTestService(
      { DINGTALK_QPS: "500", CJK_FONT_PATH: "/nonexistent/NotoSansCJK.ttc" },
      { sandbox: { demo: false }, now: () => clock },
    );
    const { planId } = await createSmallPlan(bare);
    const res = await bare.api(`/api/plans/${planId}/publish`, { method: "POST" });
    expect(res.status, await res.clone().text()).toBe(200);
    const entries = [{ planId, userId: "r11001", period: "2026-W15", amount: "50000" }];
    expect((await bare.api("/api/progress", jsonInit("POST", { entries }))).status).toBe(200);
    const evaluated = await bare.api("/api/jobs/evaluate/run", jsonInit("POST", { at: "2026-04-13T12:00:00+08:00" }));
    expect(evaluated.status).toBe(200);
  }, 120_000);
  afterAll(() => bare?.close());

  it("the digest goes out as text alone, recorded without its chart", async () => {
    clock = shanghai("2026-04-13T13:00:00");
    const res = await bare.api("/api/jobs/weekly-digest/run", jsonInit("POST", { at: "2026-04-13T13:00:00+08:00" }));
    expect(res.status, await res.clone().text()).toBe(200);
    expect(((await res.json()) as DigestRun).result!.digests).toEqual([
      expect.objectContaining({ period: "2026-W15", sent: 2, charts: 0, failed: 0 }),
    ]);
    await bare.dingtalk!.outbox.drain();
    const em = bare.deps.emulator!;
    for (const viewer of [DIRECTOR_ID, "m11"]) {
      expect(robotMarkdowns(em, viewer).filter((m) => m.title === "华东小计划 W15周报")).toHaveLength(1);
      expect(em.getInbox(viewer).filter((i) => i.kind === "image")).toEqual([]);
    }
    const rows = await bare.db.sql.query<{ with_chart: boolean }>("SELECT with_chart FROM digest_sent");
    expect(rows).toEqual([{ with_chart: false }, { with_chart: false }]);
  });
});
