import { createServer as createHttpServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createServer as createTcpServer, type Socket } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { createStreamClient, type GatewayDWClient } from "../../src/dingtalk/stream-client.ts";

const closers: (() => void)[] = [];
afterEach(() => {
  for (const c of closers.splice(0)) c();
});

/** A gateway that hands out an endpoint which accepts TCP connections and never answers the WebSocket upgrade. */
async function silentEndpointGateway(): Promise<{ apiBase: string; upgradeAttempts: () => number }> {
  const sockets: Socket[] = [];
  const silent = createTcpServer((s) => sockets.push(s)); // accepts, reads nothing, answers nothing
  await new Promise<void>((r) => silent.listen(0, "127.0.0.1", r));
  const wsPort = (silent.address() as AddressInfo).port;
  const gateway: Server = createHttpServer((_req, res) => {
    res.setHeader("content-type", "application/json");
    res.end(JSON.stringify({ endpoint: `ws://127.0.0.1:${wsPort}/connect`, ticket: "t" }));
  });
  await new Promise<void>((r) => gateway.listen(0, "127.0.0.1", r));
  closers.push(() => {
    for (const s of sockets) s.destroy();
    silent.close();
    gateway.close();
  });
  return {
    apiBase: `http://127.0.0.1:${(gateway.address() as AddressInfo).port}`,
    upgradeAttempts: () => sockets.length,
  };
}

describe("stream client against an endpoint that never completes the handshake", () => {
  it("connect() settles instead of waiting forever, stays 'connecting', and the SDK keeps retrying", async () => {
    const { apiBase, upgradeAttempts } = await silentEndpointGateway();
    const client: GatewayDWClient = createStreamClient({
      apiBase,
      clientId: "id",
      clientSecret: "secret",
      gatewayTimeoutMs: 200,
    });
    closers.unshift(() => client.disconnect());
    await client.connect(); // without the handshake timeout this never settles and the test times out
    expect(client.connected).toBe(false);
    expect(client.streamState().state).toBe("connecting");
    await expect.poll(upgradeAttempts, { timeout: 10_000 }).toBeGreaterThanOrEqual(2);
  }, 20_000);
});
