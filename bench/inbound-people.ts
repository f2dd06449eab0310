/**
 * bench:inbound's other side, in a worker thread: the DingTalk emulator and the people who type to the bot and
 * tap 确认 on their target cards. DingTalk is not in the bot's process, and sharing the bot's event loop would
 * count its work as ours. The emulator is sandbox mode's (the reference company as its directory). Talks to
 * bench/inbound.ts by messages: the app's credentials and URL → "cards sent" → the run's figures.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { parentPort, workerData } from "node:worker_threads";
import type { CardInboxItem, Emulator } from "../src/dingtalk/emulator/emulator-types.ts";
import { createLogger } from "../src/lib/logger.ts";
import { startSandboxDingTalk } from "../src/sandbox/sandbox-dingtalk.ts";
import { type Stall, startStallMeter } from "./stall-meter.ts";

export interface PeopleOptions {
  pushes: number;
  clicksShare: number;
  /** Pushes per second, open loop; 0 = closed loop with `concurrency` people at a time. */
  rate: number;
  concurrency: number;
}

/** What the people saw: frame-to-ack latencies by kind, wall time, pushes never acked, card outcomes. */
export interface RunResult {
  chat: number[];
  /** The first 确认 on each card: the handler stores the acknowledgement and the card turns 已确认. */
  confirm: number[];
  /** Further taps on a card already tapped: the same click again, answered "已处理，无需重复操作". */
  repeat: number[];
  /**
   * First tap's frame → the card showing 已确认 (status confirmed), whether the ack carried the answer or the
   * bot's 1.5 s deadline acked empty and the outbox sent the update afterwards. Read after the outbox drained.
   */
  confirmedAfter: number[];
  /** Clicks acked empty at the bot's deadline (the answer then goes out through the outbox). */
  deadlineAcks: number;
  /** Chat pushes: the message's msgId → when its frame was first sent (epoch ms). */
  chatSentAt: Record<string, number>;
  seconds: number;
  unacked: number;
  /** Target cards the people could act on (their own, with the 确认 button), and how many now say confirmed. */
  ownCards: number;
  confirmedCards: number;
  /** Cards tapped at least once (each card's first tap is a 确认 of a card not yet confirmed). */
  firstTaps: number;
  /** Click answers that were not an applied callback (timeout, rejected, nothing pushed). */
  clickFailures: number;
  /** This thread's stalls during the run (GC pauses, late timers): frames are stamped on its loop. */
  stalls: Stall[];
  /** Pushes whose ack came {@link SLOW_MS} or more after their frame: when each was sent and acked (epoch ms). */
  slow: { from: number; to: number }[];
}

/** A push this slow is matched against the stalls of both threads (bench/inbound.ts). */
export const SLOW_MS = 50;

interface OwnCard {
  outTrackId: string;
  userId: string;
}

/** Every target card a person received with the 确认 button on it (the owner's), in a stable order. */
function ownTargetCards(emulator: Emulator): OwnCard[] {
  const users = emulator.getStaff().users.map((u) => u.userid);
  return users
    .flatMap((userId) =>
      emulator
        .getInbox(userId)
        .filter((i): i is CardInboxItem => i.kind === "card" && i.privateData.canAct === "true")
        .map((c) => ({ outTrackId: c.outTrackId, userId })),
    )
    .sort((a, b) => a.outTrackId.localeCompare(b.outTrackId));
}

