import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import Router from "@koa/router";
import Koa from "koa";
import { emulatorErrors } from "./api-errors.ts";
import { injectFaults, notFound, recordRequests } from "./api-guard.ts";
import { registerCardRoutes } from "./card-routes.ts";
import { registerControlRoutes } from "./control-routes.ts";
import { registerDirectoryRoutes } from "./directory-routes.ts";
import { createEmulatorControl } from "./emulator-control.ts";
import { createEmulatorCore, type EmulatorCore } from "./emulator-core.ts";
import type { Emulator, EmulatorOptions } from "./emulator-types.ts";
import { registerGatewayRoute } from "./gateway-route.ts";
import { registerMediaRoutes } from "./media-routes.ts";
import { registerRobotRoutes } from "./robot-routes.ts";
import { registerSessionWebhookRoute } from "./session-webhook-route.ts";
import { registerTodoRoutes } from "./todo-routes.ts";
import { registerTokenRoutes } from "./token-routes.ts";

/**
 * Starts a fake DingTalk (docs/dingtalk.md §10) on one HTTP port: the api.dingtalk.com paths, the oapi.dingtalk.com
 * paths, the stream WebSocket at `/connect` and the control API at `/_emulator`. State lives in memory.
 * The caller closes it.
 */
export async function startEmulator(opts: EmulatorOptions): Promise<Emulator> {
  const core = createEmulatorCore(opts);
  const server = createServer();
  let closed: Promise<void> | undefined;
  const emulator = createEmulatorControl(core, () => {
    closed ??= closeEmulator(core, server);
    return closed;
  });
  server.on("request", buildApp(core, emulator).callback());
  server.on("upgrade", (req, socket, head) => core.hub.handleUpgrade(req, socket, head));
  await listen(server, opts.port ?? 0, core.settings.host);
  const { port } = server.address() as AddressInfo;
  core.baseUrl = `http://${core.settings.host}:${port}`;
  core.log.info({ url: core.baseUrl }, "DingTalk emulator listening");
  return emulator;
}

function buildApp(core: EmulatorCore, emulator: Emulator): Koa {
  const app = new Koa();
  app.silent = true; // unexpected errors are logged by emulatorErrors
  app.use(recordRequests(core));
  app.use(emulatorErrors(core.log));
  // No CORS on the control API: it acts as anyone (pushes messages, clicks cards). Its callers are tests and
  // tools, not browsers; the sandbox page talks to the service's own /sandbox/api/*, same-origin.
  app.use(notFound());
  app.use(injectFaults(core));
  const router = new Router();
  registerGatewayRoute(router, core);
  registerTokenRoutes(router, core);
  registerCardRoutes(router, core);
  registerRobotRoutes(router, core);
  registerSessionWebhookRoute(router, core);
  registerDirectoryRoutes(router, core);
  registerTodoRoutes(router, core);
  registerMediaRoutes(router, core);
  registerControlRoutes(router, emulator);
  app.use(router.routes());
  app.use(router.allowedMethods());
  return app;
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
}

async function closeEmulator(core: EmulatorCore, server: Server): Promise<void> {
  core.faults.reset(); // ends the stalls under way: no handler outlives the server by a stall's length
  core.pushes.clear();
  core.hub.close();
  const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeAllConnections();
  await stopped;
}
