import { afterEach, describe, expect, it } from "vitest";
import type { Emulator } from "../../src/dingtalk/emulator/emulator-types.ts";
import { accessToken, call, startTestEmulator, targetCardBody } from "../fixtures/dingtalk/emulator-app.ts";

/*
 * DingTalk answers a repeated create with 400 param.cardAlreadyExist and keeps one card, so a sender that sends a
 * card twice cannot be seen in the card list. The emulator counts create calls per outTrackId (bench:fanout prints
 * the count); these tests show the count sees the repeat.
 */

let emulator: Emulator | undefined;
afterEach(async () => {
  await emulator?.close();
  emulator = undefined;
});

const control = async (em: Emulator, path: string) => (await fetch(`${em.url}/_emulator${path}`)).json();

describe("create calls per outTrackId", () => {
  it("two createAndDeliver calls of one outTrackId: one card, the second refused, one duplicate counted", async () => {
    emulator = await startTestEmulator();
    const token = await accessToken(emulator);
    const create = (id: string) =>
      call(emulator!, "POST", "/v1.0/card/instances/createAndDeliver", { token, body: targetCardBody(id) });
    expect((await create("card-a")).status).toBe(200);
    const again = await create("card-a");
    expect(again.status).toBe(400);
    expect(again.body.code).toBe("param.cardAlreadyExist");
    expect((await create("card-b")).status).toBe(200);

    expect(emulator.listCards().map((c) => c.outTrackId)).toEqual(["card-a", "card-b"]);
    const expected = { creates: 3, outTrackIds: 2, duplicates: 1, repeated: [{ outTrackId: "card-a", creates: 2 }] };
    expect(emulator.cardCreateCounts()).toEqual(expected);
    // The same figures through the control API, which bench:fanout reads from the emulator's own process.
    expect(await control(emulator, "/card-creates")).toEqual(expected);
  });

  it("the two-step create counts too, and reset() starts the count again", async () => {
    emulator = await startTestEmulator();
    const token = await accessToken(emulator);
    const { openSpaceId: _s, imRobotOpenDeliverModel: _d, ...createBody } = targetCardBody("two-step");
    expect((await call(emulator, "POST", "/v1.0/card/instances", { token, body: createBody })).status).toBe(200);
    const deliverAndCreate = await call(emulator, "POST", "/v1.0/card/instances/createAndDeliver", {
      token,
      body: targetCardBody("two-step"),
    });
    expect(deliverAndCreate.body.code).toBe("param.cardAlreadyExist");
    expect(emulator.cardCreateCounts()).toMatchObject({ creates: 2, outTrackIds: 1, duplicates: 1 });

    emulator.reset();
    expect(emulator.cardCreateCounts()).toEqual({ creates: 0, outTrackIds: 0, duplicates: 0, repeated: [] });
  });
});
