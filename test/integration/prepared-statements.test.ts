import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, engine, type TestDatabase } from "../helpers/test-db.ts";

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db.close();
});

// node-postgres prepares a repeated text once per connection (src/db/prepared-names.ts); PGlite has no pool.
describe.skipIf(engine !== "postgres")("repeated statements are prepared on the connection", () => {
  it("a text sent twice with parameters is a prepared statement on that connection and answers as before", async () => {
    const text = "SELECT $1::text || '!' AS said -- prepared-statements test";
    const prepared = await db.sql.transaction(async (sql) => {
      const answers = [];
      for (const word of ["a", "b", "c"]) answers.push(...(await sql.query<{ said: string }>(text, [word])));
      expect(answers).toEqual([{ said: "a!" }, { said: "b!" }, { said: "c!" }]);
      return sql.query<{ statement: string }>("SELECT statement FROM pg_prepared_statements");
    });
    expect(prepared.map((p) => p.statement)).toContain(text);
  });
});
