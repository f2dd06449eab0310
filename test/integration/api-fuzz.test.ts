import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "../../src/db/database.ts";
import { jsonInit } from "../helpers/plan-api.ts";
import { publishedSmallPlan, type SmallPlan } from "../helpers/small-plan.ts";
import { startTestService, type TestService } from "../helpers/test-service.ts";

/**
 * Issue #17 item 7: every admin route (`/api/*`, listed from the service's own router so a new one cannot be missed)
 * gets RUNS generated hostile requests through the started service over real HTTP with the admin token — wrong
 * types, bad amounts, deep nesting, odd unicode, prototype-pollution keys, truncated JSON, wrong content types,
 * garbage multipart and bytes, odd path ids and query values. Every answer is below 500, every 4xx is a JSON
 * `{error: {code, message}}`, and afterwards every table's rows are exactly as before (a published plan and a
 * pending change request are seeded first, so the routes have something to break).
 *
 * Reproducible: FUZZ_SEED (default below) seeds every route's run; a failure names the route, the seed and the
 * shrunk request. FUZZ_RUNS changes the number of requests per route.
 */
const SEED = Number(process.env.FUZZ_SEED ?? 20261217);
const RUNS = Number(process.env.FUZZ_RUNS ?? 1000);
/** Requests per GET route (path ids and query only; a real id does the route's whole read, an export builds a workbook). */
const GET_RUNS = Number(process.env.FUZZ_GET_RUNS ?? 100);
/** Routes fuzzed at once (each route's own requests go one after another). */
const LANES = 4;

let svc: TestService;
let plan: SmallPlan;
let changeRequestId: string;
let before: Record<string, string>;
/** Every hostile write request a route answered with 2xx: what to look at when a table changed. */
const accepted: string[] = [];

/** An md5 of every row of every table of the service (migrations' own table aside), by table. */
async function digest(db: Database): Promise<Record<string, string>> {
  const tables = (await db.sql.query(
    `SELECT table_name AS name FROM information_schema.tables
     WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' AND table_name NOT LIKE '\\_%'
     ORDER BY table_name`,
  )) as { name: string }[];
  const out: Record<string, string> = {};
  for (const { name } of tables) {
    const [row] = (await db.sql.query(
      `SELECT count(*)::int || ':' || coalesce(md5(string_agg(t::text, E'\\n' ORDER BY t::text)), '') AS d FROM "${name}" t`,
    )) as { d: string }[];
    out[name] = row!.d;
  }
  return out;
}

/**
 * Waits until nothing the service sent can still change a row: the outbox drained, and every rate-limit slot's end
 * (`rate_slots.live`) 100 ms in the past. A send's answer shortens its slot's end in a statement of its own, up
 * to 20 ms after the row is marked SENT (fleet-rate-limiter.ts, flushSoon), and only while that end is ahead, so
 * a digest taken between the two would see the row change under it (a CI red on PostgreSQL, 2026-12-05).
 */
async function settle(s: TestService): Promise<void> {
  await s.dingtalk!.outbox.drain();
  for (;;) {
    const [row] = (await s.db.sql.query(
      `SELECT count(*)::int AS ahead FROM rate_slots, unnest(live) u
       WHERE u > extract(epoch FROM clock_timestamp()) * 1000 - 100`,
    )) as { ahead: number }[];
    if (row!.ahead === 0) return;
    await new Promise((r) => setTimeout(r, 50));
  }
}

beforeAll(async () => {
  svc = await startTestService({}, { sandbox: { demo: false } });
  plan = await publishedSmallPlan(svc);
  const res = await svc.api(
    "/api/change-requests",
    jsonInit("POST", {
      targetId: plan.leafIds[0],
      requesterUserId: "r11001",
      proposedAmount: "5000000",
      reason: "模糊测试的种子",
    }),
  );
  expect(res.status, await res.clone().text()).toBe(201);
  changeRequestId = ((await res.json()) as { id: string }).id;
  await settle(svc);
  before = await digest(svc.db);
}, 180_000);
afterAll(() => svc?.close());

// ---------------------------------------------------------------------------------------------- hostile values

