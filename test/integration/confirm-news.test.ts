import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { seedDemo } from "../../src/demo/seed-demo.ts";
import type { InboxItem } from "../../src/dingtalk/emulator/emulator-types.ts";
import { confirmReminderJob } from "../../src/flows/confirm/confirm-reminder.ts";
import { startTestService, type TestService } from "../helpers/test-service.ts";

/**
 * Noise (docs/architecture.md "News is batched"): action cards go one per decision, news at most once per person,
 * run and kind. Counted on the demo plan (134 leaves, each rep's manager co-owning their leaves), from what the
 * emulator recorded for each person.
 */

const shanghai = (local: string) => new Date(`${local}+08:00`);
let svc: TestService;
let planId: string;
let clock = shanghai("2026-11-23T10:00:00"); // Monday
let people: string[];
const emulator = () => svc.deps.emulator!;

/** What kind of message an inbox item is: a card by its outTrackId's prefix, a robot message by its msgKey. */
const kindOf = (i: InboxItem) =>
  i.kind === "card" ? `card:${i.outTrackId.split(".")[0]}` : i.kind === "robotMessage" ? i.msgKey : i.kind;
const seqs = () => Object.fromEntries(people.map((u) => [u, emulator().getInbox(u).length]));
/** What each person received since `before` (seqs()), as kind → messages, for people who got anything. */
const receivedSince = (before: Record<string, number>) =>
  new Map(
    people
      .map((u) => [u, emulator().getInbox(u).slice(before[u])] as const)
      .filter(([, items]) => items.length > 0)
      .map(([u, items]) => {
        const byKind = new Map<string, InboxItem[]>();
        for (const i of items) byKind.set(kindOf(i), [...(byKind.get(kindOf(i)) ?? []), i]);
        return [u, byKind] as const;
      }),
  );
const textOf = (i: InboxItem | undefined) =>
  i?.kind === "robotMessage" ? String(i.msgParam.text ?? i.msgParam.content) : "";
/** The lines of a batched list: `- …`. */
const listed = (text: string) => text.split("\n").filter((l) => l.startsWith("- "));
const runReminder = async (local: string) => {
  clock = shanghai(local);
  const res = await svc.api("/api/jobs/confirm-reminder/run", { method: "POST" });
  expect(res.status).toBe(200);
  await svc.dingtalk!.outbox.drain();
  return ((await res.json()) as { result: Record<string, number> }).result;
};
const count = async (sql: string, params: unknown[] = []) =>
  Number((await svc.db.sql.query<{ n: bigint }>(sql, params))[0]?.n);
/** Live leaves by owner (or by co-owner), as userId → count. */
const leavesBy = async (who: "owner" | "coOwner") => {
  const rows = await svc.db.sql.query<{ user_id: string; n: bigint }>(
    who === "owner"
      ? `SELECT t.owner_user_id AS user_id, count(*) AS n FROM target t WHERE t.plan_id = $1 AND t.state <> 'ARCHIVED'
           AND NOT EXISTS (SELECT 1 FROM target c WHERE c.parent_id = t.id) GROUP BY 1`
      : `SELECT c.user_id, count(*) AS n FROM target_co_owner c JOIN target t ON t.id = c.target_id
          WHERE t.plan_id = $1 AND t.state <> 'ARCHIVED'
            AND NOT EXISTS (SELECT 1 FROM target k WHERE k.parent_id = t.id) GROUP BY 1`,
    [planId],
  );
  return new Map(rows.map((r) => [r.user_id, Number(r.n)]));
};

beforeAll(async () => {
  svc = await startTestService({ DINGTALK_QPS: "500" }, { sandbox: { demo: false }, now: () => clock });
  ({ planId } = await seedDemo(svc.db, svc.deps.calendar));
  people = (await svc.db.prisma.staff.findMany({ select: { userId: true } })).map((s) => s.userId);
}, 180_000);
afterAll(() => svc?.close());

