import { afterEach, describe, expect, it } from "vitest";
import type { Tx } from "../../src/db/database.ts";
import type { Emulator } from "../../src/dingtalk/emulator/emulator-types.ts";
import { API, createOpenApiClient } from "../../src/dingtalk/openapi-client.ts";
import { createOutbound, type Outbound } from "../../src/dingtalk/outbound.ts";
import { enqueue } from "../../src/dingtalk/outbox/enqueue.ts";
import { listOutbox } from "../../src/dingtalk/outbox/outbox-routes.ts";
import { type OutboxWorker, startOutboxWorker } from "../../src/dingtalk/outbox/outbox-worker.ts";
import { digestChartOptions } from "../../src/flows/digest/digest-chart.ts";
import { renderChartPng } from "../../src/flows/digest/render-chart-png.ts";
import { AppError } from "../../src/lib/errors.ts";
import { APP, accessToken, call, startTestEmulator } from "../fixtures/dingtalk/emulator-app.ts";
import { createOutboxTestDatabase } from "../helpers/outbox-fixtures.ts";
import { sampleDigest } from "../helpers/sample-digest.ts";
import { silentLog, type TestDatabase } from "../helpers/test-db.ts";

/*
 * The digest's chart as a DingTalk image message: the real outbound port queues a row with the PNG, the real
 * worker uploads it to the emulator's /media/upload and sends sampleImageMsg with the media_id, through the
 * fleet rate limiter; the emulator keeps the bytes and puts an image in the person's inbox.
 */

let db: TestDatabase | undefined;
let emulator: Emulator | undefined;
let worker: OutboxWorker | undefined;

afterEach(async () => {
  await worker?.stop();
  await emulator?.close();
  await db?.close();
  worker = db = emulator = undefined;
});

const UPLOAD = API.mediaUpload;
const SEND = API.batchSend;
let chart: Buffer | undefined;
/** The real chart PNG of a sample digest (rendered once). */
async function chartPng(): Promise<Buffer> {
  chart ??= await renderChartPng(digestChartOptions(sampleDigest()).attainment);
  return chart;
}

function outbound(): Outbound {
  const config = { sandbox: false, cardTemplates: {}, publicUrl: undefined, dingtalk: { todo: true } };
  return createOutbound({ config, dingtalk: { robotCode: APP.clientId } });
}

async function setup() {
  db = await createOutboxTestDatabase();
  emulator = await startTestEmulator();
  return { db, em: emulator };
}

function start(d: TestDatabase, em: Emulator) {
  const client = createOpenApiClient({ apiBase: em.url, oapiBase: em.url, ...APP, robotCode: APP.clientId });
  worker = startOutboxWorker({ db: d, client, qps: 1000, log: silentLog, pollMs: 20, retryBaseMs: 20 });
  return worker;
}

const inTx = <T>(d: TestDatabase, fn: (tx: Tx) => Promise<T>) => d.prisma.$transaction(fn);

interface Row {
  key: string;
  kind: string;
  api: string;
  status: string;
  attempts: number;
  last_error: string | null;
  payload: Record<string, unknown>;
  result: Record<string, unknown> | null;
}
const rows = (d: TestDatabase) =>
  d.sql.query<Row>(
    "SELECT idempotency_key AS key, kind, api, status, attempts, last_error, payload, result FROM outbox_message ORDER BY id",
  );

const calls = (em: Emulator, api: string) => em.listRequests(api).map((r) => `${r.status} ${r.errorCode ?? "ok"}`);

