import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { importOrg } from "../../src/org/import-org.ts";
import { recordsFromJson, type TOrgImportRequest, ZOrgImportRequest } from "../../src/org/org-input.ts";
import { orgContent, orgSnapshot } from "../helpers/org-snapshot.ts";
import { createTestDatabase, type TestDatabase } from "../helpers/test-db.ts";

/**
 * An org import writes its rows in chunks (several statements) inside one transaction, so PGlite's heap stays
 * small; these check that chunking changes nothing a caller can see: the same rows and counts as one statement,
 * and a chunk the database refuses leaves the org exactly as it was.
 */
let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(() => db?.close());
beforeEach(async () => {
  await db.sql.exec(
    "UPDATE staff SET manager_user_id = NULL; DELETE FROM staff; UPDATE department SET parent_id = NULL; DELETE FROM department",
  );
});

/**
 * 4 departments in a chain and 23 people: every manager comes after the people who report to them (and every
 * parent department after its children), so a chunk of 3 rows in input order would reference rows not yet
 * written.
 */
function backwardsOrg(name = (i: number) => `员工${i}`): TOrgImportRequest {
  const departments = [3, 2, 1, 0].map((i) => ({
    id: `d${i}`,
    name: `部门${i}`,
    parentId: i === 0 ? null : `d${i - 1}`,
  }));
  const staff = Array.from({ length: 23 }, (_, k) => {
    const i = 22 - k; // u22 first, u0 (the director) last; u(i) reports to u(floor((i-1)/2))
    return {
      userId: `u${i}`,
      name: name(i),
      deptId: `d${Math.min(3, Math.floor(Math.log2(i + 1)))}`,
      managerUserId: i === 0 ? null : `u${Math.floor((i - 1) / 2)}`,
      title: null,
      role: i === 0 ? "DIRECTOR" : i < 7 ? "MANAGER" : "REP",
    };
  });
  return { departments, staff };
}

const run = (body: TOrgImportRequest, chunkRows: number) =>
  importOrg({ db, records: recordsFromJson(ZOrgImportRequest.parse(body)), chunkRows });

describe("org import in chunks", () => {
  it("writes the same rows and counts in chunks of 3 as in one statement, whatever the input order", async () => {
    const whole = await run(backwardsOrg(), 10_000);
    const content = await orgContent(db);
    expect(content.staff).toHaveLength(23);
    await db.sql.exec(
      "UPDATE staff SET manager_user_id = NULL; DELETE FROM staff; UPDATE department SET parent_id = NULL; DELETE FROM department",
    );
    const chunked = await run(backwardsOrg(), 3);
    expect(chunked).toEqual(whole);
    expect(chunked.staff).toEqual({ created: 23, updated: 0, unchanged: 0, deactivated: 0 });
    expect(await orgContent(db)).toEqual(content);
    // Unchanged again in chunks, then one name changed in the last chunk written (a rep, deepest in the tree).
    expect((await run(backwardsOrg(), 3)).staff).toEqual({ created: 0, updated: 0, unchanged: 23, deactivated: 0 });
    const renamed = await run(
      backwardsOrg((i) => (i === 22 ? "改名" : `员工${i}`)),
      3,
    );
    expect(renamed.staff).toEqual({ created: 0, updated: 1, unchanged: 22, deactivated: 0 });
  });

  it("changes nothing when the database refuses a row in a later chunk", async () => {
    await run(backwardsOrg(), 3);
    const before = await orgSnapshot(db);
    // Everyone renamed and a newcomer; the database refuses the newcomer, who is written in the last chunk
    // (deepest in the manager tree), after seven chunks of 3 have been written in the same transaction.
    const body = backwardsOrg((i) => `新名${i}`);
    body.staff.unshift({ userId: "late", name: "新人", deptId: "d3", managerUserId: "u22", title: null, role: "REP" });
    await db.sql.exec(`
      CREATE FUNCTION refuse_late() RETURNS trigger LANGUAGE plpgsql AS
        $$ BEGIN RAISE EXCEPTION 'refused row %', NEW.user_id; END $$;
      CREATE TRIGGER refuse_late BEFORE INSERT ON staff FOR EACH ROW WHEN (NEW.user_id = 'late') EXECUTE FUNCTION refuse_late();`);
    try {
      await expect(run(body, 3)).rejects.toThrow(/refused row late/);
    } finally {
      await db.sql.exec("DROP TRIGGER refuse_late ON staff; DROP FUNCTION refuse_late()");
    }
    expect(await orgSnapshot(db)).toEqual(before);
    // Without the trigger the same import goes through: the refusal was the database's, not the import's.
    expect((await run(body, 3)).staff).toEqual({ created: 1, updated: 23, unchanged: 0, deactivated: 0 });
  });
});
