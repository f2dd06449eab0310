import { encryptedId, newUuid } from "./ids.ts";

/** An app the emulator knows: its credentials (= AppKey/AppSecret) and its bot (docs/dingtalk.md §0). */
export interface EmulatorApp {
  clientId: string;
  clientSecret: string;
  /** Defaults to the clientId, as for an internal app's bot (docs/dingtalk.md §0). */
  robotCode?: string;
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
