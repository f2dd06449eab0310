import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cardDefinitions } from "../../cards/index.ts";
import { loadConfig } from "../../src/config.ts";
import type { Emulator } from "../../src/dingtalk/emulator/emulator-types.ts";
import type { DoctorCheck, DoctorReport } from "../../src/doctor/doctor-check.ts";
import { PROBE_USER_ID, runDoctor } from "../../src/doctor/run-doctor.ts";
import { CARD_TEMPLATE_ENV, startTestEmulator } from "../fixtures/dingtalk/emulator-app.ts";
import { SALES_ORG } from "../fixtures/dingtalk/staff.ts";

/** An app set up as docs/dingtalk-setup.md says: robot added, every template published, directory permissions. */
const GOOD = { clientId: "dingdoctorgood01", clientSecret: "doctor-secret-good" };
/** The same, but the directory permissions were never granted. */
const NO_DIRECTORY = { clientId: "dingdoctornodir1", clientSecret: "doctor-secret-nodir" };
const PUBLISHED = Object.values(CARD_TEMPLATE_ENV);
const ADMIN_TOKEN = "doctor-test-admin-token-0123456789";
const ROOT = fileURLToPath(new URL("../..", import.meta.url));

let emulator: Emulator;

beforeAll(async () => {
  emulator = await startTestEmulator({
    apps: [
      { ...GOOD, templates: PUBLISHED },
      {
        ...NO_DIRECTORY,
        templates: PUBLISHED,
        withoutPermissions: ["qyapi_get_department_list", "qyapi_get_member"],
      },
    ],
    staff: SALES_ORG,
  });
});
afterAll(() => emulator?.close());

/** The environment an operator would set, pointed at the emulator. */
function env(app: { clientId: string; clientSecret: string }, extra: Record<string, string> = {}) {
  return {
    DINGTALK_CLIENT_ID: app.clientId,
    DINGTALK_CLIENT_SECRET: app.clientSecret,
    DINGTALK_API_BASE: emulator.url,
    DINGTALK_OAPI_BASE: emulator.url,
    ADMIN_TOKEN,
    ...CARD_TEMPLATE_ENV,
    ...extra,
  };
}

function doctor(e: Record<string, string>): Promise<DoctorReport> {
  return runDoctor({ config: loadConfig(e), retryDelaysMs: [] });
}

function problems(report: DoctorReport): DoctorCheck[] {
  return report.checks.filter((c) => c.status === "problem");
}

function check(report: DoctorReport, id: string): DoctorCheck {
  const found = report.checks.find((c) => c.id === id);
  if (!found) throw new Error(`no check ${id} in ${report.checks.map((c) => c.id).join(", ")}`);
  return found;
}

const TEMPLATE_IDS = Object.keys(cardDefinitions).map((id) => `template:${id}`);

