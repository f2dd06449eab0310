import { execFile } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { referenceOrg } from "../../src/demo/reference-org.ts";
import { type SpawnedService, spawnService } from "../helpers/spawn-service.ts";
import { createServerDatabase, serverUrl } from "../helpers/test-db.ts";

const ROOT = path.resolve(import.meta.dirname, "../..");
const run = promisify(execFile);

/**
 * The production start: `npm run build` bundles the service into dist/, and the bundle runs on plain Node (what
 * `npm run start:prod` and the Docker image's CMD run) — no tsx, no TypeScript, no prisma generate. Sandbox mode
 * on a fresh data dir (or a fresh PostgreSQL database when the suite runs on a server), as a first start would be.
 */
describe("the built service (npm run build, then node dist/main.js)", () => {
  let dataDir: string;
  let dropDb: (() => Promise<void>) | undefined;
  let service: SpawnedService;

  beforeAll(async () => {
    await run(process.execPath, ["scripts/build.mjs"], { cwd: ROOT });
    dataDir = await mkdtemp(path.join(tmpdir(), "tb-built-"));
    const env: Record<string, string> = { DATA_DIR: dataDir, LOG_LEVEL: "info", NODE_ENV: "production" };
    if (serverUrl) {
      const db = await createServerDatabase(serverUrl, { empty: true }); // the bundle migrates it, from prisma/
      env.DATABASE_URL = db.url;
      dropDb = db.drop;
    }
    service = await spawnService(env, 120_000, ["--enable-source-maps", "dist/main.js"]);
  }, 180_000);

  afterAll(async () => {
    await service?.stop();
    await dropDb?.();
    await rm(dataDir, { recursive: true, force: true });
  });

  it("answers /healthz 200 through real HTTP, its stream connected to the in-process emulator", async () => {
    const res = await fetch(`${service.url}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({
      status: "ok",
      db: serverUrl ? "postgres" : "pglite",
      dingtalk: { mode: "sandbox", stream: "connected" },
    });
  });

  it("the sandbox's staff list, asked for right after the start, waits for the demo company and lists all of it", async () => {
    // The demo is seeded after /healthz answers; the list must not come back empty or half loaded meanwhile.
    const res = await fetch(`${service.url}/sandbox/api/staff`);
    expect(res.status).toBe(200);
    const { staff } = (await res.json()) as { staff: { userId: string }[] };
    expect(staff.map((s) => s.userId).sort()).toEqual(
      referenceOrg()
        .staff.map((s) => s.userId)
        .sort(),
    );
  });

  it("logs JSON lines when stdout is not a terminal, and stops cleanly on SIGTERM", async () => {
    const up = service
      .output()
      .split("\n")
      .find((l) => l.includes("target-bot is up"));
    expect(JSON.parse(up ?? "")).toMatchObject({ level: 30, msg: "target-bot is up", mode: "sandbox" });
    expect(await service.stop()).toBe(0);
    expect(service.output()).toContain('"msg":"stopped cleanly"');
  });
});
