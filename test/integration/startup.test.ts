import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import pg from "pg";
import { afterEach, describe, expect, it } from "vitest";
import { type SpawnedService, spawnService } from "../helpers/spawn-service.ts";
import { createServerDatabase, localServerUrl, skipWithoutLocalServer } from "../helpers/test-db.ts";

const TOKEN = "startup-test-token-0123456789";
const running: SpawnedService[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.stop("SIGKILL")));
});

const org = {
  departments: [{ id: "1", name: "星辰科技", parentId: null }],
  staff: [{ userId: "u1", name: "王建国", deptId: "1", managerUserId: null, role: "DIRECTOR" }],
};

describe("the service process", () => {
  it("starts with no configuration on the embedded database, keeps data across a restart, and stops cleanly", async () => {
    const dataDir = await mkdtemp(path.join(tmpdir(), "tb-data-"));
    try {
      const first = await spawnService({ DATA_DIR: dataDir });
      running.push(first);
      const health = await fetch(`${first.url}/healthz`);
      expect(health.status).toBe(200);
      expect(await health.json()).toEqual({
        status: "ok",
        db: "pglite",
        dingtalk: { mode: "sandbox", stream: "connected", since: expect.any(String) },
        outbox: { dead: 0, oldestDeadAt: null },
        // The holiday calendar's coverage (healthz.test.ts checks it to the letter).
        calendar: expect.objectContaining({ year: expect.any(Number), coverage: expect.any(String) }),
      });
      // The demo company is seeded after /healthz answers, and the sandbox's staff list waits for it. Stopping
      // during the seeding waits for it too (main.ts gives that 10 s), which a loaded machine can exceed.
      expect((await fetch(`${first.url}/sandbox/api/staff`)).status).toBe(200);
      // Sandbox mode prints the generated admin token; it must work.
      const token = /Admin API token[^\n]*\n\s*([0-9a-f]{48})/.exec(first.output())?.[1];
      expect(token).toBeDefined();
      // The demo org is seeded in sandbox mode: merge, rather than confirm deactivating its 150 people.
      const put = await fetch(`${first.url}/api/org?mode=merge`, {
        method: "PUT",
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        body: JSON.stringify(org),
      });
      expect(put.status).toBe(200);
      expect(await first.stop()).toBe(0);
      expect(first.output()).toMatch(/stopped cleanly/);

      const second = await spawnService({ DATA_DIR: dataDir, ADMIN_TOKEN: TOKEN });
      running.push(second);
      const res = await fetch(`${second.url}/api/org/staff/u1`, { headers: { authorization: `Bearer ${TOKEN}` } });
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({ userId: "u1", name: "王建国" });
      expect(await second.stop()).toBe(0);
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  it("refuses to start with a bad variable and names it", async () => {
    await expect(spawnService({ PORT: "not-a-port", BOT_TIMEZONE: "Mars/Olympus" }, 15_000)).rejects.toThrow(
      /PORT[\s\S]*BOT_TIMEZONE: must be an IANA time zone/,
    );
    // With credentials: every problem at once, the test hook BOT_FAKE_NOW and each missing card template too.
    const live = { DINGTALK_CLIENT_ID: "x", DINGTALK_CLIENT_SECRET: "y", BOT_FAKE_NOW: "2026-04-03T16:00:00+08:00" };
    await expect(spawnService(live, 15_000)).rejects.toThrow(
      /ADMIN_TOKEN: required[\s\S]*BOT_FAKE_NOW: test hook only[\s\S]*DINGTALK_CARD_TEMPLATE_TARGET: required/,
    );
  });

  it("two processes started together on one PostgreSQL database both come up; each migration is applied once", async (ctx) => {
    await skipWithoutLocalServer(ctx); // a PostgreSQL server even on the PGlite run
    const { url, drop } = await createServerDatabase(localServerUrl, { empty: true }); // both migrate it for real
    try {
      const [a, b] = await Promise.all([
        spawnService({ DATABASE_URL: url, ADMIN_TOKEN: TOKEN }),
        spawnService({ DATABASE_URL: url, ADMIN_TOKEN: TOKEN }),
      ]);
      running.push(a, b);
      for (const s of [a, b]) {
        const res = await fetch(`${s.url}/healthz`);
        expect(await res.json()).toMatchObject({ status: "ok", db: "postgres", dingtalk: { stream: "connected" } });
      }
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      const { rows } = await client.query(
        `SELECT migration_name, count(*)::int AS n FROM "_prisma_migrations" GROUP BY migration_name ORDER BY 1`,
      );
      await client.end();
      expect(rows.length).toBeGreaterThan(0);
      for (const r of rows) expect(r.n).toBe(1);
      await Promise.all([a.stop(), b.stop()]);
    } finally {
      await drop();
    }
  });
});
