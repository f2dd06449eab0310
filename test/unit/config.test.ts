import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { cardDefinitions } from "../../cards/index.ts";
import { CONFIG_VARIABLES, type Config, ConfigError, loadConfig } from "../../src/config.ts";

type Env = Record<string, string>;

const TEMPLATE_KEYS = Object.values(cardDefinitions).map((d) => d.templateIdConfigKey);
/** A complete production configuration: credentials, admin token and every card template id. */
const TEMPLATES: Env = Object.fromEntries(TEMPLATE_KEYS.map((key) => [key, `tpl-${key.toLowerCase()}`]));
const LIVE: Env = {
  DINGTALK_CLIENT_ID: "dingabc",
  DINGTALK_CLIENT_SECRET: "s3cret",
  ADMIN_TOKEN: "a-long-enough-token",
  ...TEMPLATES,
};

/**
 * The variables README.md's configuration table documents: the backticked names in each row's first cell,
 * `DINGTALK_CARD_TEMPLATE_*` standing for one variable per card in cards/.
 */
function documentedVariables(): string[] {
  const readme = readFileSync(new URL("../../README.md", import.meta.url), "utf8");
  const section = /^## Configuration\n([\s\S]*?)^## /m.exec(readme)?.[1] ?? "";
  const names = section
    .split("\n")
    .filter((line) => line.startsWith("|"))
    .flatMap((line) => [...(line.split("|")[1] ?? "").matchAll(/`([A-Z][A-Z0-9_]*\*?)`/g)].map((m) => m[1] ?? ""));
  return names.flatMap((name) => (name === "DINGTALK_CARD_TEMPLATE_*" ? TEMPLATE_KEYS : [name])).sort();
}

