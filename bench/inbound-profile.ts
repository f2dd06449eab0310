/**
 * bench/inbound-profile.ts — the statements one push costs, end to end (issue #17 item 3), load-independent:
 * the service as bench:inbound starts it (startService against sandbox mode's emulator, here in-process), the
 * reference plan published and its cards sent; then one chat progress report, one first 确认 on a target card and
 * one repeated 确认, each followed until its reply or card answer is sent, with every statement the process sent
 * in between listed (the outbox worker's idle polls, every 500 ms, and lease renewals included; the idle
 * cost is printed first so it can be told apart).
 * `npx tsx bench/inbound-profile.ts` (PGlite) or with `BENCH_DB_URL=postgresql://…` (a throw-away database).
 */
import { setTimeout as sleep } from "node:timers/promises";
import { openDatabase } from "../src/db/database.ts";
import { seedDemo } from "../src/demo/seed-demo.ts";
import type { CardInboxItem } from "../src/dingtalk/emulator/emulator-types.ts";
import { createLogger } from "../src/lib/logger.ts";
import { startSandboxDingTalk } from "../src/sandbox/sandbox-dingtalk.ts";
import { startService } from "../src/start-service.ts";
import { ADMIN_TOKEN, benchConfig } from "./inbound-config.ts";
import { countStatements } from "./statement-counter.ts";

const PROMPT_TIME = new Date("2026-11-20T08:00:00Z");
const log = createLogger("silent");
const db = await openDatabase({ url: process.env.BENCH_DB_URL, pgliteDir: "memory://", log });
const { emulator, dingtalk } = await startSandboxDingTalk(log);
const service = await startService({ config: benchConfig(dingtalk), log, db, now: () => PROMPT_TIME });
try {
  const { planId } = await seedDemo(db, service.deps.calendar);
  const res = await fetch(`${service.url}/api/plans/${planId}/publish`, {
    method: "POST",
    headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
  });
  if (!res.ok) throw new Error(`publish answered ${res.status}: ${await res.text()}`);
  await service.dingtalk!.outbox.drain();
  const card = emulator.getStaff().users.flatMap((u) =>
    emulator
      .getInbox(u.userid)
      .filter((i): i is CardInboxItem => i.kind === "card" && i.privateData.canAct === "true")
      .map((c) => ({ outTrackId: c.outTrackId, userId: u.userid })),
  )[0]!;
  await sleep(300);
  const counter = countStatements({ keepTexts: true });
  const settle = async () => {
    // Until the outbox has nothing left (the reply sent and marked), then a moment for the last mark's commit.
    await service.dingtalk!.outbox.drain();
    await sleep(200);
  };
  const show = (label: string) => {
    const texts = counter.take();
    console.log(`\n[${db.kind}] ${label}: ${texts.length} statements (round trips on PostgreSQL)`);
    for (const [i, t] of texts.entries()) console.log(`  ${String(i + 1).padStart(2)}. ${t.slice(0, 160)}`);
  };
  await sleep(2000);
  show("idle for 2 s (outbox polls)");
  const n = Number(process.env.PROFILE_REPORTS ?? 1);
  for (let i = 0; i < n; i++) {
    const id = emulator.sendText(card.userId, `本周完成${(20_000 + i).toLocaleString("en-US")}元，新客户1家`)!;
    await emulator.waitForAck(id, 30_000);
  }
  await settle();
  show(`${n} chat progress report(s), ack and reply sent`);
  const first = await emulator.clickCard(card.outTrackId, card.userId, { action: "confirm" }, "confirm");
  await settle();
  show(`first 确认 on a target card (${first.status}), answered in the ack`);
  const again = await emulator.clickCard(card.outTrackId, card.userId, { action: "confirm" }, "confirm");
  await settle();
  show(`repeated 确认 (${again.status}), answered 已处理`);
  counter.stop();
} finally {
  await service.stop();
  await emulator.close?.();
  await db.close();
}