/** JSON text for an object with the given own keys (an object literal's `__proto__` would set the prototype). */
const rawObject = (entries: [string, unknown][]) =>
  JSON.parse(`{${entries.map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v) ?? "null"}`).join(",")}}`);

const ODD_TEXT = [
  "\u202Eevil\u202C", // right-to-left override
  "\u200B",
  "a\u200Db\u200C",
  "\uFEFF",
  "\u0000",
  "a\u0000b",
  "\uD800", // lone surrogates
  "\uDFFFx",
  "👩‍👩‍👧‍👦",
  "𠮷野家",
  `e${"\u0301".repeat(300)}`,
  "__proto__",
  "constructor",
  "prototype",
  "toString",
  "' OR 1=1 --",
  '"; DROP TABLE plan; --',
  "../../etc/passwd",
  "%00",
  "\\u0000",
  "$" + "{7*7}", // a template placeholder
  "<script>alert(1)</script>",
  "\r\n",
  "\u0085\u2028\u2029",
  "\uFFFF\uFFFE",
  "\u001B[31m",
];
const arbOddString: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(...ODD_TEXT),
  fc.string({ unit: "binary", maxLength: 40 }),
  fc.string({ unit: "grapheme", maxLength: 40 }),
  fc
    .tuple(fc.constantFrom("李", "\u202E", "\u200B", "𠮷", "a", "\uD83D"), fc.integer({ min: 201, max: 3_000 }))
    .map(([c, n]) => c.repeat(n)),
);
const arbNotString: fc.Arbitrary<unknown> = fc.oneof(
  fc.integer(),
  fc.double(), // NaN and ±Infinity go out as null
  fc.boolean(),
  fc.constant(null),
  fc.constant([]),
  fc.constant({}),
  fc.array(fc.integer(), { maxLength: 3 }),
  fc.constant(rawObject([["__proto__", { isAdmin: true }]])),
  fc.constant({ $gt: 0 }),
);
/** Never a valid amount (a non-negative integer of at most 2^63 − 1, or its digits), zero aside. */
const BAD_AMOUNTS: unknown[] = [
  -1,
  -1_000_000,
  0.5,
  1e-7,
  1234.56,
  2 ** 53,
  1e21,
  1e308,
  "-5",
  "1e6",
  "1E+30",
  "1.0",
  "0x10",
  "1_000",
  "1,000",
  "１２３",
  "",
  "  ",
  "NaN",
  "Infinity",
  "9223372036854775808",
  "99999999999999999999999999999999",
  "12\u0000",
  "٣٤٥",
];
/** Neither a string nor a number: wrong for every scalar field. */
const arbNotScalar: fc.Arbitrary<unknown> = arbNotString.filter((v) => typeof v !== "number");
const arbFraction = fc.double({ noNaN: true }).filter((d) => !Number.isSafeInteger(d));
const arbBadAmount = fc.oneof(
  fc.constantFrom(...BAD_AMOUNTS),
  fc.integer({ max: -1 }),
  arbFraction,
  arbNotScalar,
  arbOddString,
);
const arbBadPositiveAmount = fc.oneof(arbBadAmount, fc.constantFrom(0, "0", "000"));
/** Never a valid integer field of any route (each one's own out-of-range values are added where it is used). */
const arbBadInt = fc.oneof(
  fc.constantFrom(-1, 0.5, 1e308, -1e308, 2 ** 53 + 2, 2026.5, "2026", "1e3"),
  arbFraction,
  arbNotScalar,
  arbOddString,
);
/** An integer field with the range [min, max]: a bad one, or just outside the range. */
const arbBadIntIn = (min: number, max: number) => fc.oneof(arbBadInt, fc.constantFrom(min - 1, max + 1));
const arbBadDate = fc.oneof(
  fc.constantFrom("2026-02-30", "2026-13-01", "2026-00-10", "0000-00-00", "9999-99-99", "2026-1-1", "2026/12/08"),
  arbNotString,
  arbOddString,
);
const arbBadDateTime = fc.oneof(
  fc.constantFrom("2026-02-30T00:00:00+08:00", "2026-04-03T25:00:00+08:00", "2026-04-03T16:00:00", "yesterday"),
  arbNotString,
  arbOddString,
);
/** A reference to something that must exist (a user, a target): any odd string names nothing. */
const arbBadRef = fc.oneof(arbOddString, arbNotString, fc.constantFrom("", "   "));
/** A text field with a length limit or a non-empty rule: too long, empty, or with characters refused. */
const arbBadText = fc.oneof(
  fc.constantFrom("", "   ", "\u0000", "a\uD800b", "x".repeat(5_000), "李".repeat(70_000)),
  arbNotString,
);
const arbBadEnum = fc.oneof(arbOddString, arbNotString, fc.constantFrom("", "week", "ALL", "owner"));
const arbBadArray = fc.oneof(
  fc.constant([]),
  arbOddString,
  arbNotString.filter((v) => !Array.isArray(v) || v.length === 0 || typeof v[0] !== "string"),
  fc.array(arbOddString, { minLength: 1, maxLength: 5 }),
);

type Kind = fc.Arbitrary<unknown>;

/**
 * For each route that reads a JSON body: a valid body, and for each field a generator of values the route must
 * refuse there. A template case sets one of those fields, so the request is refused whatever else it carries.
 */
const TEMPLATES: Record<string, { body: () => unknown; fields: Record<string, Kind> }> = {
  "POST /api/plans": {
    body: () => ({ name: "模糊计划", fiscalYear: 2026, total: 1_000_000, ownerUserId: "m11" }),
    fields: {
      name: arbBadText,
      fiscalYear: arbBadIntIn(2000, 2100),
      total: arbBadPositiveAmount,
      ownerUserId: arbBadRef,
      metric: arbBadEnum,
      cadence: arbBadEnum,
      timezone: arbOddString,
      "funnel.avgDealSize": arbBadPositiveAmount,
      approvalThresholds: fc.oneof(arbNotString, fc.constant([15, 5]), fc.constant([0, 200])),
    },
  },
  "POST /api/plans/:id/splits": {
    body: () => ({
      parentTargetId: plan.rootTargetId,
      dimension: "REGION",
      method: "MANUAL",
      children: [
        { key: "a", amount: "7800000" },
        { key: "b", amount: "7800000" },
      ],
    }),
    fields: {
      parentTargetId: arbBadRef,
      dimension: arbBadEnum,
      method: arbBadEnum,
      children: arbBadArray,
      "children.0.amount": arbBadAmount,
      "children.1.key": arbBadText,
      "children.0.coOwnerUserIds": arbBadArray,
      "children.0.ownerUserId": arbBadRef,
    },
  },
  "POST /api/plans/:id/phasing": {
    body: () => ({ profile: { monthlyWeights: [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1] } }),
    fields: {
      profile: arbBadEnum,
      "profile.monthlyWeights": arbBadArray,
      "profile.monthlyWeights.3": fc.oneof(
        fc.constantFrom(-1, -1e308),
        arbOddString,
        arbNotString.filter((v) => typeof v !== "number"),
      ),
    },
  },
  "PUT /api/org": {
    body: () => ({
      departments: [{ id: "d1", name: "总部" }],
      staff: [{ userId: "m11", name: "王经理", departmentId: "d1" }],
    }),
    fields: {
      departments: arbBadArray,
      staff: arbBadArray,
      "staff.0.userId": arbNotString,
      "departments.0.id": arbNotString,
    },
  },
  "POST /api/progress": {
    body: () => ({ entries: [{ userId: "r11001", planId: plan.planId, period: "2026-W14", amount: 1000 }] }),
    fields: {
      entries: arbBadArray,
      "entries.0.amount": arbBadAmount,
      "entries.0.userId": arbBadRef,
      "entries.0.planId": arbBadRef,
      "entries.0.period": arbBadRef,
      "entries.0.newCustomers": arbBadIntIn(0, 100_000),
      "entries.0.source": arbBadEnum,
    },
  },
  "PUT /api/staff/:userId/leave": {
    body: () => ({ from: "2026-12-08", to: "2026-12-10" }),
    fields: { from: arbBadDate, to: arbBadDate, reason: arbBadText },
  },
  "POST /api/change-requests": {
    body: () => ({ targetId: plan.leafIds[1], requesterUserId: "r11002", proposedAmount: "6000000", reason: "x" }),
    fields: {
      targetId: arbBadRef,
      requesterUserId: arbBadRef,
      proposedAmount: arbBadAmount,
      reason: arbNotString,
      rebalance: arbBadEnum,
    },
  },
  "POST /api/change-requests/:id/cancel": { body: () => ({ userId: "r11001" }), fields: { userId: arbBadRef } },
  "POST /api/outbox/redrive": {
    body: () => ({ ids: ["1"] }),
    fields: {
      ids: arbBadArray,
      "ids.0": fc.oneof(arbOddString, arbNotString, fc.constantFrom("0", "-1", "1e3")),
      all: arbNotString.filter((v) => v !== true),
    },
  },
  "POST /api/dashboard-links": {
    body: () => ({ userId: "r11001", hours: 8 }),
    fields: { userId: arbBadRef, hours: arbBadIntIn(1, 24) },
  },
  "POST /api/jobs/:job/run": { body: () => ({ at: "2026-04-03T16:00:00+08:00" }), fields: { at: arbBadDateTime } },
};
/** Routes that read no JSON body (publish, directory sync, cancel leave) or an upload (plan import, in uploads). */
const NO_TEMPLATE = new Set([
  "POST /api/plans/:id/publish",
  "POST /api/org/sync",
  "DELETE /api/staff/:userId/leave",
  "POST /api/plans/:id/import",
]);

/** Routes for which an empty body is a complete, valid request. */
const EMPTY_BODY_RUNS = new Set(["POST /api/jobs/:job/run"]);

function setPath(target: unknown, path: string, value: unknown): unknown {
  const keys = path.split(".");
  let node = target as Record<string, unknown>;
  for (const key of keys.slice(0, -1)) {
    if (node[key] === undefined || node[key] === null || typeof node[key] !== "object") node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
  node[keys.at(-1)!] = value;
  return target;
}

/** A template with one field set to a refused value, sometimes with prototype-pollution keys beside it. */
function arbTemplateBody(route: string): fc.Arbitrary<string> | undefined {
  const t = TEMPLATES[route];
  if (!t) return undefined;
  return fc
    .tuple(fc.constantFrom(...Object.keys(t.fields)), fc.boolean(), fc.boolean())
    .chain(([field, poison, truncate]) =>
      fc.tuple(t.fields[field]!, fc.nat()).map(([value, cut]) => {
        let text = JSON.stringify(setPath(t.body(), field, value));
        if (poison) {
          text = `{"__proto__":{"isAdmin":true,"total":1},"constructor":{"prototype":{"x":1}},${text.slice(1)}`;
        }
        return truncate ? text.slice(0, 1 + (cut % (text.length - 1))) : text;
      }),
    );
}

const deepNesting = fc
  .tuple(fc.constantFrom("[", '{"a":'), fc.integer({ min: 100, max: 20_000 }))
  .map(([open, n]) => `${open.repeat(n)}1${(open === "[" ? "]" : "}").repeat(n)}`);
/** JSON a route must refuse as a whole: not an object, or an object whose keys are all wrong. */
const arbGarbageJson = fc.oneof(
  fc
    .jsonValue({ maxDepth: 4 })
    .map((v) =>
      v && typeof v === "object" && !Array.isArray(v) ? JSON.stringify({ ...v, "\u0000bad": 1 }) : JSON.stringify(v),
    ),
  fc.constantFrom(
    '{"__proto__":{"polluted":true}}',
    '{"constructor":{"prototype":{"polluted":true}}}',
    "null",
    "[]",
    '""',
    "1e999",
    "-0",
    "true",
    '"\\ud800"',
    '{"a":1,"a":2}',
    "{",
    '{"a":',
    "[1,2",
    '"abc',
    "\uFEFF{}",
    "{}garbage",
  ),
  deepNesting,
);
const arbBytes = fc.oneof(
  fc.uint8Array({ maxLength: 2_000 }),
  fc.uint8Array({ maxLength: 2_000 }).map((b) => Uint8Array.from([0x50, 0x4b, 0x03, 0x04, ...b])), // a zip's start
  fc.constantFrom(Buffer.from([0xff, 0xfe, 0x00, 0x7b]), Buffer.from([0xc0, 0x80, 0xed, 0xa0, 0x80])), // invalid UTF-8
);
const arbMultipart = fc
  .record({
    boundary: fc.constantFrom("x", "----fuzz", "", "a".repeat(100)),
    parts: fc.array(
      fc.record({
        name: fc.oneof(fc.constantFrom("departments", "staff", "file", "__proto__", ""), arbOddString),
        filename: fc.option(fc.constantFrom("a.csv", "a.xlsx", "../x", "\u202Excsv.exe"), { nil: undefined }),
        content: fc.oneof(
          arbOddString,
          fc.constantFrom("id,name\nd1,总部\n", 'userId,name,departmentId\n"unclosed,x\n', "PK\u0003\u0004garbage"),
          arbBytes.map((b) => Buffer.from(b).toString("latin1")),
        ),
      }),
      { maxLength: 4 },
    ),
    truncate: fc.boolean(),
  })
  .map(({ boundary, parts, truncate }) => {
    const text = parts
      .map(
        (p) =>
          `--${boundary}\r\nContent-Disposition: form-data; name="${p.name}"${p.filename ? `; filename="${p.filename}"` : ""}\r\n\r\n${p.content}\r\n`,
      )
      .join("");
    const body = truncate ? text : `${text}--${boundary}--\r\n`;
    return { type: `multipart/form-data; boundary=${boundary}`, body: Buffer.from(body, "latin1") };
  });

const JSON_TYPE = "application/json";
const arbContentType = fc.oneof(
  { weight: 6, arbitrary: fc.constant(JSON_TYPE) },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      undefined,
      "text/plain",
      "application/x-www-form-urlencoded",
      "multipart/form-data",
      "application/json; charset=utf-16",
      "application/octet-stream",
      "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
      "application/*",
      "json",
    ),
  },
);

interface FuzzRequest {
  path: string;
  query: string;
  type: string | undefined;
  body: Uint8Array | undefined;
  headers: Record<string, string>;
}

/** Percent-encodes every byte outside the unreserved set (lone surrogates go out as U+FFFD's bytes). */
const encode = (s: string) =>
  [...Buffer.from(s, "utf8")]
    .map((b) =>
      /[A-Za-z0-9\-._~]/.test(String.fromCharCode(b)) ? String.fromCharCode(b) : `%${b.toString(16).padStart(2, "0")}`,
    )
    .join("");
const arbOddId = fc.oneof(
  fc.constantFrom(
    "%ZZ",
    "%",
    "%00",
    "%c0%80",
    "%2e%2e",
    "a%2Fb",
    "..",
    "-1",
    "0",
    "1e309",
    "99999999999999999999999",
    "NaN",
    "null",
    "undefined",
    "00000000-0000-0000-0000-000000000000",
  ),
  arbOddString.filter((s) => s.length < 1_000).map(encode),
  fc.string({ maxLength: 30 }).map(encode),
);
const QUERY_NAMES = [
  "limit",
  "status",
  "planId",
  "period",
  "from",
  "mode",
  "confirmDeactivate",
  "targetId",
  "userId",
  "at",
  "__proto__",
  "constructor",
];
const arbQuery = fc
  .array(
    fc.tuple(
      fc.oneof(
        fc.constantFrom(...QUERY_NAMES),
        arbOddString.filter((s) => s.length < 200),
      ),
      fc.oneof(
        fc.constantFrom(
          "-1",
          "0",
          "0.5",
          "1e999",
          "NaN",
          "1001",
          "",
          "2026-02-30",
          "2026-W99",
          "full",
          "merge",
          "DEAD",
          "%ZZ",
        ),
        arbOddString.filter((s) => s.length < 500),
      ),
    ),
    { maxLength: 4 },
  )
  .map((pairs) =>
    pairs.map(([k, v]) => (v.startsWith("%") ? `${encode(k)}=${v}` : `${encode(k)}=${encode(v)}`)).join("&"),
  );

/** Real ids for each path parameter, so a body gets past the lookup half the time. */
const realIds = (): Record<string, string[]> => ({
  id: [plan.planId, changeRequestId],
  userId: ["r11001", "m11"],
  job: ["evaluate", "weekly-digest", "confirm-reminder", "approval-reminder", "escalation-overdue"],
});

function arbRequest(method: string, route: string, pattern: string): fc.Arbitrary<FuzzRequest> {
  const params = [...pattern.matchAll(/:(\w+)/g)].map((m) => m[1]!);
  const arbPath = fc
    .tuple(...params.map((name) => fc.oneof(fc.constantFrom(...(realIds()[name] ?? ["x"])), arbOddId)))
    .map((values) => params.reduce((p, name, i) => p.replace(`:${name}`, values[i]!), pattern));
  const arbHeaders = fc
    .record(
      {
        "x-actor": fc.constantFrom("%E0%A4%A", "%00", "ops1", "\u202E".normalize()),
        "x-reason": fc.constantFrom("%E0%A4%A", "%00", "%ZZ", "ok"),
      },
      { requiredKeys: [] },
    )
    .map((h) => Object.fromEntries(Object.entries(h).filter(([, v]) => /^[\x20-\x7e]*$/.test(v))));
  const template = arbTemplateBody(route);
  const arbBody: fc.Arbitrary<{ type: string | undefined; body: Uint8Array | undefined }> =
    method === "GET"
      ? fc.constant({ type: undefined, body: undefined })
      : fc
          .oneof(
            ...(template ? [{ weight: 5, arbitrary: fc.tuple(arbContentType, template) }] : []),
            { weight: 3, arbitrary: fc.tuple(arbContentType, arbGarbageJson) },
            { weight: 1, arbitrary: fc.tuple(arbContentType, arbBytes) },
            { weight: 1, arbitrary: arbMultipart.map((m) => [m.type, m.body] as const) },
            // An empty body (a valid request where every field is optional: a job run "now").
            ...(EMPTY_BODY_RUNS.has(route) ? [] : [{ weight: 1, arbitrary: fc.constant([JSON_TYPE, ""] as const) }]),
          )
          .map(([type, body]) => ({ type, body: typeof body === "string" ? Buffer.from(body, "utf8") : body }))
          // On such a route any empty body (garbage bytes of length 0 included) is a valid request, not a hostile one.
          .filter((b) => !EMPTY_BODY_RUNS.has(route) || (b.body?.length ?? 0) > 0);
  return fc
    .record({ path: arbPath, query: arbQuery, headers: arbHeaders, b: arbBody })
    .map(({ b, ...rest }) => ({ ...rest, ...b }));
}

const describeRequest = (method: string, r: FuzzRequest) =>
  `${method} ${r.path}${r.query ? `?${r.query}` : ""} type=${r.type} headers=${JSON.stringify(r.headers)} body(${r.body?.length ?? 0} bytes)=${r.body ? JSON.stringify(Buffer.from(r.body).toString("utf8").slice(0, 300)) : "-"}`;

async function send(method: string, r: FuzzRequest): Promise<{ status: number; type: string; text: string }> {
  const headers: Record<string, string> = { ...r.headers };
  if (r.type !== undefined) headers["content-type"] = r.type;
  const res = await svc.api(r.path + (r.query ? `?${r.query}` : ""), { method, headers, body: r.body });
  return { status: res.status, type: res.headers.get("content-type") ?? "", text: await res.text() };
}

/** The answer's problems, if any: a 5xx, or a 4xx that is not a JSON `{error: {code, message}}`. */
function problemWith(answer: { status: number; type: string; text: string }): string | undefined {
  if (answer.status >= 500) return `answered ${answer.status}: ${answer.text.slice(0, 500)}`;
  if (answer.status < 400) return undefined;
  if (!answer.type.startsWith("application/json"))
    return `a ${answer.status} as ${answer.type}: ${answer.text.slice(0, 300)}`;
  const body = JSON.parse(answer.text) as { error?: { code?: unknown; message?: unknown } };
  if (typeof body.error?.code !== "string" || typeof body.error.message !== "string" || !body.error.message) {
    return `a ${answer.status} without {error: {code, message}}: ${answer.text.slice(0, 300)}`;
  }
  return undefined;
}

async function fuzzRoute(method: string, pattern: string, index: number): Promise<number> {
  const route = `${method} ${pattern}`;
  let sent = 0;
  await fc.assert(
    fc.asyncProperty(arbRequest(method, route, pattern), async (r) => {
      sent++;
      const answer = await send(method, r);
      if (method !== "GET" && answer.status < 300) accepted.push(`${answer.status} ← ${describeRequest(method, r)}`);
      const problem = problemWith(answer);
      if (problem) throw new Error(`${problem}\n  request: ${describeRequest(method, r)}`);
    }),
    {
      seed: SEED + index,
      numRuns: method === "GET" ? GET_RUNS : RUNS,
      endOnFailure: false,
      reporter: (details) => {
        if (details.failed) {
          throw new Error(
            `${route}: ${details.errorInstance instanceof Error ? details.errorInstance.message : String(details.errorInstance)}\n` +
              `  reproduce: FUZZ_SEED=${SEED} (this route's run seed ${details.seed}, path "${details.counterexamplePath}")`,
          );
        }
      },
    },
  );
  return sent;
}

