import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config.ts";
import { seedDemo } from "../../src/demo/seed-demo.ts";
import type { CardContext } from "../../src/dingtalk/bot.ts";
import { createOutbound } from "../../src/dingtalk/outbound.ts";
import { disputeTarget } from "../../src/flows/confirm/dispute-target.ts";
import { createTestDatabase, type TestDatabase } from "../helpers/test-db.ts";

/*
 * A dispute whose owner has no manager: stored, and — since nobody can be told — logged as a warning naming the
 * person and the target, never dropped silently. With a manager the notice card is queued instead.
 */

let db: TestDatabase;
let planId: string;
const lines: Record<string, unknown>[] = [];
const log = pino({ level: "warn" }, { write: (line: string) => void lines.push(JSON.parse(line)) });
const config = { ...loadConfig({ ADMIN_TOKEN: "test-admin-token-0123456789abcdef" }), sandbox: true };
const outbound = createOutbound({ config, dingtalk: { robotCode: "dingsandbox" } });

beforeAll(async () => {
  db = await createTestDatabase();
  ({ planId } = await seedDemo(db));
}, 120_000);

afterAll(async () => {
  await db?.close();
});

/** Disputes a leaf target of the demo plan as its owner, in one transaction as the bot would. */
async function dispute(targetId: string) {
  const target = await db.prisma.target.findUniqueOrThrow({ where: { id: targetId }, include: { owner: true } });
  await db.prisma.$transaction(async (tx) => {
    const ctx = { tx, log, event: { userId: target.ownerUserId, outTrackId: "test" } } as unknown as CardContext;
    await disputeTarget({ outbound }, ctx, {
      target: target as typeof target & { owner: NonNullable<typeof target.owner> },
      amount: "1万",
      reason: "太高",
    });
  });
  return target;
}

/** A leaf whose owner has a manager; `last` picks another one than the first. */
const managedLeaf = (last = false) =>
  db.prisma.target.findFirstOrThrow({
    where: { planId, children: { none: {} }, owner: { managerUserId: { not: null } } },
    orderBy: { id: last ? "desc" : "asc" },
  });

describe("a dispute's notice to the manager", () => {
  it("with a manager: the notice card is queued, nothing is logged", async () => {
    const target = await dispute((await managedLeaf()).id);
    const request = await db.prisma.changeRequest.findFirstOrThrow({ where: { targetId: target.id } });
    const notice = await db.prisma.outboxMessage.findUnique({
      where: { idempotencyKey: `notice.dispute.${request.id}` },
    });
    expect(notice?.kind).toBe("card.createAndDeliver");
    expect(lines).toEqual([]);
  });

  it("without a manager: the dispute is stored, no card, and a warning names the person and the target", async () => {
    const leaf = await managedLeaf(true);
    await db.prisma.staff.update({ where: { userId: leaf.ownerUserId! }, data: { managerUserId: null } });
    const target = await dispute(leaf.id);
    const request = await db.prisma.changeRequest.findFirstOrThrow({ where: { targetId: target.id } });
    const notice = await db.prisma.outboxMessage.count({ where: { idempotencyKey: `notice.dispute.${request.id}` } });
    expect(notice).toBe(0);
    expect(lines).toEqual([
      expect.objectContaining({
        level: 40,
        userId: target.ownerUserId,
        name: target.owner!.name,
        targetId: target.id,
        requestId: request.id,
      }),
    ]);
  });
});
