import type { Clock } from "./clock.ts";
import { newUuid } from "./ids.ts";

/** One entry of the gateway's `subscriptions` (docs/dingtalk.md §1.1). */
export interface Subscription {
  type: "EVENT" | "CALLBACK" | "SYSTEM";
  topic: string;
}

export interface TicketRecord {
  ticket: string;
  clientId: string;
  subscriptions: Subscription[];
  ua: string | undefined;
  localIp: string | undefined;
  issuedAt: number;
  used: boolean;
}

export type TicketUse = { ok: true; record: TicketRecord } | { ok: false; reason: "unknown" | "used" | "expired" };

/** Gateway tickets: single use, valid `ttlMs` (90 s on DingTalk, docs/dingtalk.md §1.1). */
export interface TicketStore {
  issue(input: Omit<TicketRecord, "ticket" | "issuedAt" | "used">): TicketRecord;
  /** Validates and burns a ticket (the WebSocket handshake calls this). */
  consume(ticket: string | null): TicketUse;
}

/** Tickets in memory; `ttlMs` is 90 s by default (docs/dingtalk.md §1.1). */
export function createTicketStore(clock: Clock, ttlMs: number): TicketStore {
  const tickets = new Map<string, TicketRecord>();
  function prune(now: number) {
    // Keep used/expired tickets a while so a replay is reported as "used"/"expired" rather than "unknown".
    for (const [key, record] of tickets) if (now - record.issuedAt > ttlMs * 10) tickets.delete(key);
  }
  return {
    issue(input) {
      const now = clock.now();
      prune(now);
      const record: TicketRecord = { ...input, ticket: newUuid(), issuedAt: now, used: false };
      tickets.set(record.ticket, record);
      return record;
    },
    consume(ticket) {
      const record = ticket ? tickets.get(ticket) : undefined;
      if (!record) return { ok: false, reason: "unknown" };
      if (record.used) return { ok: false, reason: "used" };
      if (clock.now() - record.issuedAt >= ttlMs) return { ok: false, reason: "expired" };
      record.used = true;
      return { ok: true, record };
    },
  };
}
