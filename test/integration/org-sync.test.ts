import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDirectoryClient } from "../../src/dingtalk/directory-client.ts";
import type { TDirectoryInput } from "../../src/dingtalk/emulator/directory-store.ts";
import type { Emulator } from "../../src/dingtalk/emulator/emulator-types.ts";
import { createLegacyTokenSource } from "../../src/dingtalk/legacy-token.ts";
import { AppError } from "../../src/lib/errors.ts";
import { syncDirectory } from "../../src/org/sync-directory.ts";
import { APP, CARD_TEMPLATE_ENV, startTestEmulator } from "../fixtures/dingtalk/emulator-app.ts";
import { orgContent, orgSnapshot } from "../helpers/org-snapshot.ts";
import { startTestService, type TestService } from "../helpers/test-service.ts";

type DirUser = NonNullable<TDirectoryInput["users"]>[number];
interface ExpectedStaff {
  user_id: string;
  name: string;
  dept_id: string;
  manager_user_id: string | null;
  title: string | null;
  role: string;
  active: boolean;
}

/** 销售中心 → 华东 (→ 上海, 杭州) / 华南 / 华北; 市场部 → 品牌组: three levels under the root, 8 departments. */
const DEPARTMENTS = [
  { dept_id: 100, name: "销售中心", parent_id: 1 },
  { dept_id: 110, name: "华东大区", parent_id: 100 },
  { dept_id: 111, name: "上海分部", parent_id: 110 },
  { dept_id: 112, name: "杭州分部", parent_id: 110 },
  { dept_id: 120, name: "华南大区", parent_id: 100 },
  { dept_id: 130, name: "华北大区", parent_id: 100 },
  { dept_id: 200, name: "市场部", parent_id: 1 },
  { dept_id: 210, name: "品牌组", parent_id: 200 },
];
/** Reps per department besides its head; 华东 has 120 + head > 100, so user/list takes two pages. */
const REPS: Record<number, number> = { 100: 0, 110: 120, 111: 60, 112: 30, 120: 25, 130: 10, 200: 6, 210: 3 };

/** The directory as DingTalk holds it, and the staff rows a sync must produce from it (written from intent). */
function buildDirectory() {
  const users: DirUser[] = [];
  const expected: ExpectedStaff[] = [];
  const add = (user: DirUser, want: Omit<ExpectedStaff, "user_id" | "name" | "active">) => {
    users.push(user);
    expected.push({ user_id: user.userid, name: user.name, active: true, ...want });
  };
  add(
    { userid: "ceo", name: "周总", dept_id_list: [1], title: "总经理", boss: true },
    { dept_id: "1", manager_user_id: null, title: "总经理", role: "DIRECTOR" },
  );
  add(
    { userid: "asst01", name: "秘书", dept_id_list: [1], manager_userid: "ceo" },
    { dept_id: "1", manager_user_id: "ceo", title: null, role: "REP" },
  );
  const head = (deptId: number) => (deptId === 1 ? "ceo" : `head${deptId}`);
  for (const d of DEPARTMENTS) {
    add(
      {
        userid: head(d.dept_id),
        name: `${d.name}负责人`,
        dept_id_list: [d.dept_id],
        title: "经理",
        leader: true,
        manager_userid: head(d.parent_id),
      },
      { dept_id: String(d.dept_id), manager_user_id: head(d.parent_id), title: "经理", role: "MANAGER" },
    );
    for (let n = 1; n <= (REPS[d.dept_id] ?? 0); n++) {
      const userid = `rep${d.dept_id}-${String(n).padStart(3, "0")}`;
      // Some people sit in several departments: they are filed under the first of dept_id_list in the walk.
      let deptIds = [d.dept_id];
      if (userid === "rep110-001") deptIds = [110, 200];
      if (userid === "rep112-001") deptIds = [112, 120]; // 华南 is walked before 杭州; dept_id_list decides
      if (userid === "rep130-001") deptIds = [999, 130]; // 999 is outside the walk
      // A manager who left the company (not in the directory) is dropped, not an import error.
      const manager = userid === "rep130-002" ? "former-boss" : head(d.dept_id);
      add(
        { userid, name: `销售${d.dept_id}-${n}`, dept_id_list: deptIds, title: "客户经理", manager_userid: manager },
        {
          dept_id: String(deptIds.find((id) => id !== 999)),
          manager_user_id: manager === "former-boss" ? null : manager,
          title: "客户经理",
          role: "REP",
        },
      );
    }
  }
  return { directory: { departments: DEPARTMENTS, users }, expected };
}