describe("every admin route under generated hostile requests", () => {
  it("has a body template, or is known to read no JSON body, for every route that takes one", () => {
    const admin = svc.routes.filter((r) => r.path.startsWith("/api/"));
    expect(admin.length).toBeGreaterThan(20);
    const missing = admin
      .filter((r) => r.method !== "GET")
      .map((r) => `${r.method} ${r.path}`)
      .filter((route) => !TEMPLATES[route] && !NO_TEMPLATE.has(route));
    expect(missing, "add a template (a valid body and its fields' refused values) for these routes").toEqual([]);
  });

  it(`answers ${RUNS} hostile requests per write route (${GET_RUNS} per read) without a 5xx, every 4xx a JSON {error}, and changes no row`, async () => {
    const admin = svc.routes.filter((r) => r.path.startsWith("/api/"));
    const uploads = admin.filter((r) => r.path === "/api/org" || r.path.endsWith("/import"));
    const rest = admin.filter((r) => !uploads.includes(r));
    // The upload routes share one upload gate (a second upload at once is a 429): one lane for both.
    const lanes: (typeof admin)[] = [uploads, ...Array.from({ length: LANES - 1 }, () => [] as typeof admin)];
    for (const [i, r] of rest.entries()) lanes[1 + (i % (LANES - 1))]!.push(r);
    const counts: Record<string, number> = {};
    await Promise.all(
      lanes.map(async (lane) => {
        for (const r of lane) {
          counts[`${r.method} ${r.path}`] = await fuzzRoute(r.method, r.path, admin.indexOf(r));
        }
      }),
    );
    await settle(svc);
    for (const [route, n] of Object.entries(counts)) {
      expect(n, route).toBeGreaterThanOrEqual(route.startsWith("GET ") ? GET_RUNS : RUNS);
    }
    expect(Object.keys(counts).length).toBe(admin.length);
    const after = await digest(svc.db);
    const changed = Object.keys(before).filter((t) => before[t] !== after[t]);
    expect(
      changed,
      `tables changed by the fuzz (FUZZ_SEED=${SEED}); writes answered 2xx:\n${accepted.join("\n")}`,
    ).toEqual([]);
    expect(after).toEqual(before);
  }, 600_000);
});

