import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { txSql } from "../../src/db/database.ts";
import { createTestDatabase, engine, type TestDatabase } from "../helpers/test-db.ts";

/*
 * A bulk write by txSql inside any Prisma interactive transaction (db.prisma.$transaction, not only
 * Database.transaction) is part of that transaction on both engines: on PostgreSQL it goes on the transaction's own
 * connection; a write that went on any other connection would be seen outside the transaction before the commit
 * and would survive a rollback.
 */
let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(() => db?.close());

const N = 1_000; // ids and names: 2,000 values, as in one of phasing's bulk statements
const INSERT = "INSERT INTO department (id, name) SELECT * FROM unnest($1::text[], $2::text[])";
const rows = (prefix: string) => [
  Array.from({ length: N }, (_, i) => `${prefix}${i}`),
  Array.from({ length: N }, (_, i) => `部门${i}`),
];
const count = async (prefix: string) =>
  Number(
    (
      await db.sql.query<{ n: string }>("SELECT count(*)::text AS n FROM department WHERE id LIKE $1", [`${prefix}%`])
    )[0]?.n,
  );

describe("txSql inside a Prisma interactive transaction", () => {
  it("is seen by the transaction's own statements, not outside it before the commit, and kept by the commit", async () => {
    await db.prisma.$transaction(async (tx) => {
      await txSql(tx).query(INSERT, rows("bc"));
      const [inside] = await tx.$queryRawUnsafe<{ n: string }[]>(
        "SELECT count(*)::text AS n FROM department WHERE id LIKE 'bc%'",
      );
      expect(Number(inside?.n)).toBe(N);
      // PGlite has one connection: a statement outside the transaction would wait for it to end.
      if (engine === "postgres") expect(await count("bc")).toBe(0);
    });
    expect(await count("bc")).toBe(N);
  });

  it("is undone with the rest of the transaction when it rolls back", async () => {
    const failed = new Error("refused after the bulk write");
    await expect(
      db.prisma.$transaction(async (tx) => {
        await tx.$executeRawUnsafe("INSERT INTO department (id, name) VALUES ('br-first', '先写')");
        await txSql(tx).query(INSERT, rows("br"));
        await txSql(tx).query(INSERT, rows("bs")); // the connection found once is used again
        throw failed;
      }),
    ).rejects.toBe(failed);
    expect(await count("br")).toBe(0);
    expect(await count("bs")).toBe(0);
  });

  it("txSql reads the transaction's own rows, typed as Prisma's raw queries give them", async () => {
    const done = new Error("checked; roll back");
    await expect(
      db.prisma.$transaction(async (tx) => {
        await txSql(tx).query(INSERT, rows("bq"));
        const sql = `SELECT d.id, d.name, length(d.id)::int8 AS big, length(d.id) AS small, d.id LIKE '%1' AS odd,
                          ARRAY[d.id, d.name] AS pair, timestamptz '2026-12-05 12:00+08' AS at, NULL::text AS nothing
                     FROM department d WHERE d.id LIKE $1 ORDER BY d.id`;
        const got = await txSql(tx).query<Record<string, unknown>>(sql, ["bq%"]);
        expect(got).toHaveLength(N);
        expect(got[0]).toEqual({
          id: "bq0",
          name: "部门0",
          big: 3n,
          small: 3,
          odd: false,
          pair: ["bq0", "部门0"],
          at: new Date("2026-12-05T04:00:00Z"),
          nothing: null,
        });
        expect(got).toEqual(await tx.$queryRawUnsafe(sql, "bq%"));
        throw done;
      }),
    ).rejects.toBe(done);
    expect(await count("bq")).toBe(0);
  });

  it("after the transaction timed out (Prisma rolled it back and released its connection), writes nothing", async () => {
    let late: unknown;
    await expect(
      db.prisma.$transaction(
        async (tx) => {
          await txSql(tx).query(INSERT, rows("bt"));
          await new Promise((resolve) => setTimeout(resolve, 1_500)); // past the timeout below
          await txSql(tx)
            .query(INSERT, rows("bu"))
            .catch((err) => {
              late = err;
            });
        },
        { timeout: 500 },
      ),
    ).rejects.toThrow();
    expect(late).toBeInstanceOf(Error);
    expect(await count("bt")).toBe(0);
    expect(await count("bu")).toBe(0);
  });

  it("a statement the database refuses fails the transaction, and nothing of it stays", async () => {
    await expect(
      db.prisma.$transaction(async (tx) => {
        await txSql(tx).query(INSERT, rows("bd"));
        await txSql(tx).query(INSERT, rows("bd")); // the same ids again: primary key violation
      }),
    ).rejects.toThrow(); // PostgreSQL names department_pkey; Prisma's PGlite adapter says only "Raw query failed"
    expect(await count("bd")).toBe(0);
  });

  it.skipIf(engine !== "postgres")(
    "on postgres it skips Prisma in every interactive transaction, not only Database.transaction's (numeric comes back as the driver's text)",
    async () => {
      const q = "SELECT 1.50::numeric AS n";
      const [viaTxSql, viaPrisma] = await db.prisma.$transaction(async (tx) => [
        (await txSql(tx).query<{ n: unknown }>(q))[0]?.n,
        (await tx.$queryRawUnsafe<{ n: unknown }[]>(q))[0]?.n,
      ]);
      expect(viaTxSql).toBe("1.50");
      expect(typeof viaPrisma).not.toBe("string"); // Prisma's Decimal
    },
  );
});