/** How each variable shows in the Config: a value other than its default, and what loadConfig makes of it. */
const READS: Record<string, { value: string; read: (c: Config) => unknown; expected: unknown; base?: Env }> = {
  DATABASE_URL: { value: "postgresql://u@db/x", read: (c) => c.databaseUrl, expected: "postgresql://u@db/x" },
  DATA_DIR: { value: "/var/lib/tb", read: (c) => c.dataDir, expected: "/var/lib/tb" },
  PORT: { value: "8080", read: (c) => c.port, expected: 8080 },
  HOST: { value: "10.1.2.3", read: (c) => c.host, expected: "10.1.2.3" },
  ADMIN_TOKEN: { value: "another-long-token-9", read: (c) => c.adminToken, expected: "another-long-token-9" },
  DINGTALK_CLIENT_ID: { value: "dingxyz", read: (c) => c.dingtalk.clientId, expected: "dingxyz" },
  DINGTALK_CLIENT_SECRET: { value: "other", read: (c) => c.dingtalk.clientSecret, expected: "other" },
  DINGTALK_ROBOT_CODE: { value: "robot9", read: (c) => c.dingtalk.robotCode, expected: "robot9" },
  DINGTALK_API_BASE: {
    value: "http://127.0.0.1:9000/",
    read: (c) => c.dingtalk.apiBase,
    expected: "http://127.0.0.1:9000",
  },
  DINGTALK_OAPI_BASE: { value: "http://10.0.0.1:81", read: (c) => c.dingtalk.oapiBase, expected: "http://10.0.0.1:81" },
  DINGTALK_QPS: { value: "15", read: (c) => c.dingtalk.qps, expected: 15 },
  DINGTALK_TODO: { value: "off", read: (c) => c.dingtalk.todo, expected: false },
  PUBLIC_URL: { value: "https://bot.example.com/", read: (c) => c.publicUrl, expected: "https://bot.example.com" },
  BOT_TIMEZONE: { value: "Asia/Urumqi", read: (c) => c.timezone, expected: "Asia/Urumqi" },
  BOT_PROMPT_TIME: { value: "17:30", read: (c) => c.promptTime, expected: "17:30" },
  BOT_SCHEDULER: { value: "off", read: (c) => c.schedulerEnabled, expected: false },
  // A test hook: read in sandbox mode only (refused with credentials, tested below).
  BOT_FAKE_NOW: {
    value: "2026-04-03T16:00:00+08:00",
    read: (c) => c.fakeNow?.toISOString(),
    expected: "2026-04-03T08:00:00.000Z",
    base: {},
  },
  PROGRESS_CONFIRM_MULTIPLE: { value: "3", read: (c) => c.progressConfirmMultiple, expected: 3 },
  PACE_WARNING_MARGIN: { value: "15", read: (c) => c.paceWarningMargin, expected: 0.15 },
  OUTBOX_RETRY_HOURS: { value: "0.5", read: (c) => c.outbox.retryHorizonMs, expected: 1_800_000 },
  OUTBOX_RETRY_BASE_MS: { value: "20", read: (c) => c.outbox.retryBaseMs, expected: 20 },
  OUTBOX_LEASE_MS: { value: "8000", read: (c) => c.outbox.leaseMs, expected: 8000 },
  DINGTALK_HTTP_TIMEOUT_MS: { value: "2500", read: (c) => c.dingtalk.httpTimeoutMs, expected: 2500 },
  RETENTION_DAYS: { value: "90", read: (c) => c.retentionMs, expected: 90 * 86_400_000 },
  ORG_DEACTIVATE_LIMIT_PERCENT: { value: "35", read: (c) => c.orgDeactivateMaxShare, expected: 0.35 },
  DASHBOARD_SECRET: {
    value: "a-secret-for-links-only",
    read: (c) => c.dashboardSecret,
    expected: "a-secret-for-links-only",
  },
  DASHBOARD_LINK_DAYS: { value: "14", read: (c) => c.dashboardLinkDays, expected: 14 },
  BOT_DIGEST_TIME: { value: "09:30", read: (c) => c.digestTime, expected: "09:30" },
  CJK_FONT_PATH: { value: "/opt/fonts/cjk.ttc", read: (c) => c.cjkFontPath, expected: "/opt/fonts/cjk.ttc" },
  LOG_LEVEL: { value: "debug", read: (c) => c.logLevel, expected: "debug" },
  BODY_LIMIT_MB: { value: "2", read: (c) => c.bodyLimitBytes, expected: 2 * 1024 * 1024 },
  UPLOAD_MAX_ROWS: { value: "5000", read: (c) => c.upload.maxRows, expected: 5000 },
  UPLOAD_MAX_COLUMNS: { value: "30", read: (c) => c.upload.maxColumns, expected: 30 },
  UPLOAD_MAX_CELL_BYTES: { value: "1024", read: (c) => c.upload.maxCellBytes, expected: 1024 },
  UPLOAD_MAX_UNZIPPED_MB: { value: "8", read: (c) => c.upload.maxUnzippedBytes, expected: 8 * 1024 * 1024 },
  ...Object.fromEntries(
    TEMPLATE_KEYS.map((key) => [
      key,
      { value: "tpl-new", read: (c: Config) => c.cardTemplates[key], expected: "tpl-new" },
    ]),
  ),
};

