import { spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import pg from "pg";

/** Peak resident set size of this process so far, in MB (ru_maxrss is in KB on Linux). */
export function peakRssMb(): number {
  return Math.round(process.resourceUsage().maxRSS / 1024);
}

export async function timed<T>(fn: () => Promise<T>): Promise<{ result: T; seconds: number }> {
  const t0 = performance.now();
  const result = await fn();
  return { result, seconds: (performance.now() - t0) / 1000 };
}

/**
 * Runs `script` once per engine in a child process (so peak RSS is per engine), passing the engine and, for
 * PostgreSQL, a fresh database that is dropped afterwards. The child prints its own figures.
 * `BENCH_ENGINES=postgres` (or `pglite`) runs one engine only.
 */
export async function runPerEngine(
  scriptUrl: string,
  args: string[] = [],
  /**
   * memory: PGlite in a data directory on disk that a process of its own created, and the floor
   * (BENCH_FLOOR_RSS_MB, BENCH_FRESH_RSS_MB) measured before the child runs; see {@link peakRssText}.
   */
  opts: { memory?: boolean } = {},
): Promise<void> {
  const serverUrl = process.env.BENCH_DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/postgres";
  for (const engine of engines(process.env.BENCH_ENGINES)) {
    let dbName: string | undefined;
    let pgliteDir: string | undefined;
    const env: Record<string, string> = { ...(process.env as Record<string, string>), BENCH_ENGINE: engine };
    if (engine === "postgres") {
      dbName = `tb_bench_${process.pid}`;
      await admin(serverUrl, `CREATE DATABASE ${dbName}`);
      const u = new URL(serverUrl);
      u.pathname = `/${dbName}`;
      env.BENCH_DB_URL = u.toString();
    }
    try {
      if (opts.memory && engine === "pglite") {
        // The data directory is created (initdb) and migrated in a process of its own, as the service's first
        // start does; the floor and the bench child then open it as every later start does.
        pgliteDir = await mkdtemp(path.join(tmpdir(), "tb-bench-pglite-"));
        env.BENCH_PGLITE_DIR = pgliteDir;
        await runChild(FLOOR_SCRIPT, ["--init"], env, "pglite init");
        env.BENCH_FRESH_RSS_MB = await floorChild({ ...env, BENCH_PGLITE_DIR: "memory://" });
      } else if (opts.memory) {
        await runChild(FLOOR_SCRIPT, ["--init"], env, "postgres init");
      }
      if (opts.memory) env.BENCH_FLOOR_RSS_MB = await floorChild(env);
      await runChild(fileURLToPath(scriptUrl), ["--child", ...args], env, `${engine} run`);
    } finally {
      if (dbName) await admin(serverUrl, `DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
      if (pgliteDir) await rm(pgliteDir, { recursive: true, force: true });
    }
  }
}

const FLOOR_SCRIPT = fileURLToPath(new URL("./database-floor.ts", import.meta.url));

function runChild(script: string, args: string[], env: Record<string, string>, what: string, out?: string[]) {
  return new Promise<void>((resolve, reject) => {
    // BENCH_CPU_PROF=<dir>: the child writes a V8 CPU profile per thread there (--cpu-prof is refused in NODE_OPTIONS).
    const prof = process.env.BENCH_CPU_PROF ? ["--cpu-prof", `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : [];
    const child = spawn(process.execPath, [...prof, "--import", "tsx", script, ...args], {
      env,
      stdio: out ? ["ignore", "pipe", "inherit"] : "inherit",
    });
    child.stdout?.on("data", (d: Buffer) => out?.push(d.toString()));
    child.once("exit", (code) => (code === 0 ? resolve() : reject(new Error(`${what} exited ${code}`))));
  });
}

/** Peak RSS (MB) of a process that only opens (and migrates) the bench's database, as text. */
async function floorChild(env: Record<string, string>): Promise<string> {
  const out: string[] = [];
  await runChild(FLOOR_SCRIPT, [], env, "database floor", out);
  return out.join("").trim();
}

/**
 * The peak RSS line of a bench child: the figure, the floor (a process that opened the same database and
 * loaded nothing) and their difference; for PGlite on disk also a fresh in-memory PGlite's peak (opened as the
 * service opens a fresh data dir — unpacked from the migrated template, initdb only when there is none: what
 * the first start of the service, or a test, costs).
 */
export function peakRssText(peak = peakRssMb()): string {
  const floor = Number(process.env.BENCH_FLOOR_RSS_MB);
  const fresh = process.env.BENCH_FRESH_RSS_MB;
  const what =
    process.env.BENCH_ENGINE === "postgres"
      ? "a process that opened the database and loaded nothing"
      : "bare PGlite: the existing data directory opened, nothing loaded";
  return (
    `peak RSS ${peak} MB (floor ${floor} MB, ${what}; work +${peak - floor} MB` +
    `${fresh ? `; a fresh in-memory PGlite alone, from the template: ${fresh} MB` : ""})`
  );
}

/** The bench child's PGlite directory: the on-disk one runPerEngine prepared, or a throw-away in-memory one. */
export function benchPgliteDir(): string {
  return process.env.BENCH_PGLITE_DIR ?? "memory://";
}

async function admin(url: string, sql: string): Promise<void> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    await c.query(sql);
  } finally {
    await c.end();
  }
}

function engines(list: string | undefined): ("pglite" | "postgres")[] {
  const all = ["pglite", "postgres"] as const;
  if (!list) return [...all];
  const chosen = all.filter((e) => list.split(",").includes(e));
  if (chosen.length === 0) throw new Error(`BENCH_ENGINES=${list}: expected pglite, postgres or both`);
  return chosen;
}

/** A target card's create body as the outbox sends it, for the fan-out benches: card `i` of N to rep `i % recipients`. */
export function benchCard(id: string, i: number, recipients: number, robotCode: string) {
  const userId = `rep${i % recipients}`;
  return {
    cardTemplateId: "target-card.schema",
    outTrackId: id,
    callbackType: "STREAM",
    cardData: { cardParamMap: { title: "2026年度销售目标", amount: String(1_000_000 + i) } },
    openSpaceId: `dtv1.card//IM_ROBOT.${userId}`,
    imRobotOpenSpaceModel: { supportForward: false },
    imRobotOpenDeliverModel: { spaceType: "IM_ROBOT", robotCode },
  };
}
