import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../../src/config.ts";

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

  it("reads every documented variable", () => {
    const c = loadConfig({
      DATABASE_URL: "postgresql://u@db/x",
      DATA_DIR: "/var/lib/tb",
      PORT: "8080",
      ADMIN_TOKEN: "a-long-enough-token",
      DINGTALK_CLIENT_ID: "dingabc",
      DINGTALK_CLIENT_SECRET: "s3cret",
      DINGTALK_API_BASE: "http://127.0.0.1:9000/",
      DINGTALK_OAPI_BASE: "http://127.0.0.1:9000",
      DINGTALK_QPS: "15",
      BOT_TIMEZONE: "Asia/Urumqi",
    });
    expect(c).toMatchObject({
      databaseUrl: "postgresql://u@db/x",
      port: 8080,
      sandbox: false,
      adminToken: "a-long-enough-token",
      adminTokenGenerated: false,
      dingtalk: { clientId: "dingabc", robotCode: "dingabc", apiBase: "http://127.0.0.1:9000", qps: 15 },
      timezone: "Asia/Urumqi",
    });
  });

  it("names every bad variable", () => {
    expect(() => loadConfig({ PORT: "99999", DATABASE_URL: "mysql://x", DINGTALK_QPS: "-1" })).toThrow(ConfigError);
    try {
      loadConfig({ PORT: "99999", DATABASE_URL: "mysql://x", DINGTALK_QPS: "-1", ADMIN_TOKEN: "short" });
    } catch (err) {
      const msg = (err as Error).message;
      for (const name of ["PORT", "DATABASE_URL", "DINGTALK_QPS", "ADMIN_TOKEN"]) expect(msg).toContain(name);
    }
  });

  it("reads the weekly prompt time as HH:mm and refuses anything else", () => {
    expect(loadConfig({}).promptTime).toBe("16:00");
    expect(loadConfig({ BOT_PROMPT_TIME: "17:30" }).promptTime).toBe("17:30");
    for (const bad of ["25:00", "4pm", "16:0", "16:00:00"])
      expect(() => loadConfig({ BOT_PROMPT_TIME: bad }), bad).toThrow(/BOT_PROMPT_TIME.*HH:mm/);
  });

  it("requires ADMIN_TOKEN outside sandbox mode, and both DingTalk credentials together", () => {
    expect(() => loadConfig({ DINGTALK_CLIENT_ID: "a", DINGTALK_CLIENT_SECRET: "b" })).toThrow(/ADMIN_TOKEN: required/);
    expect(() => loadConfig({ DINGTALK_CLIENT_ID: "a" })).toThrow(/must be set together/);
  });
});