describe("loadConfig", () => {
  it("defaults to sandbox mode with PGlite and a generated admin token", () => {
    const c = loadConfig({});
    expect(c).toMatchObject({
      databaseUrl: undefined,
      dataDir: "./data",
      port: 3000,
      sandbox: true,
      adminTokenGenerated: true,
      timezone: "Asia/Shanghai",
      dingtalk: { apiBase: "https://api.dingtalk.com", oapiBase: "https://oapi.dingtalk.com", qps: 20 },
    });
    expect(c.adminToken).toMatch(/^[0-9a-f]{48}$/);
    expect(loadConfig({}).adminToken).not.toBe(c.adminToken);
  });

  it("reads every documented variable: README's table lists exactly what loadConfig reads, and each takes effect", () => {
    const documented = documentedVariables();
    expect(documented).toEqual([...CONFIG_VARIABLES].sort());
    expect(Object.keys(READS).sort()).toEqual(documented);
    for (const name of documented) {
      const { value, read, expected, base = LIVE } = READS[name] ?? { value: "", read: () => undefined, expected: 0 };
      expect(read(loadConfig(base)), `${name} unset`).not.toEqual(expected);
      expect(read(loadConfig({ ...base, [name]: value })), name).toEqual(expected);
    }
  });

  it("names every bad variable, all in one message", () => {
    const bad = { PORT: "99999", DATABASE_URL: "mysql://x", DINGTALK_QPS: "-1", ADMIN_TOKEN: "short" };
    expect(() => loadConfig(bad)).toThrow(ConfigError);
    for (const name of Object.keys(bad)) expect(() => loadConfig(bad), name).toThrow(new RegExp(`^  ${name}: `, "m"));
    // A malformed variable does not hide the rules across variables (credentials without token or templates).
    const { ADMIN_TOKEN: _, DINGTALK_CARD_TEMPLATE_TARGET: __, ...partial } = LIVE;
    for (const name of ["PORT", "ADMIN_TOKEN", "DINGTALK_CARD_TEMPLATE_TARGET"])
      expect(() => loadConfig({ ...partial, PORT: "not-a-port" }), name).toThrow(new RegExp(`^  ${name}: `, "m"));
  });

  it("turns to-dos on by default, refuses a DINGTALK_TODO other than on/off and a PUBLIC_URL that is not http(s)", () => {
    expect(loadConfig(LIVE)).toMatchObject({ dingtalk: { todo: true }, publicUrl: undefined });
    expect(loadConfig({ PORT: "8080" }).publicUrl).toBe("http://localhost:8080");
    expect(() => loadConfig({ DINGTALK_TODO: "no" })).toThrow(/^ {2}DINGTALK_TODO: must be "on" or "off"/m);
    for (const bad of ["ftp://bot.example.com", "bot.example.com", "/approvals"])
      expect(() => loadConfig({ PUBLIC_URL: bad }), bad).toThrow(/^ {2}PUBLIC_URL: must be an http\(s\) URL/m);
  });

  it("defaults the outbox lease to 5 s and retention to 30 days, and refuses values outside their ranges", () => {
    expect(loadConfig({}).outbox.leaseMs).toBe(5000);
    expect(loadConfig({}).retentionMs).toBe(30 * 86_400_000);
    for (const bad of ["1999", "600001", "2.5", "abc"]) {
      expect(() => loadConfig({ OUTBOX_LEASE_MS: bad }), bad).toThrow(/^ {2}OUTBOX_LEASE_MS: must be/m);
    }
    for (const bad of ["0", "3651", "1.5", "-3", "thirty"]) {
      expect(() => loadConfig({ RETENTION_DAYS: bad }), bad).toThrow(/^ {2}RETENTION_DAYS: must be/m);
    }
    expect(loadConfig({}).dingtalk.httpTimeoutMs).toBe(10_000);
    for (const bad of ["99", "120001", "1.5", "-1", "ten"]) {
      expect(() => loadConfig({ DINGTALK_HTTP_TIMEOUT_MS: bad }), bad).toThrow(
        /^ {2}DINGTALK_HTTP_TIMEOUT_MS: must be/m,
      );
    }
  });

  it("reads the weekly prompt time as HH:mm and refuses anything else", () => {
    expect(loadConfig({}).promptTime).toBe("16:00");
    expect(loadConfig({ BOT_PROMPT_TIME: "17:30" }).promptTime).toBe("17:30");
    for (const bad of ["25:00", "4pm", "16:0", "16:00:00"])
      expect(() => loadConfig({ BOT_PROMPT_TIME: bad }), bad).toThrow(/BOT_PROMPT_TIME.*HH:mm/);
  });

  it("derives the dashboard secret from the admin token when unset, and refuses short secrets and odd link lifetimes", () => {
    const a = loadConfig({ ADMIN_TOKEN: "admin-token-number-one" }).dashboardSecret;
    expect(a).toMatch(/^[0-9a-f]{64}$/);
    expect(loadConfig({ ADMIN_TOKEN: "admin-token-number-one" }).dashboardSecret).toBe(a);
    expect(loadConfig({ ADMIN_TOKEN: "admin-token-number-two" }).dashboardSecret).not.toBe(a);
    expect(() => loadConfig({ DASHBOARD_SECRET: "short" })).toThrow(/DASHBOARD_SECRET.*16/);
    for (const bad of ["0", "91", "1.5", "soon"])
      expect(() => loadConfig({ DASHBOARD_LINK_DAYS: bad }), bad).toThrow(/DASHBOARD_LINK_DAYS/);
  });

  it("requires ADMIN_TOKEN outside sandbox mode, and both DingTalk credentials together", () => {
    const { ADMIN_TOKEN: _, ...noToken } = LIVE;
    expect(() => loadConfig(noToken)).toThrow(/^ {2}ADMIN_TOKEN: required/m);
    expect(() => loadConfig({ DINGTALK_CLIENT_ID: "a" })).toThrow(/must be set together/);
    expect(loadConfig(LIVE)).toMatchObject({ sandbox: false, adminTokenGenerated: false, cardTemplates: TEMPLATES });
  });

  it("refuses the BOT_FAKE_NOW test hook with DingTalk credentials, naming it", () => {
    const fakeNow = { BOT_FAKE_NOW: "2026-04-03T16:00:00+08:00" };
    expect(() => loadConfig({ ...LIVE, ...fakeNow })).toThrow(ConfigError);
    expect(() => loadConfig({ ...LIVE, ...fakeNow })).toThrow(/^ {2}BOT_FAKE_NOW: test hook only, refused/m);
    expect(loadConfig(fakeNow).fakeNow).toEqual(new Date("2026-04-03T08:00:00Z"));
  });

  it("with DingTalk credentials, requires a template id for every card the service sends and lists all the missing ones", () => {
    const { ADMIN_TOKEN, DINGTALK_CLIENT_ID, DINGTALK_CLIENT_SECRET } = LIVE;
    const credentials = { ADMIN_TOKEN, DINGTALK_CLIENT_ID, DINGTALK_CLIENT_SECRET } as Env;
    const missing = (env: Env) => {
      const problems = TEMPLATE_KEYS.filter((key) => {
        try {
          loadConfig(env);
          return false;
        } catch (err) {
          return new RegExp(`^ {2}${key}: required when DingTalk credentials are set`, "m").test(String(err));
        }
      });
      return problems;
    };
    expect(TEMPLATE_KEYS.length).toBe(Object.keys(cardDefinitions).length);
    // Cards the service does not send today (digest, notice: `notSentBecause`) need no template.
    const required = Object.values(cardDefinitions)
      .filter((d) => !d.notSentBecause)
      .map((d) => d.templateIdConfigKey);
    const optional = TEMPLATE_KEYS.filter((key) => !required.includes(key));
    expect(optional).toEqual(["DINGTALK_CARD_TEMPLATE_DIGEST", "DINGTALK_CARD_TEMPLATE_NOTICE"]);
    expect(missing(credentials)).toEqual(required);
    const [first, second, ...rest] = required;
    const some = { ...credentials, ...Object.fromEntries(rest.map((key) => [key, "tpl"])) };
    expect(missing(some)).toEqual([first, second]);
    expect(() => loadConfig(some)).toThrow(ConfigError);
    const allRequired = { ...credentials, ...Object.fromEntries(required.map((key) => [key, `tpl.${key}`])) };
    expect(Object.keys(loadConfig(allRequired).cardTemplates).sort()).toEqual([...required].sort());
    // Sandbox mode draws cards from cards/ itself: no template id needed.
    expect(loadConfig({}).cardTemplates).toEqual({});
  });
});