/** Cases the fuzz found (each was a 500, a crash or a changed row), kept as plain tests. */
describe("what the fuzz found", () => {
  const multipart = (body: string) => ({
    method: "PUT",
    headers: { "content-type": "multipart/form-data; boundary=b" },
    body: Buffer.from(body, "latin1"),
  });

  it("a JSON body nested thousands deep is a 400 that says so, not a stack overflow (was a 500)", async () => {
    const res = await svc.api("/api/plans", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: `${"[".repeat(5_000)}1${"]".repeat(5_000)}`,
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(
      /^请求体嵌套过深（超过 32 层）/,
    );
    expect(await digest(svc.db)).toEqual(before);
  });

  it('a multipart field named "" is a 400 (was an uncaught error that ended the process)', async () => {
    const res = await svc.api(
      "/api/org",
      multipart('--b\r\nContent-Disposition: form-data; name=""\r\n\r\nabc\r\n--b--\r\n'),
    );
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe("VALIDATION");
    expect((await svc.api("/api/plans")).status).toBe(200); // still serving
    expect(await digest(svc.db)).toEqual(before);
  });

  it("a multipart file cut off by the end of the body is a 400 (was an uncaught error that ended the process)", async () => {
    const res = await svc.api(
      "/api/org",
      multipart('--b\r\nContent-Disposition: form-data; name="staff"; filename="s.csv"\r\n\r\nuserId,name\r\n'),
    );
    expect(res.status).toBe(400);
    expect((await svc.api("/api/plans")).status).toBe(200);
    expect(await digest(svc.db)).toEqual(before);
  });

  it("publishing a published plan again changes no row (it used to touch the plan's updated_at)", async () => {
    const res = await svc.api(`/api/plans/${plan.planId}/publish`, { method: "POST" });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ queued: 0, summaries: 0 });
    await settle(svc);
    expect(await digest(svc.db)).toEqual(before);
  });
});
