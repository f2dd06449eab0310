import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { SqlRunner } from "../../src/db/database.ts";
import { createTestDatabase, engine, type TestDatabase } from "../helpers/test-db.ts";

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db.close();
});

const keys = async () =>
  (await db.sql.query<{ key: string }>("SELECT key FROM inbound_event WHERE key LIKE 'txsql:%' ORDER BY key")).map(
    (r) => r.key,
  );

describe("Database.transaction: raw statements in Prisma's interactive transaction", () => {
  it("`sql` is the same transaction as `tx`: each sees the other's writes, and they commit or roll back together", async () => {
    await db.transaction(async (tx, sql) => {
      await tx.inboundEvent.create({ data: { key: "txsql:a", kind: "text", messageId: "m" } });
      expect(await sql.query("SELECT key FROM inbound_event WHERE key = 'txsql:a'")).toEqual([{ key: "txsql:a" }]);
      await sql.query("INSERT INTO inbound_event (key, kind, message_id) VALUES ($1, 'text', 'm')", ["txsql:b"]);
      expect(await tx.inboundEvent.count({ where: { key: { startsWith: "txsql:" } } })).toBe(2);
    });
    expect(await keys()).toEqual(["txsql:a", "txsql:b"]);
    await expect(
      db.transaction(async (tx, sql) => {
        await sql.query("INSERT INTO inbound_event (key, kind, message_id) VALUES ($1, 'text', 'm')", ["txsql:c"]);
        await tx.inboundEvent.create({ data: { key: "txsql:d", kind: "text", messageId: "m" } });
        throw new Error("handler failed");
      }),
    ).rejects.toThrow("handler failed");
    expect(await keys()).toEqual(["txsql:a", "txsql:b"]);
  });

  it("`sql` refuses statements once its transaction has ended: committed, or rolled back by Prisma's timeout", async () => {
    let kept: SqlRunner | undefined;
    await db.transaction(async (_tx, sql) => {
      kept = sql;
    });
    await expect(
      kept!.query("INSERT INTO inbound_event (key, kind, message_id) VALUES ('txsql:after', 'text', 'm')"),
    ).rejects.toThrow();
    await expect(
      db.transaction(
        async (_tx, sql) => {
          await new Promise((resolve) => setTimeout(resolve, 600)); // past the timeout: Prisma rolls back
          await sql.query("INSERT INTO inbound_event (key, kind, message_id) VALUES ('txsql:late', 'text', 'm')");
        },
        { timeout: 150 },
      ),
    ).rejects.toThrow();
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(await keys()).toEqual(["txsql:a", "txsql:b"]);
  });

  it.skipIf(engine !== "postgres")(
    "on PostgreSQL `sql` runs on the transaction's own connection, one per transaction however many run at once",
    async () => {
      const pids = await Promise.all(
        [1, 2, 3].map(() =>
          db.transaction(async (tx, sql) => {
            const [viaPrisma] = await tx.$queryRawUnsafe<{ pid: number }[]>("SELECT pg_backend_pid() AS pid");
            const [direct] = await sql.query<{ pid: number }>("SELECT pg_backend_pid() AS pid");
            await new Promise((resolve) => setTimeout(resolve, 50)); // all three open at once
            expect(direct?.pid).toBe(viaPrisma?.pid);
            return direct?.pid;
          }),
        ),
      );
      expect(new Set(pids).size).toBe(3);
    },
  );
});