describe("npm run doctor against the emulator", () => {
  it("passes a configuration set up as the guide says, checking token, robot, every template and the directory, and delivers nothing", async () => {
    const report = await doctor(env(GOOD));
    expect(problems(report)).toEqual([]);
    expect(report.ok).toBe(true);
    expect(report.checks.map((c) => c.id)).toEqual([
      "credentials",
      "legacy-token",
      "robot",
      ...TEMPLATE_IDS,
      "directory",
    ]);
    expect(report.checks.every((c) => c.status === "ok")).toBe(true);
    expect(check(report, "directory").detail).toContain("2 个子部门");
    // Each template was really asked about, and the probes reached no one.
    const created = emulator.listCards().filter((c) => c.clientId === GOOD.clientId);
    expect(created.map((c) => c.cardTemplateId).sort()).toEqual([...PUBLISHED].sort());
    expect(created.every((c) => c.deliveries.length === 0)).toBe(true);
    const batchSends = emulator.listRequests("POST /v1.0/robot/oToMessages/batchSend");
    expect(batchSends.filter((r) => r.clientId === GOOD.clientId)).toHaveLength(1);
    for (const u of SALES_ORG.users ?? []) expect(emulator.getInbox(u.userid), u.userid).toEqual([]);
    expect(emulator.getInbox(PROBE_USER_ID)).toEqual([]);
    expect(check(report, "robot").detail).toContain("未送达任何人");
  });

  it("names a wrong secret with its fix and the variables to change, and skips what needs a token", async () => {
    const report = await doctor(env({ ...GOOD, clientSecret: "not-the-secret" }));
    expect(report.ok).toBe(false);
    expect(problems(report).map((c) => c.id)).toEqual(["credentials"]);
    const creds = check(report, "credentials");
    expect(creds.detail).toContain("invalidClientIdOrSecret");
    expect(creds.envVars).toEqual(["DINGTALK_CLIENT_ID", "DINGTALK_CLIENT_SECRET"]);
    expect(creds.fix).toContain("凭证与基础信息");
    for (const id of ["legacy-token", "robot", ...TEMPLATE_IDS, "directory"]) {
      expect(check(report, id).status, id).toBe("skipped");
    }
  });

  it("names an unknown template id: which card, which variable, the id, and where to build it", async () => {
    const report = await doctor(env(GOOD, { DINGTALK_CARD_TEMPLATE_PROGRESS: "tpl.not-published.schema" }));
    expect(problems(report).map((c) => c.id)).toEqual(["template:progress"]);
    const bad = check(report, "template:progress");
    expect(bad.envVars).toEqual(["DINGTALK_CARD_TEMPLATE_PROGRESS"]);
    expect(bad.detail).toContain("DINGTALK_CARD_TEMPLATE_PROGRESS=tpl.not-published.schema");
    expect(bad.detail).toContain("param.templateNotExist");
    expect(bad.fix).toContain("docs/card-templates.md 的「进度填报」");
  });

  it("names a robot code that is not the app's robot", async () => {
    const report = await doctor(env(GOOD, { DINGTALK_ROBOT_CODE: "dingsomeotherbot" }));
    expect(problems(report).map((c) => c.id)).toEqual(["robot"]);
    const robot = check(report, "robot");
    expect(robot.envVars).toEqual(["DINGTALK_ROBOT_CODE"]);
    expect(robot.detail).toContain("dingsomeotherbot");
    expect(robot.fix).toContain("RobotCode");
  });

  it("names a missing directory permission with the permission codes to apply for", async () => {
    const report = await doctor(env(NO_DIRECTORY));
    expect(problems(report).map((c) => c.id)).toEqual(["directory"]);
    const dir = check(report, "directory");
    expect(dir.detail).toContain("没有读通讯录的权限");
    expect(dir.detail).toContain("60011");
    expect(dir.fix).toContain("qyapi_get_department_list");
    expect(dir.fix).toContain("qyapi_get_member");
  });

  it("names every problem of one configuration at once", async () => {
    const report = await doctor(
      env(NO_DIRECTORY, { DINGTALK_ROBOT_CODE: "dingsomeotherbot", DINGTALK_CARD_TEMPLATE_TARGET: "tpl.typo" }),
    );
    expect(problems(report).map((c) => c.id)).toEqual(["robot", "template:target", "directory"]);
  });

  it("without credentials says so (sandbox mode connects to no DingTalk)", async () => {
    const report = await runDoctor({ config: loadConfig({}) });
    expect(report.ok).toBe(false);
    expect(problems(report).map((c) => c.envVars)).toEqual([["DINGTALK_CLIENT_ID", "DINGTALK_CLIENT_SECRET"]]);
  });

  it("as a command: exit 0 and every line ✓ when all is well; exit 1 naming each problem and its variable otherwise", async () => {
    const run = (e: Record<string, string>) =>
      promisify(execFile)(process.execPath, ["--import", "tsx", "scripts/doctor.ts"], {
        cwd: ROOT,
        env: { PATH: process.env.PATH ?? "", ...e },
      }).then(
        (r) => ({ code: 0, out: r.stdout }),
        (err: { code: number; stdout: string }) => ({ code: err.code, out: err.stdout }),
      );
    const [good, bad, unparsable] = await Promise.all([
      run(env(GOOD)),
      run(env(NO_DIRECTORY, { DINGTALK_ROBOT_CODE: "dingsomeotherbot" })),
      run(env(GOOD, { DINGTALK_CARD_TEMPLATE_TARGET: "", DINGTALK_API_BASE: "not a url" })),
    ]);
    expect(good.code, good.out).toBe(0);
    expect(good.out).toContain("全部通过");
    expect(good.out).not.toContain("✗");
    expect(bad.code, bad.out).toBe(1);
    expect(bad.out).toMatch(/✗ 机器人编码：.*dingsomeotherbot/);
    expect(bad.out).toContain("修复（DINGTALK_ROBOT_CODE）");
    expect(bad.out).toMatch(/✗ 通讯录读取：/);
    expect(bad.out).toContain("发现 2 个问题");
    expect(unparsable.code, unparsable.out).toBe(1);
    expect(unparsable.out).toContain("DINGTALK_API_BASE");
    expect(unparsable.out).toContain("DINGTALK_CARD_TEMPLATE_TARGET");
  });
});
