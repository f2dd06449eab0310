import { setTimeout as sleep } from "node:timers/promises";
import { type Database, openDatabase } from "../../src/db/database.ts";
import type { Emulator } from "../../src/dingtalk/emulator/emulator-types.ts";
import { API, createOpenApiClient, type OpenApiClient } from "../../src/dingtalk/openapi-client.ts";
import { enqueueMany } from "../../src/dingtalk/outbox/enqueue.ts";
import { APP, targetCardBody } from "../fixtures/dingtalk/emulator-app.ts";
import { createServerDatabase, createTestDatabase, serverUrl, silentLog, type TestDatabase } from "./test-db.ts";

/** Recipients the emulator's sales directory knows (unknown ids would be refused). */
export const REPS = ["rep1101", "rep1102", "rep1103", "rep1104", "rep1201"] as const;

export function testClient(emulator: Emulator): OpenApiClient {
  return createOpenApiClient({ apiBase: emulator.url, ...APP, robotCode: APP.clientId });
}

/** The outTrackId of card `i` of a fan-out. */
export const cardId = (prefix: string, i: number) => `${prefix}-target-${i}-v1`;

/** Enqueues `n` target cards (outTrackId = idempotency key), spread over {@link REPS}. */
export async function enqueueCards(db: Database, n: number, prefix = "fan"): Promise<void> {
  const cards = Array.from({ length: n }, (_, i) => {
    const id = cardId(prefix, i);
    const payload = { ...targetCardBody(id, REPS[i % REPS.length]), outTrackId: id };
    return { idempotencyKey: id, kind: "card.createAndDeliver" as const, payload };
  });
  await enqueueMany(db, cards); // one statement, rows in order (ids ascending)
}

/** Successful createAndDeliver calls per outTrackId, and the cards each recipient holds. */
export function deliveries(emulator: Emulator): { cards: number; inboxCards: Map<string, number> } {
  const inboxCards = new Map<string, number>();
  for (const rep of REPS) {
    for (const item of emulator.getInbox(rep)) {
      if (item.kind === "card") inboxCards.set(item.outTrackId, (inboxCards.get(item.outTrackId) ?? 0) + 1);
    }
  }
  return { cards: emulator.listCards().length, inboxCards };
}

/** Answers by status for one API, e.g. `{200: 300, 403: 0}`. */
export function statusCounts(emulator: Emulator, api: string = API.createAndDeliver): Record<number, number> {
  const counts: Record<number, number> = {};
  for (const r of emulator.listRequests(api)) counts[r.status ?? 0] = (counts[r.status ?? 0] ?? 0) + 1;
  return counts;
}

/**
 * createTestDatabase, except that on a server the drop waits a moment after the pool is closed: pg's
 * `pool.end()` resolves before its sockets are gone, and `DROP DATABASE … WITH (FORCE)` would then kill
 * those backends, which the pool (no 'error' listener) reports as an unhandled 57P01 error. The outbox tests
 * use many pooled connections at once, which makes that race likely.
 */
export async function createOutboxTestDatabase(): Promise<TestDatabase> {
  if (!serverUrl) return createTestDatabase();
  const { url, drop } = await createServerDatabase(serverUrl);
  const db = await openDatabase({ url, pgliteDir: "", log: silentLog });
  return { ...db, url, close: () => closeThenDrop(db, drop) };
}

/** Closes `db`, waits for its sockets to go, then drops the database. */
export async function closeThenDrop(db: Database, drop: () => Promise<void>): Promise<void> {
  await db.close();
  await sleep(300);
  await drop();
}