describe("image messages through the outbox", () => {
  it("uploads the PNG, sends it as an image message: it arrives in the inbox, the stored bytes are the PNG", async () => {
    const { db, em } = await setup();
    const png = await chartPng();
    const port = outbound();
    expect(await inTx(db, (tx) => port.sendPng(tx, { to: "rep1101", key: "digest-2026-W14-rep1101-chart", png }))).toBe(
      true,
    );
    expect(await inTx(db, (tx) => port.sendPng(tx, { to: "rep1101", key: "digest-2026-W14-rep1101-chart", png }))).toBe(
      false,
    );
    // GET /api/outbox's listing shows the image's size, not the image.
    const [listed] = await listOutbox(db, { limit: 10 });
    expect(listed?.payload).toEqual({
      userId: "rep1101",
      fileName: "digest-2026-W14-rep1101-chart.png",
      pngBase64Chars: png.toString("base64").length,
    });
    await start(db, em).drain();

    const inbox = em.getInbox("rep1101");
    expect(inbox).toHaveLength(1);
    const [item] = inbox;
    expect(item).toMatchObject({ kind: "image", via: "batchSend", conversationType: "1" });
    const mediaId = item?.kind === "image" ? item.mediaId : null;
    expect(mediaId).toMatch(/^@lA/);
    const stored = em.getMedia(mediaId!);
    expect(stored).toMatchObject({ type: "image", contentType: "image/png" });
    expect(Buffer.compare(stored!.bytes, png)).toBe(0);
    expect(em.getInbox("rep1102")).toEqual([]);

    const [row, ...more] = await rows(db);
    expect(more).toEqual([]);
    expect(row).toMatchObject({ kind: "robot.image", api: UPLOAD, status: "SENT", attempts: 1 });
    expect(row?.result).toMatchObject({ mediaId, invalidStaffIdList: [] });
    // Once uploaded the row keeps the media_id, not the image.
    expect(row?.payload).toEqual({ userId: "rep1101", fileName: "digest-2026-W14-rep1101-chart.png", mediaId });
    expect(calls(em, UPLOAD)).toEqual(["200 ok"]);
    expect(calls(em, SEND)).toEqual(["200 ok"]);
  });

  it("an upload answered 'system busy' (the emulator's 5xx on the legacy host) is retried, then sent once", async () => {
    const { db, em } = await setup();
    em.fail5xx("POST /media/upload", 2);
    await inTx(db, async (tx) => outbound().sendPng(tx, { to: "rep1102", key: "img-busy", png: await chartPng() }));
    await start(db, em).drain();
    expect(calls(em, UPLOAD)).toEqual(["200 -1", "200 -1", "200 ok"]);
    expect(calls(em, SEND)).toEqual(["200 ok"]);
    expect(em.getInbox("rep1102").map((i) => i.kind)).toEqual(["image"]);
    const [row] = await rows(db);
    expect(row).toMatchObject({ status: "SENT", attempts: 3 });
  });

  it("a send that fails after the upload is retried with the same media_id: the image is uploaded once", async () => {
    const { db, em } = await setup();
    em.fail5xx(SEND, 2);
    await inTx(db, async (tx) =>
      outbound().sendPng(tx, { to: "rep1103", key: "img-send-fails", png: await chartPng() }),
    );
    await start(db, em).drain();
    expect(calls(em, UPLOAD)).toEqual(["200 ok"]);
    expect(calls(em, SEND)).toEqual(["500 system.busy", "500 system.busy", "200 ok"]);
    const inbox = em.getInbox("rep1103");
    expect(inbox).toHaveLength(1);
    const [row] = await rows(db);
    expect(row).toMatchObject({ status: "SENT", attempts: 3 });
    expect(inbox[0]).toMatchObject({ kind: "image", mediaId: row?.result?.mediaId });
  });

  it("an expired legacy token is replaced once and the upload goes through", async () => {
    const { db, em } = await setup();
    await inTx(db, async (tx) => outbound().sendPng(tx, { to: "rep1104", key: "img-token", png: await chartPng() }));
    const w = start(db, em);
    await w.drain();
    em.expireTokens();
    await inTx(db, async (tx) => outbound().sendPng(tx, { to: "rep1104", key: "img-token-2", png: await chartPng() }));
    await w.drain();
    expect(calls(em, UPLOAD)).toEqual(["200 ok", "200 88", "200 ok"]);
    expect(em.getInbox("rep1104").map((i) => i.kind)).toEqual(["image", "image"]);
    expect((await rows(db)).map((r) => [r.status, r.attempts])).toEqual([
      ["SENT", 1],
      ["SENT", 1],
    ]);
  });

  it("refuses an image DingTalk would refuse at enqueue, clearly, and queues nothing", async () => {
    const { db } = await setup();
    const port = outbound();
    const tooLarge = Buffer.alloc(20 * 1024 * 1024 + 1);
    (await chartPng()).copy(tooLarge); // a PNG's header: only the size is wrong
    const big = inTx(db, (tx) => port.sendPng(tx, { to: "rep1101", key: "img-big", png: tooLarge }));
    await expect(big).rejects.toThrow(AppError);
    await expect(big).rejects.toThrow("图片 20.0MB，超过钉钉图片上限 20MB，未发送");
    const jpeg = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 16]);
    await expect(inTx(db, (tx) => port.sendPng(tx, { to: "rep1101", key: "img-jpg", png: jpeg }))).rejects.toThrow(
      "图片消息只接受 PNG 图片",
    );
    expect(await rows(db)).toEqual([]);
  });

  it("an upload DingTalk refuses makes the row DEAD at once, with its reason", async () => {
    const { db, em } = await setup();
    // Past the enqueue checks (a row written by older code, say): bytes that are no image at all.
    const payload = { userId: "rep1101", png: Buffer.from("not an image").toString("base64"), fileName: "x.png" };
    await enqueue(db, { idempotencyKey: "img-garbage", kind: "robot.image", payload });
    await start(db, em).drain();
    const [row] = await rows(db);
    expect(row).toMatchObject({ status: "DEAD", attempts: 1 });
    expect(row?.last_error).toMatch(/errcode 40005 不合法的文件类型/);
    expect(calls(em, SEND)).toEqual([]);
    expect(em.getInbox("rep1101")).toEqual([]);
  });
});