const { directory: DIRECTORY, expected: EXPECTED_STAFF } = buildDirectory();
const EXPECTED_DEPARTMENTS = [
  { id: "1", name: "全公司", parent_id: null, active: true },
  ...DEPARTMENTS.map((d) => ({ id: String(d.dept_id), name: d.name, parent_id: String(d.parent_id), active: true })),
].sort((a, b) => a.id.localeCompare(b.id));

let emulator: Emulator;
let svc: TestService;

beforeAll(async () => {
  emulator = await startTestEmulator({ staff: DIRECTORY });
  svc = await startTestService({
    DINGTALK_CLIENT_ID: APP.clientId,
    DINGTALK_CLIENT_SECRET: APP.clientSecret,
    DINGTALK_API_BASE: emulator.url,
    DINGTALK_OAPI_BASE: emulator.url,
    ...CARD_TEMPLATE_ENV,
  });
});
afterAll(async () => {
  await svc?.close();
  await emulator?.close();
});

/** A client on the service's configuration; `fetchImpl` lets a test act between calls; retries are quick. */
function directoryClient(fetchImpl: typeof fetch = fetch) {
  const { oapiBase, clientId, clientSecret } = svc.deps.config.dingtalk;
  const token = createLegacyTokenSource({ oapiBase, clientId: clientId!, clientSecret: clientSecret! });
  return createDirectoryClient({ oapiBase, token, fetch: fetchImpl, retryDelaysMs: [5, 10, 20] });
}
const sync = (fetchImpl?: typeof fetch) => syncDirectory({ db: svc.db, client: directoryClient(fetchImpl) });
const requests = (path: string) => emulator.listRequests(`POST /topapi/v2/${path}`);
const unchanged = (departments: number, staff: number) => ({
  departments: { created: 0, updated: 0, unchanged: departments, deactivated: 0 },
  staff: { created: 0, updated: 0, unchanged: staff, deactivated: 0 },
});

describe("syncDirectory against the emulated DingTalk directory", () => {
  it("lands the org exactly: departments, staff, departments of multi-department people, managers, roles", async () => {
    const result = await sync();
    expect(result).toEqual({
      departments: { created: 9, updated: 0, unchanged: 0, deactivated: 0 },
      staff: { created: EXPECTED_STAFF.length, updated: 0, unchanged: 0, deactivated: 0 },
      departmentsWalked: 9,
      usersFetched: EXPECTED_STAFF.length,
    });
    expect(EXPECTED_STAFF.length).toBeGreaterThan(250);
    const org = await orgContent(svc.db);
    expect(org.departments).toEqual(EXPECTED_DEPARTMENTS);
    expect(org.staff).toEqual([...EXPECTED_STAFF].sort((a, b) => a.user_id.localeCompare(b.user_id)));
    // One page per department, plus a second one for 华东's 121 direct members.
    expect(requests("user/list").length).toBe(10);
    expect(requests("user/get").length).toBe(EXPECTED_STAFF.length);
  });

  it("changes nothing on a second sync", async () => {
    const before = await orgSnapshot(svc.db);
    expect(await sync()).toMatchObject(unchanged(9, EXPECTED_STAFF.length));
    expect(await orgSnapshot(svc.db)).toEqual(before);
  });

  it("keeps roles DingTalk cannot express (set through PUT /api/org) on the next sync", async () => {
    const someone = await svc.db.prisma.staff.findFirstOrThrow({
      where: { role: "REP", active: true },
      orderBy: { userId: "asc" },
    });
    await svc.db.prisma.staff.update({ where: { userId: someone.userId }, data: { role: "PRODUCT_OWNER" } });
    const result = await sync();
    expect(result.staff.updated).toBe(0);
    expect((await svc.db.prisma.staff.findUniqueOrThrow({ where: { userId: someone.userId } })).role).toBe(
      "PRODUCT_OWNER",
    );
    await svc.db.prisma.staff.update({ where: { userId: someone.userId }, data: { role: "REP" } });
  });

  it("deactivates a person removed from the directory", async () => {
    emulator.setStaff({ ...DIRECTORY, users: DIRECTORY.users.filter((u) => u.userid !== "rep111-007") });
    const result = await sync();
    expect(result.staff).toEqual({ created: 0, updated: 0, unchanged: EXPECTED_STAFF.length - 1, deactivated: 1 });
    const [row] = await svc.db.sql.query<{ active: boolean }>("SELECT active FROM staff WHERE user_id = 'rep111-007'");
    expect(row?.active).toBe(false);
    emulator.setStaff(DIRECTORY);
    expect((await sync()).staff).toMatchObject({ updated: 1, deactivated: 0 });
  });

  it("refreshes a token that expires mid-sync, once, and still succeeds", async () => {
    let userGets = 0;
    const expiring: typeof fetch = (input, init) => {
      if (String(input).includes("/user/get?") && ++userGets === 100) emulator.expireTokens();
      return fetch(input, init);
    };
    const tokensBefore = emulator.listRequests("/gettoken").length;
    const rejectedBefore = requests("user/get").filter((r) => r.errorCode === "88").length;
    const before = await orgSnapshot(svc.db);
    expect(await sync(expiring)).toMatchObject(unchanged(9, EXPECTED_STAFF.length));
    expect(await orgSnapshot(svc.db)).toEqual(before);
    expect(requests("user/get").filter((r) => r.errorCode === "88").length).toBeGreaterThan(rejectedBefore);
    // First token, then exactly one refresh, however many parallel calls saw the old token rejected.
    expect(emulator.listRequests("/gettoken").length - tokensBefore).toBe(2);
  });

  it("retries user/list on errcode -1 (system busy) and on HTTP 5xx", async () => {
    emulator.fail5xx("POST /topapi/v2/user/list", 2);
    const busyBefore = requests("user/list").filter((r) => r.errorCode === "-1").length;
    expect(await sync()).toMatchObject(unchanged(9, EXPECTED_STAFF.length));
    expect(requests("user/list").filter((r) => r.errorCode === "-1").length - busyBefore).toBe(2);

    let http503 = 0;
    const flaky: typeof fetch = async (input, init) => {
      if (String(input).includes("/user/list?") && http503 < 2) {
        http503++;
        return new Response("<html>502 Bad Gateway</html>", { status: 503 });
      }
      return fetch(input, init);
    };
    expect(await sync(flaky)).toMatchObject(unchanged(9, EXPECTED_STAFF.length));
    expect(http503).toBe(2);
  });

  it("leaves the database unchanged and names the API on a persistent failure", async () => {
    // The directory changed, so a successful sync would write something.
    emulator.setStaff({ ...DIRECTORY, users: DIRECTORY.users.filter((u) => !u.userid.startsWith("rep120-")) });
    const before = await orgSnapshot(svc.db);
    emulator.fail5xx("POST /topapi/v2/user/list", 1000);
    try {
      const err = await sync().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(AppError);
      expect((err as AppError).userMessage).toMatch(
        /^钉钉通讯录同步失败，未写入任何数据：钉钉接口 user\/list 重试 3 次后仍失败（最后一次：errcode -1/,
      );
    } finally {
      emulator.fail5xx("POST /topapi/v2/user/list", 0);
      emulator.setStaff(DIRECTORY);
    }
    expect(await orgSnapshot(svc.db)).toEqual(before);
  });

  it("reports another directory error by API and errcode without retrying", async () => {
    const err = await syncDirectory({ db: svc.db, client: directoryClient(), rootDeptId: "4040" }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).userMessage).toMatch(/钉钉接口 department\/listsub 返回错误 errcode 60003/);
  });
});

