import type { Logger } from "../../lib/logger.ts";
import type { AppRegistry } from "./app-registry.ts";
import type { Clock } from "./clock.ts";
import type { Faults } from "./faults.ts";
import { type AckFrame, callbackFrame } from "./frames.ts";
import { newMessageId } from "./ids.ts";
import type { StreamHub } from "./stream-hub.ts";

export interface AckRecord {
  code: number | undefined;
  message: string | undefined;
  /** The ack's `data` string as sent (e.g. `{"response":…}`). */
  data: string | undefined;
  connectionId: string;
  at: number;
}

/** One CALLBACK push and what became of it. */
export interface PushRecord {
  messageId: string;
  clientId: string;
  topic: string;
  /** The parsed `data` that was pushed. */
  data: Record<string, unknown>;
  /** The exact frame text, resent unchanged on redelivery; undefined until first delivered. */
  frame: string | undefined;
  createdAt: number;
  /** `timeout`: a deadline (card callbacks) passed without an ack. */
  status: "pending" | "acked" | "timeout";
  deliveries: { connectionId: string; at: number }[];
  ack: AckRecord | undefined;
  /** Acks that arrived after the deadline: recorded, not applied. */
  lateAcks: AckRecord[];
  droppedAcks: number;
  duplicateAcks: number;
}

export type PushOutcome = { kind: "acked"; ack: AckRecord } | { kind: "timeout" };

export interface PushInput {
  clientId: string;
  topic: string;
  data: Record<string, unknown>;
  /** Card callbacks: no ack within this → `timeout` (docs/dingtalk.md §1.6: 2 s). */
  deadlineMs?: number;
  /** Robot messages are redelivered when unacked; card callbacks are not (only useful within the deadline). */
  redeliver: boolean;
}

export interface PushTrackerOptions {
  hub: () => StreamHub;
  apps: AppRegistry;
  faults: Faults;
  clock: Clock;
  log: Logger;
  redeliverAfterMs: number | null;
  maxRedeliveries: number;
}

export interface PushTracker {
  /** Undefined when nothing could be delivered and the push is not kept for redelivery. */
  push(input: PushInput): { record: PushRecord; outcome: Promise<PushOutcome> } | undefined;
  handleAck(connectionId: string, ack: AckFrame): void;
  get(messageId: string): PushRecord | undefined;
  outcome(messageId: string): Promise<PushOutcome> | undefined;
  list(): PushRecord[];
  clear(): void;
}

/** Tracks every CALLBACK push until it is acked or its deadline passes. */
export function createPushTracker(opts: PushTrackerOptions): PushTracker {
  const records = new Map<string, PushRecord>();
  const outcomes = new Map<string, { promise: Promise<PushOutcome>; resolve: (o: PushOutcome) => void }>();
  const timers = new Set<NodeJS.Timeout>();
  const attempts = new Map<string, number>();

  function later(ms: number, fn: () => void) {
    const timer = setTimeout(() => {
      timers.delete(timer);
      fn();
    }, ms);
    timers.add(timer);
  }

  function deliver(record: PushRecord): boolean {
    attempts.set(record.messageId, (attempts.get(record.messageId) ?? 0) + 1);
    const conn = opts.hub().pick(record.clientId, record.topic);
    if (!conn) return false;
    const app = opts.apps.get(record.clientId)!;
    record.frame ??= JSON.stringify(
      callbackFrame({ ...record, appId: app.appId, connectionId: conn.connectionId, time: opts.clock.now() }),
    );
    if (!opts.hub().send(conn.connectionId, record.frame)) return false;
    record.deliveries.push({ connectionId: conn.connectionId, at: opts.clock.now() });
    return true;
  }

  /** Unacked pushes are sent again, same messageId and same frame (docs/dingtalk.md §1.6; schedule UNVERIFIED). */
  function scheduleRedelivery(record: PushRecord) {
    const { redeliverAfterMs, maxRedeliveries } = opts;
    if (redeliverAfterMs === null || (attempts.get(record.messageId) ?? 0) > maxRedeliveries) return;
    later(redeliverAfterMs, () => {
      if (record.status !== "pending") return;
      opts.log.debug({ messageId: record.messageId }, "emulator: redelivering an unacked push");
      deliver(record);
      scheduleRedelivery(record);
    });
  }

  function settle(record: PushRecord, ack: AckRecord) {
    if (record.status === "acked") record.duplicateAcks++;
    else if (record.status === "timeout") record.lateAcks.push(ack);
    else {
      record.status = "acked";
      record.ack = ack;
      outcomes.get(record.messageId)?.resolve({ kind: "acked", ack });
    }
  }

  return {
    push(input) {
      const now = opts.clock.now();
      const record: PushRecord = {
        messageId: newMessageId(now),
        clientId: input.clientId,
        topic: input.topic,
        data: input.data,
        frame: undefined,
        createdAt: now,
        status: "pending",
        deliveries: [],
        ack: undefined,
        lateAcks: [],
        droppedAcks: 0,
        duplicateAcks: 0,
      };
      const delivered = deliver(record);
      if (!delivered && !input.redeliver) return undefined;
      let resolve!: (o: PushOutcome) => void;
      const promise = new Promise<PushOutcome>((r) => {
        resolve = r;
      });
      records.set(record.messageId, record);
      outcomes.set(record.messageId, { promise, resolve });
      if (input.redeliver) scheduleRedelivery(record);
      if (input.deadlineMs !== undefined) {
        later(input.deadlineMs, () => {
          if (record.status !== "pending") return;
          record.status = "timeout";
          resolve({ kind: "timeout" });
        });
      }
      return { record, outcome: promise };
    },
    handleAck(connectionId, frame) {
      const record = records.get(frame.messageId);
      if (!record) {
        opts.log.warn({ messageId: frame.messageId }, "emulator: ack for an unknown messageId");
        return;
      }
      if (opts.faults.takeDroppedAck()) {
        record.droppedAcks++;
        return;
      }
      const apply = () => settle(record, { ...frame, connectionId, at: opts.clock.now() });
      if (opts.faults.ackDelayMs > 0) later(opts.faults.ackDelayMs, apply);
      else apply();
    },
    get: (messageId) => records.get(messageId),
    outcome: (messageId) => outcomes.get(messageId)?.promise,
    list: () => [...records.values()].map((r) => structuredClone(r)),
    clear() {
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      // Nobody will ack these any more: settle waiting clicks instead of leaving them hanging.
      for (const record of records.values()) {
        if (record.status === "pending") outcomes.get(record.messageId)?.resolve({ kind: "timeout" });
      }
      records.clear();
      outcomes.clear();
      attempts.clear();
    },
  };
}