async function run(opts: PeopleOptions): Promise<void> {
  const { emulator, dingtalk } = await startSandboxDingTalk(createLogger("silent"));
  parentPort!.postMessage(dingtalk);
  await new Promise((resolve) => parentPort!.once("message", resolve)); // the plan is published, its cards sent
  const cards = ownTargetCards(emulator);
  if (cards.length === 0) throw new Error("no target card with a 确认 button reached anyone: was the plan published?");
  const t0 = performance.now();
  const meter = startStallMeter();
  const clicks = await drive(emulator, opts, cards);
  const seconds = (performance.now() - t0) / 1000;
  const stalls = meter.stop();
  parentPort!.postMessage("driven");
  await new Promise((resolve) => parentPort!.once("message", resolve)); // the service's outbox has drained
  const pushes = emulator.listPushes();
  const latency = (p: (typeof pushes)[number]) => p.ack!.at - p.deliveries[0]!.at;
  const acked = pushes.filter((p) => p.ack);
  const result: RunResult = {
    chat: acked.filter((p) => p.topic.includes("/im/bot/")).map(latency),
    confirm: acked.filter((p) => clicks.kind.get(p.messageId) === "confirm").map(latency),
    repeat: acked.filter((p) => clicks.kind.get(p.messageId) === "repeat").map(latency),
    confirmedAfter: cards.flatMap((c) => {
      const frame = emulator.listPushes().find((p) => p.messageId === clicks.firstTap.get(c.outTrackId));
      const shown = emulator.getCard(c.outTrackId)?.updates.find((u) => u.update.cardParamMap?.status === "confirmed");
      return frame?.deliveries[0] && shown ? [shown.at - frame.deliveries[0].at] : [];
    }),
    deadlineAcks: clicks.deadlineAcks,
    chatSentAt: Object.fromEntries(
      pushes
        .filter((p) => p.topic.includes("/im/bot/") && p.deliveries[0])
        .map((p) => [String(p.data.msgId), p.deliveries[0]!.at]),
    ),
    seconds,
    unacked: pushes.filter((p) => p.status !== "acked").length,
    ownCards: cards.length,
    confirmedCards: cards.filter((c) => emulator.getCard(c.outTrackId)?.publicData.status === "confirmed").length,
    firstTaps: clicks.firstTaps,
    clickFailures: clicks.failures,
    stalls,
    slow: acked.filter((p) => latency(p) >= SLOW_MS).map((p) => ({ from: p.deliveries[0]!.at, to: p.ack!.at })),
  };
  parentPort!.postMessage(result);
  // The floors (bench/inbound.ts): the service has stopped and a bare stream client took its place; the same
  // people send the same pushes again, once per floor, and only each round's pushes are counted.
  while ((await new Promise((resolve) => parentPort!.once("message", resolve))) === "floor") {
    const since = Date.now();
    const f0 = performance.now();
    const again = await drive(emulator, opts, cards);
    const floorSeconds = (performance.now() - f0) / 1000;
    const round = emulator.listPushes().filter((p) => (p.deliveries[0]?.at ?? 0) >= since);
    const floor: FloorResult = {
      latencies: round.filter((p) => p.ack).map(latency),
      seconds: floorSeconds,
      unacked: round.filter((p) => p.status !== "acked").length,
      clickFailures: again.failures,
    };
    parentPort!.postMessage(floor);
  }
}

/** The floor round: frame → ack of every push, wall time, pushes never acked, clicks not applied. */
export interface FloorResult {
  latencies: number[];
  seconds: number;
  unacked: number;
  clickFailures: number;
}

/**
 * ¾ progress reports in chat from the card owners, ¼ 确认 taps (by default). The clicks walk the cards in
 * order, each card's taps in a row, so first confirmations are spread over the whole run and the rest are
 * repeats on a confirmed card.
 */
async function drive(emulator: Emulator, opts: PeopleOptions, cards: OwnCard[]) {
  const reporters = [...new Set(cards.map((c) => c.userId))];
  const clickEvery = Math.max(1, Math.round(1 / opts.clicksShare));
  const totalClicks = Math.ceil(opts.pushes / clickEvery);
  const kind = new Map<string, "confirm" | "repeat">();
  const firstTap = new Map<string, string>();
  let failures = 0;
  let deadlineAcks = 0;
  const one = async (i: number) => {
    if (i % clickEvery === 0) {
      const card = cards[Math.floor(((i / clickEvery) * cards.length) / totalClicks)]!;
      const first = !firstTap.has(card.outTrackId);
      if (first) firstTap.set(card.outTrackId, "");
      const result = await emulator.clickCard(card.outTrackId, card.userId, { action: "confirm" }, "confirm");
      if (first && "messageId" in result) firstTap.set(card.outTrackId, result.messageId);
      if (result.status !== "applied") failures++;
      else {
        kind.set(result.messageId, first ? "confirm" : "repeat");
        if (!result.response?.cardData && !result.response?.userPrivateData) deadlineAcks++;
      }
    } else {
      const userId = reporters[i % reporters.length]!;
      // A different figure each time (an unchanged repeat stores nothing), well under 10× a rep's week target.
      const amount = (20_000 + i).toLocaleString("en-US");
      await emulator.waitForAck(emulator.sendText(userId, `本周完成${amount}元，新客户${i % 5}家`)!, 30_000);
    }
  };
  if (opts.rate > 0) {
    // Open loop: pushes arrive on a schedule whatever the bot's speed, as DingTalk sends them.
    const t0 = performance.now();
    const inFlight: Promise<void>[] = [];
    for (let i = 0; i < opts.pushes; i++) {
      const due = t0 + (i * 1000) / opts.rate - performance.now();
      if (due > 0) await sleep(due);
      inFlight.push(one(i));
    }
    await Promise.all(inFlight);
  } else {
    let next = 0;
    const loop = async () => {
      for (let i = next++; i < opts.pushes; i = next++) await one(i);
    };
    await Promise.all(Array.from({ length: opts.concurrency }, loop));
  }
  return { kind, failures, deadlineAcks, firstTap, firstTaps: firstTap.size };
}

if (parentPort && (workerData as { role?: string } | undefined)?.role === "people") {
  await run((workerData as { opts: PeopleOptions }).opts);
}
