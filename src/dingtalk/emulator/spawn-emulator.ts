import { type ChildProcess, spawn } from "node:child_process";
import { setPriority } from "node:os";
import path from "node:path";
import type { CardCreateCounts, CardView, EmulatorOptions, InboxItem, RequestRecord } from "./emulator-types.ts";

const MAIN = path.join(import.meta.dirname, "main.ts");
const ROOT = path.resolve(import.meta.dirname, "../../..");

/** JSON-serialisable {@link EmulatorOptions}, plus the emulator's own log level (default "warn"). */
export type EmulatorProcessOptions = Omit<EmulatorOptions, "log" | "now" | "random"> & { logLevel?: string };

/** An emulator running in its own process (main.ts), driven through its control API. */
export interface EmulatorProcess {
  url: string;
  child: ChildProcess;
  /** Every API request it served, in arrival order (`api` as for {@link Emulator.listRequests}). */
  listRequests(api?: string): Promise<RequestRecord[]>;
  maxRequestsInWindow(api: string, windowMs?: number): Promise<number>;
  listCards(): Promise<CardView[]>;
  cardCreateCounts(): Promise<CardCreateCounts>;
  getInbox(userId: string): Promise<InboxItem[]>;
  setQpsLimit(limit: number | null): Promise<void>;
  reset(): Promise<void>;
  /** SIGTERM, then SIGKILL to the whole process group after `graceMs`; resolves once it exited. */
  stop(graceMs?: number): Promise<void>;
}

/**
 * Starts `tsx src/dingtalk/emulator/main.ts` in a process group of its own and resolves once it prints its URL.
 * The child also stops when this process's end of its stdin closes, so a crashed parent leaves nothing behind.
 */
export async function spawnEmulatorProcess(opts: EmulatorProcessOptions, timeoutMs = 20_000): Promise<EmulatorProcess> {
  const child = spawn(
    process.execPath,
    ["--import", "tsx", MAIN, "--stop-with-stdin", "--options", JSON.stringify(opts)],
    { cwd: ROOT, stdio: ["pipe", "pipe", "inherit"], detached: true },
  );
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  // DingTalk's clock does not stall when the machine under test is busy; the emulator's should not either, as far
  // as the OS lets us (raising priority needs privileges; without them it simply runs at normal priority).
  try {
    if (child.pid !== undefined) setPriority(child.pid, -10);
  } catch {
    // Not permitted here.
  }
  const url = await new Promise<string>((resolve, reject) => {
    let out = "";
    const timer = setTimeout(
      () => reject(new Error(`emulator process did not start within ${timeoutMs} ms:\n${out}`)),
      timeoutMs,
    );
    // Read to the end (a full pipe would block the emulator); only the lines before the URL are kept.
    let up = false;
    child.stdout?.on("data", (chunk: Buffer) => {
      if (up) return;
      out += chunk.toString();
      const m = /^\{"url":"(http:\/\/[^"]+)","pid":\d+\}$/m.exec(out);
      if (m?.[1]) {
        up = true;
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`emulator process exited with ${code} before it was up:\n${out}`));
    });
  }).catch(async (err) => {
    killGroup(child, "SIGKILL");
    await exited;
    throw err;
  });

  const control = async <T>(method: string, p: string, body?: unknown): Promise<T> => {
    const res = await fetch(`${url}/_emulator${p}`, {
      method,
      headers: body === undefined ? {} : { "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (!res.ok) throw new Error(`emulator control ${method} ${p}: HTTP ${res.status} ${await res.text()}`);
    return (res.status === 204 ? undefined : await res.json()) as T;
  };
  const query = (api?: string) => (api === undefined ? "" : `?api=${encodeURIComponent(api)}`);

  return {
    url,
    child,
    listRequests: (api) => control("GET", `/requests${query(api)}`),
    maxRequestsInWindow: async (api, windowMs = 1000) =>
      (await control<{ max: number }>("GET", `/requests/max-in-window${query(api)}&windowMs=${windowMs}`)).max,
    listCards: () => control("GET", "/cards"),
    cardCreateCounts: () => control("GET", "/card-creates"),
    getInbox: (userId) => control("GET", `/inbox/${encodeURIComponent(userId)}`),
    setQpsLimit: (limit) => control("PUT", "/qps", { limit }),
    reset: () => control("POST", "/reset"),
    async stop(graceMs = 3000) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      killGroup(child, "SIGTERM");
      const timer = setTimeout(() => killGroup(child, "SIGKILL"), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Signals the child's process group (tsx may run the script in a grandchild). */
export function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // Already gone.
  }
}
