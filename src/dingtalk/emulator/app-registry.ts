import { encryptedId, newUuid } from "./ids.ts";

/** An app the emulator knows: its credentials (= AppKey/AppSecret) and its bot (docs/dingtalk.md §0). */
export interface EmulatorApp {
  clientId: string;
  clientSecret: string;
  /** Defaults to the clientId, as for an internal app's bot (docs/dingtalk.md §0). */
  robotCode?: string;
  /**
   * The card template ids published for this app: a card created with any other id is refused with
   * `param.templateNotExist` (docs/dingtalk.md §3.3). Unset = every id is accepted (sandbox, most tests).
   */
  templates?: readonly string[];
  /**
   * Permission codes the app was not granted in the developer console (e.g. `qyapi_get_department_list`): the
   * legacy APIs needing one answer errcode 88 / sub_code 60011 "没有调用该接口的权限" (DingTalk's error-code page).
   */
  withoutPermissions?: readonly string[];
}

/** An app with the ids the emulator derives for it. */
export interface AppRecord {
  clientId: string;
  clientSecret: string;
  robotCode: string;
  /** `headers.appId` of stream frames (docs/dingtalk.md §1.3). */
  appId: string;
  /** The bot's encrypted user id (`chatbotUserId`, docs/dingtalk.md §2). */
  chatbotUserId: string;
  /** Published template ids; undefined = any id is accepted. */
  templates: ReadonlySet<string> | undefined;
  /** Permission codes not granted. */
  withoutPermissions: ReadonlySet<string>;
}

export interface AppRegistry {
  get(clientId: string): AppRecord | undefined;
  /** The app whose credentials match, or undefined. */
  authenticate(clientId: unknown, clientSecret: unknown): AppRecord | undefined;
  /** The first app: the default for control calls that do not name one. */
  first(): AppRecord;
  list(): AppRecord[];
}

/** Registers the apps given to startEmulator; robotCode defaults to the clientId. */
export function createAppRegistry(apps: EmulatorApp[]): AppRegistry {
  if (apps.length === 0) throw new Error("startEmulator: pass at least one app in `apps`");
  const byId = new Map<string, AppRecord>();
  for (const app of apps) {
    if (!app.clientId || !app.clientSecret) throw new Error("startEmulator: every app needs clientId and clientSecret");
    byId.set(app.clientId, {
      clientId: app.clientId,
      clientSecret: app.clientSecret,
      robotCode: app.robotCode ?? app.clientId,
      appId: newUuid(),
      chatbotUserId: encryptedId(`bot:${app.clientId}`),
      templates: app.templates ? new Set(app.templates) : undefined,
      withoutPermissions: new Set(app.withoutPermissions ?? []),
    });
  }
  const list = [...byId.values()];
  return {
    get: (clientId) => byId.get(clientId),
    authenticate(clientId, clientSecret) {
      if (typeof clientId !== "string" || typeof clientSecret !== "string") return undefined;
      const app = byId.get(clientId);
      return app && app.clientSecret === clientSecret ? app : undefined;
    },
    first: () => list[0]!,
    list: () => [...list],
  };
}