describe("the emulator's media upload and image messages", () => {
  async function upload(em: Emulator, bytes: Uint8Array, query = "type=image", token?: string) {
    const form = new FormData();
    form.append("media", new Blob([bytes]), "chart.png");
    const t = token ?? (await accessToken(em));
    const res = await fetch(`${em.url}/media/upload?access_token=${t}&${query}`, { method: "POST", body: form });
    return (await res.json()) as Record<string, unknown>;
  }

  it("answers a media_id for an image and refuses other types, other files, oversize files and bad tokens", async () => {
    emulator = await startTestEmulator();
    const em = emulator;
    const png = await chartPng();
    const ok = await upload(em, png);
    expect(ok).toMatchObject({ errcode: 0, errmsg: "ok", type: "image", media_id: expect.stringMatching(/^@lA/) });
    expect(typeof ok.created_at).toBe("number");
    const big = Buffer.alloc(20 * 1024 * 1024 + 1);
    png.copy(big);
    expect(await upload(em, big)).toMatchObject({ errcode: 40006 });
    expect(await upload(em, Buffer.from("hello"))).toMatchObject({ errcode: 40005 });
    expect(await upload(em, png, "type=sticker")).toMatchObject({ errcode: 40004 });
    expect(await upload(em, png, "type=image", "bad-token")).toMatchObject({ errcode: 88, sub_code: "40014" });

    // The control API serves the bytes, for the sandbox page.
    const res = await fetch(`${em.url}/_emulator/media/${encodeURIComponent(String(ok.media_id))}`);
    expect(res.headers.get("content-type")).toBe("image/png");
    expect(Buffer.compare(Buffer.from(await res.arrayBuffer()), png)).toBe(0);
    expect((await fetch(`${em.url}/_emulator/media/@lAnope`)).status).toBe(404);
  });

  it("takes a media_id or a URL as sampleImageMsg's photoURL, in 1:1 and group chats, and refuses an unknown one", async () => {
    emulator = await startTestEmulator();
    const em = emulator;
    const token = await accessToken(em);
    const { media_id: mediaId } = await upload(em, await chartPng());
    const send = (path: string, body: Record<string, unknown>) =>
      call(em, "POST", path, { token, body: { robotCode: APP.clientId, msgKey: "sampleImageMsg", ...body } });

    const group = "cidDigestGroup==";
    em.sendText("rep1101", "大家好", { conversationType: "2", conversationId: group });
    em.sendText("rep1102", "收到", { conversationType: "2", conversationId: group });
    const inGroup = await send("/v1.0/robot/groupMessages/send", {
      openConversationId: group,
      msgParam: JSON.stringify({ photoURL: mediaId }),
    });
    expect(inGroup.status).toBe(200);
    for (const rep of ["rep1101", "rep1102"]) {
      expect(em.getInbox(rep)).toMatchObject([{ kind: "image", via: "groupSend", mediaId, conversationId: group }]);
    }
    const byUrl = await send("/v1.0/robot/oToMessages/batchSend", {
      userIds: ["rep1103"],
      msgParam: JSON.stringify({ photoURL: "https://example.com/chart.png" }),
    });
    expect(byUrl.status).toBe(200);
    expect(em.getInbox("rep1103")).toMatchObject([
      { kind: "image", photoURL: "https://example.com/chart.png", mediaId: null },
    ]);
    const unknown = await send("/v1.0/robot/oToMessages/batchSend", {
      userIds: ["rep1104"],
      msgParam: JSON.stringify({ photoURL: "@lAnotUploaded" }),
    });
    expect(unknown).toMatchObject({ status: 400, body: { code: "param.invalid" } });
    expect(em.getInbox("rep1104")).toEqual([]);
  });
});
