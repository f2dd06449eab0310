import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type SpawnedService, spawnService } from "../helpers/spawn-service.ts";
import { createServerDatabase, serverUrl } from "../helpers/test-db.ts";

const ROOT = path.resolve(import.meta.dirname, "../..");
const STAMP = path.join(ROOT, "node_modules", ".cache", "target-bot", "start", "current.json");
const BUNDLED = /npm start: bundled src\//;

/**
 * `npm start` (scripts/start.mjs): the service from an esbuild bundle, rebuilt when a file it was built from
 * changed and reused otherwise. The stamp is edited, never the sources: other tests may be starting meanwhile.
 */
describe("npm start (scripts/start.mjs)", () => {
  let dataDir: string;
  let dropDb: (() => Promise<void>) | undefined;
  const env: Record<string, string> = { LOG_LEVEL: "info", BOT_SCHEDULER: "off" };
  const running: SpawnedService[] = [];
  const start = async () => {
    const s = await spawnService(env, 120_000, ["scripts/start.mjs"]);
    running.push(s);
    // The staff list waits for the demo company: stopping during its seeding would wait for it (main.ts gives 10 s).
    expect((await fetch(`${s.url}/sandbox/api/staff`)).status).toBe(200);
    return s;
  };

  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), "tb-npm-start-"));
    env.DATA_DIR = dataDir;
    if (serverUrl) {
      const db = await createServerDatabase(serverUrl);
      env.DATABASE_URL = db.url;
      dropDb = db.drop;
    }
  });

  afterAll(async () => {
    await Promise.all(running.map((s) => s.stop()));
    await dropDb?.();
    await rm(dataDir, { recursive: true, force: true });
  });

  it("builds when there is no bundle, reuses it when nothing changed, rebuilds when a source changed", async () => {
    await rm(STAMP, { force: true });
    const first = await start();
    expect(first.output()).toMatch(BUNDLED);
    const res = await fetch(`${first.url}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ dingtalk: { mode: "sandbox", stream: "connected" } });
    expect(await first.stop()).toBe(0);

    const second = await start();
    expect(second.output()).not.toMatch(BUNDLED);
    expect((await fetch(`${second.url}/healthz`)).status).toBe(200);
    expect(await second.stop()).toBe(0);

    // As if src/main.ts had been edited since the build: its recorded signature no longer matches the file.
    const stamp = JSON.parse(await readFile(STAMP, "utf8")) as { files: Record<string, string> };
    expect(stamp.files["src/main.ts"]).toBeDefined();
    stamp.files["src/main.ts"] = "0:0";
    await writeFile(STAMP, JSON.stringify(stamp));
    const third = await start();
    expect(third.output()).toMatch(BUNDLED);
    expect((await fetch(`${third.url}/healthz`)).status).toBe(200);
    expect(await third.stop()).toBe(0);
  }, 400_000);
});
