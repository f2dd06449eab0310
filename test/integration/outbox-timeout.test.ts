import { afterEach, describe, expect, it } from "vitest";
import { createDirectoryClient } from "../../src/dingtalk/directory-client.ts";
import { createLegacyTokenSource } from "../../src/dingtalk/legacy-token.ts";
import { API, createOpenApiClient } from "../../src/dingtalk/openapi-client.ts";
import { enqueue } from "../../src/dingtalk/outbox/enqueue.ts";
import { startOutboxWorker } from "../../src/dingtalk/outbox/outbox-worker.ts";
import { APP, startTestEmulator, targetCardBody } from "../fixtures/dingtalk/emulator-app.ts";
import { createOutboxTestDatabase, deliveries, enqueueCards, REPS } from "../helpers/outbox-fixtures.ts";
import { silentLog } from "../helpers/test-db.ts";

// DingTalk calls that are never answered: without a deadline the call hangs for ever, the live worker's heartbeat
// renews its row's lease for ever, the row is neither sent nor retried, and stop() waits on it. The emulator's
// `stall` fault holds a call's answer; the client's timeout is short here to keep the tests quick.
const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});
function track<T>(value: T, cleanup: (v: T) => unknown): T {
  cleanups.push(() => cleanup(value));
  return value;
}

interface RowState {
  key: string;
  status: string;
  attempts: number;
  last_error: string | null;
}
const rows = (db: { sql: { query<T>(q: string): Promise<T[]> } }) =>
  db.sql.query<RowState>(
    "SELECT idempotency_key AS key, status::text AS status, attempts, last_error FROM outbox_message ORDER BY id",
  );

describe("outbox: DingTalk calls with a deadline", () => {
  it("retries a card whose create was never answered in time, and delivers it once when the stalled call lands late", async () => {
    const em = track(await startTestEmulator(), (e) => e.close());
    const db = track(await createOutboxTestDatabase(), (d) => d.close());
    await enqueueCards(db, 6, "stall");
    // The first three creates are answered only 4 s later: far past the client's 1 s. Each is then handled
    // as DingTalk would a request that arrived and whose caller gave up: the card is created (if not yet).
    em.stall(API.createAndDeliver, 3, 4000);
    const client = createOpenApiClient({ apiBase: em.url, ...APP, robotCode: APP.clientId, timeoutMs: 1000 });
    const worker = track(
      startOutboxWorker({ db, client, qps: 1000, log: silentLog, pollMs: 20, retryBaseMs: 50 }),
      (w) => w.stop(),
    );
    await worker.drain();
    const sent = await rows(db);
    expect(sent.map((r) => r.status)).toEqual(Array(6).fill("SENT"));
    // Three rows went out twice: the stalled call timed out (a retryable failure) and the retry was answered.
    expect(sent.filter((r) => r.attempts >= 2).length).toBeGreaterThanOrEqual(3);

    // The stalled calls land after all: they must not make a second card.
    await expect
      .poll(() => em.listRequests(API.createAndDeliver).filter((r) => r.status !== undefined).length, {
        timeout: 15_000,
        interval: 50,
      })
      .toBe(em.listRequests(API.createAndDeliver).length);
    const creates = em.listRequests(API.createAndDeliver);
    expect(creates.length).toBeGreaterThanOrEqual(9);
    // 200 once per card; every other create is a repeat DingTalk refuses (param.cardAlreadyExist).
    expect(creates.filter((r) => r.status === 200)).toHaveLength(6);
    expect(creates.filter((r) => r.status !== 200).map((r) => `${r.status} ${r.errorCode}`)).toEqual(
      Array(creates.length - 6).fill("400 param.cardAlreadyExist"),
    );
    const { cards, inboxCards } = deliveries(em);
    expect(cards).toBe(6);
    expect(inboxCards.size).toBe(6);
    expect([...inboxCards.values()].filter((n) => n !== 1)).toEqual([]);
  });

  it("sends the other rows while one call hangs, and stops without waiting for the hung call's answer", async () => {
    const em = track(await startTestEmulator(), (e) => e.close());
    const db = track(await createOutboxTestDatabase(), (d) => d.close());
    await enqueue(db, {
      idempotencyKey: "hung-text",
      kind: "robot.batchSend",
      payload: { userIds: [REPS[0]], msgKey: "sampleText", msgParam: { content: "目标已发布" } },
    });
    await enqueueCards(db, 5, "beside");
    // Every batchSend hangs for ten minutes (until the emulator closes): only the deadline ends the text's call.
    em.stall(API.batchSend, 1000, 600_000);
    const client = createOpenApiClient({ apiBase: em.url, ...APP, robotCode: APP.clientId, timeoutMs: 2000 });
    const worker = startOutboxWorker({ db, client, qps: 1000, log: silentLog, pollMs: 20 });
    track(worker, (w) => w.stop());
    await expect.poll(() => em.listRequests(API.batchSend).length, { timeout: 10_000, interval: 20 }).toBe(1);
    await expect
      .poll(async () => (await rows(db)).filter((r) => r.status === "SENT").length, { timeout: 10_000, interval: 20 })
      .toBe(5);
    expect(deliveries(em).cards).toBe(5);

    await worker.stop(); // without a deadline this waits for the hung call: past the test's timeout
    const [text] = (await rows(db)).filter((r) => r.key === "hung-text");
    // Not lost and not held: PENDING for a retry (1 s backoff, past this stop), the timeout its error.
    expect(text).toMatchObject({ status: "PENDING", attempts: 1 });
    expect(text?.last_error).toMatch(/no answer within 2000 ms/);
  });
});

describe("DingTalk HTTP deadlines beyond the outbox's calls", () => {
  it("fails a token fetch that is not answered in time as a retryable timeout, and the next call gets one", async () => {
    const em = track(await startTestEmulator(), (e) => e.close());
    em.stall("POST /v1.0/oauth2/accessToken", 1, 600_000);
    const client = createOpenApiClient({ apiBase: em.url, ...APP, robotCode: APP.clientId, timeoutMs: 300 });
    const body = { ...targetCardBody("deadline-token-1", REPS[0]), outTrackId: "deadline-token-1" };
    await expect(client.createAndDeliverCard(body)).rejects.toMatchObject({ code: "timeout", retryable: true });
    expect(em.listRequests(API.createAndDeliver)).toEqual([]); // nothing went out without a token
    await expect(client.createAndDeliverCard(body)).resolves.toMatchObject({ success: true });
    expect(em.listCards()).toHaveLength(1);
  });

  it("retries a directory lookup whose first answer never comes, within the directory client's retries", async () => {
    const em = track(await startTestEmulator(), (e) => e.close());
    em.stall("POST /topapi/v2/user/get", 1, 600_000);
    const token = createLegacyTokenSource({ oapiBase: em.url, ...APP, timeoutMs: 300 });
    const directory = createDirectoryClient({ oapiBase: em.url, token, timeoutMs: 300, retryDelaysMs: [10] });
    await expect(directory.getUser(REPS[0])).resolves.toMatchObject({ userid: REPS[0] });
    expect(em.listRequests("/topapi/v2/user/get")).toHaveLength(2);
  });
});
