import { randomBytes } from "node:crypto";
import { referenceOrg } from "../demo/reference-org.ts";
import type { Emulator } from "../dingtalk/emulator/emulator-types.ts";
import { startEmulator } from "../dingtalk/emulator/start-emulator.ts";
import type { Logger } from "../lib/logger.ts";

export interface SandboxDingTalk {
  emulator: Emulator;
  /** What the service uses instead of real credentials: the emulator's app and URLs. */
  dingtalk: { clientId: string; clientSecret: string; robotCode: string; apiBase: string; oapiBase: string };
}

/**
 * Sandbox mode's DingTalk: the emulator in-process, with one app for the bot and the reference company as
 * its directory, so the bot talks to it through exactly the code it uses against DingTalk.
 */
export async function startSandboxDingTalk(log: Logger): Promise<SandboxDingTalk> {
  const app = { clientId: "dingsandbox", clientSecret: randomBytes(16).toString("hex"), robotCode: "dingsandbox" };
  const emulator = await startEmulator({
    apps: [app],
    staff: referenceDirectory(),
    log: log.child({ component: "emulator" }),
  });
  return { emulator, dingtalk: { ...app, apiBase: emulator.url, oapiBase: emulator.url } };
}

/** The reference company as DingTalk's directory gives it (departments under the root, users with their managers). */
export function referenceDirectory() {
  const org = referenceOrg();
  return {
    departments: org.departments
      .filter((d) => d.parentId !== null)
      .map((d) => ({ dept_id: Number(d.id), name: d.name, parent_id: Number(d.parentId) })),
    users: org.staff.map((s) => ({
      userid: s.userId,
      name: s.name,
      dept_id_list: [Number(s.deptId)],
      title: s.title,
      ...(s.managerUserId ? { manager_userid: s.managerUserId } : {}),
    })),
  };
}