describe("POST /api/org/sync (through the started service)", () => {
  it("refuses a request without the token, changing nothing", async () => {
    const before = await orgSnapshot(svc.db);
    const userGetsBefore = requests("user/get").length;
    for (const headers of [{}, { authorization: "Bearer wrong" }] as Record<string, string>[]) {
      const res = await fetch(`${svc.url}/api/org/sync`, { method: "POST", headers });
      expect(res.status).toBe(401);
    }
    expect(requests("user/get")).toHaveLength(userGetsBefore);
    expect(await orgSnapshot(svc.db)).toEqual(before);
  });

  it("answers 200 with the counts, within DingTalk's 20 QPS, one run for two simultaneous requests", async () => {
    // The route paces itself at DINGTALK_QPS (default 20); the emulator enforces the real limit (errcode 90018).
    emulator.setQpsLimit(20);
    const userGetsBefore = requests("user/get").length;
    try {
      const post = () => svc.api("/api/org/sync", { method: "POST" });
      const [a, b] = await Promise.all([post(), post()]);
      expect([a.status, b.status]).toEqual([200, 200]);
      const expected = {
        ...unchanged(9, EXPECTED_STAFF.length),
        departmentsWalked: 9,
        usersFetched: EXPECTED_STAFF.length,
      };
      expect(await a.json()).toEqual(expected);
      expect(await b.json()).toEqual(expected);
      const userGets = requests("user/get").slice(userGetsBefore);
      expect(userGets.filter((r) => r.errorCode === undefined)).toHaveLength(EXPECTED_STAFF.length);
      // The pacer measures the same one-second window as DingTalk, so the limit is not hit (0 locally); a
      // loaded CI machine may let a call arrive early, which errcode 90018 + the 1 s retry absorbs.
      expect(userGets.filter((r) => r.errorCode === "90018").length).toBeLessThanOrEqual(2);
    } finally {
      emulator.setQpsLimit(null);
    }
  });
  // Sandbox mode's 409 (no directory to sync) is tested through a started service in http-basics.test.ts.
});