describe("messages per person for the demo plan", () => {
  let owners: Map<string, number>;
  let confirmedBy: string;

  it("publish: each owner one target card per own leaf; each co-owner ONE summary listing all N; again: nothing", async () => {
    const before = seqs();
    const res = await svc.api(`/api/plans/${planId}/publish`, { method: "POST" });
    const body = (await res.json()) as { queued: number; summaries: number; leaves: number };
    await svc.dingtalk!.outbox.drain();
    owners = await leavesBy("owner");
    const coOwners = await leavesBy("coOwner");
    expect(body).toEqual({ queued: 134, summaries: coOwners.size, leaves: 134 });

    const got = receivedSince(before);
    expect([...got.keys()].sort()).toEqual([...new Set([...owners.keys(), ...coOwners.keys()])].sort());
    for (const [user, byKind] of got) {
      expect(
        [...byKind.keys()].every((k) => k === "card:tgt" || k === "sampleMarkdown"),
        user,
      ).toBe(true);
      // Action cards: one per decision — one per leaf the person owns, each with 确认 / 有异议.
      const cards = byKind.get("card:tgt") ?? [];
      expect(cards, user).toHaveLength(owners.get(user) ?? 0);
      expect(
        cards.every((c) => c.kind === "card" && c.privateData.canAct === "true"),
        user,
      ).toBe(true);
      // News: at most one summary, listing every leaf co-owned.
      const summaries = byKind.get("sampleMarkdown") ?? [];
      const n = coOwners.get(user) ?? 0;
      expect(summaries, user).toHaveLength(n > 0 ? 1 : 0);
      if (n === 0) continue;
      const text = textOf(summaries[0]);
      expect(text, user).toContain(`你是以下 ${n} 个销售额目标的协同负责人：`);
      expect(listed(text), user).toHaveLength(Math.min(n, 20) + (n > 20 ? 1 : 0));
      if (n > 20) expect(listed(text).at(-1)).toBe(`- 等共 ${n} 个`);
    }
    // Some manager co-owns more than 20 leaves: the cap is exercised on the demo plan.
    expect(Math.max(...coOwners.values())).toBeGreaterThan(20);
    const m11 = textOf(got.get("m11")?.get("sampleMarkdown")?.[0]);
    expect(m11).toMatch(/^#### 「2026年度销售目标」已发布\n/);
    expect(listed(m11)[0]).toMatch(/^- 华东 · .+ · .+：.+ [\d.,]+万元$/);

    const again = seqs();
    const res2 = await svc.api(`/api/plans/${planId}/publish`, { method: "POST" });
    expect(await res2.json()).toEqual({ queued: 0, summaries: 0, leaves: 134 });
    await svc.dingtalk!.outbox.drain();
    expect(receivedSince(again).size).toBe(0);
  });

  it("confirm-reminder, 1 workday later: ONE reminder per owner listing all their unconfirmed leaves; a rerun sends nothing", async () => {
    // The confirm flow stamps real time when it queues a card; the business clock says Monday 10:00.
    await svc.db.sql.query("UPDATE target_card_sent SET sent_at = $1", [clock]);
    const [confirmed] = await svc.db.prisma.target.findMany({
      where: { planId, ownerUserId: "r11001", children: { none: {} } },
      orderBy: { id: "asc" },
    });
    confirmedBy = confirmed!.ownerUserId!;
    await svc.db.prisma.targetAck.create({
      data: { targetId: confirmed!.id, version: 1, userId: confirmedBy, outTrackId: "test" },
    });

    let before = seqs();
    expect(await runReminder("2026-11-24T10:00:00")).toMatchObject({ reminders: 0, notices: 0 }); // 0 full workdays
    expect(receivedSince(before).size).toBe(0);

    before = seqs();
    const result = await runReminder("2026-11-25T10:00:00"); // Tuesday behind it
    const open = new Map(
      [...owners].map(([u, n]) => [u, n - (u === confirmedBy ? 1 : 0)] as const).filter(([, n]) => n > 0),
    );
    expect(Math.max(...open.values())).toBeGreaterThan(1); // someone's reminder lists several leaves
    expect(open.has(confirmedBy)).toBe(false); // 李娜 confirmed her only leaf
    expect(result).toMatchObject({ reminders: open.size, notices: 0, remindedTargets: 133 });
    const got = receivedSince(before);
    expect([...got.keys()].sort()).toEqual([...open.keys()].sort());
    for (const [user, byKind] of got) {
      expect([...byKind.keys()], user).toEqual(["sampleText"]);
      const [text, ...more] = (byKind.get("sampleText") ?? []).map(textOf);
      expect(more, user).toEqual([]);
      const n = open.get(user) ?? 0;
      expect(text, user).toContain(`中有 ${n} 个目标还没有确认`);
      expect(listed(text ?? ""), user).toHaveLength(Math.min(n, 20) + (n > 20 ? 1 : 0));
    }

    // The same day again (the job called directly: the scheduler's claim would stop it before it ran).
    before = seqs();
    expect(await confirmReminderJob.run(svc.deps, "2026-11-25")).toMatchObject({ reminders: 0, notices: 0 });
    await svc.dingtalk!.outbox.drain();
    expect(receivedSince(before).size).toBe(0);
    // Nor the next day: each version is named once.
    expect(await runReminder("2026-11-26T10:00:00")).toMatchObject({ reminders: 0, notices: 0 });
    expect(receivedSince(before).size).toBe(0);
  });

  it("confirm-reminder, 3 workdays later: ONE list per manager, ONE reminder naming only what is new; reruns send nothing", async () => {
    // A new version of one of an owner's two leaves, published on Wednesday 11-25 (as an approved change would):
    // its clock starts over, so on Friday its owner is reminded of it — and only of it, the other leaf having
    // been named on Wednesday — while the managers hear of every other unconfirmed leaf.
    const [twice] = [...owners].find(([, n]) => n > 1)!;
    const [, renewed] = await svc.db.prisma.target.findMany({
      where: { planId, ownerUserId: twice, children: { none: {} } },
      orderBy: { id: "asc" },
    });
    await svc.db.sql.query("UPDATE target SET version = 2 WHERE id = $1", [renewed!.id]);
    const res = await svc.api(`/api/plans/${planId}/publish`, { method: "POST" });
    expect(await res.json()).toMatchObject({ queued: 1, summaries: 1 });
    await svc.dingtalk!.outbox.drain();
    await svc.db.sql.query("UPDATE target_card_sent SET sent_at = $1 WHERE target_id = $2 AND version = 2", [
      shanghai("2026-11-25T10:00:00"),
      renewed!.id,
    ]);

    const before = seqs();
    const result = await runReminder("2026-11-27T10:00:00");
    const managers = await svc.db.sql.query<{ manager: string; n: bigint; owners: bigint }>(
      `SELECT s.manager_user_id AS manager, count(*) AS n, count(DISTINCT s.user_id) AS owners
         FROM target t JOIN staff s ON s.user_id = t.owner_user_id
        WHERE t.plan_id = $1 AND t.state <> 'ARCHIVED' AND NOT EXISTS (SELECT 1 FROM target c WHERE c.parent_id = t.id)
          AND NOT EXISTS (SELECT 1 FROM target_ack a WHERE a.target_id = t.id) AND t.id <> $2
        GROUP BY 1`,
      [planId, renewed!.id],
    );
    expect(result).toMatchObject({ reminders: 1, remindedTargets: 1, notices: managers.length, noticedTargets: 132 });
    const got = receivedSince(before);
    expect([...got.keys()].sort()).toEqual([...managers.map((m) => m.manager), twice].sort());
    for (const m of managers) {
      const byKind = got.get(m.manager)!;
      expect([...byKind.keys()], m.manager).toEqual(["sampleMarkdown"]);
      expect(byKind.get("sampleMarkdown"), m.manager).toHaveLength(1);
      const text = textOf(byKind.get("sampleMarkdown")?.[0]);
      const n = Number(m.n);
      expect(text).toMatch(new RegExp(`^#### ${n} 个目标已 3 个工作日未确认\\n你团队中 ${m.owners} 人在`));
      expect(listed(text), m.manager).toHaveLength(Math.min(n, 20) + (n > 20 ? 1 : 0));
    }
    const reminder = got.get(twice)!.get("sampleText")!;
    expect(reminder).toHaveLength(1);
    expect(textOf(reminder[0])).toContain("有 1 个目标还没有确认");
    expect(listed(textOf(reminder[0]))).toEqual([expect.stringMatching(/（第2版）$/)]);

    const again = seqs();
    expect(await confirmReminderJob.run(svc.deps, "2026-11-27")).toMatchObject({ reminders: 0, notices: 0 });
    expect(await runReminder("2026-11-30T10:00:00")).toMatchObject({ reminders: 0, notices: 0 });
    expect(receivedSince(again).size).toBe(0);
    const named = (kind: string) => count("SELECT count(*) AS n FROM confirm_reminder WHERE kind = $1", [kind]);
    expect([await named("OWNER"), await named("MANAGER")]).toEqual([134, 132]);
  });
});
