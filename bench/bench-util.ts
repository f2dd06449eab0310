import { spawn } from "node:child_process";
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
export async function runPerEngine(scriptUrl: string, args: string[] = []): Promise<void> {
  const serverUrl = process.env.BENCH_DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/postgres";
  for (const engine of engines(process.env.BENCH_ENGINES)) {
    let dbName: string | undefined;
    const env: Record<string, string> = { ...(process.env as Record<string, string>), BENCH_ENGINE: engine };
    if (engine === "postgres") {
      dbName = `tb_bench_${process.pid}`;
      await admin(serverUrl, `CREATE DATABASE ${dbName}`);
      const u = new URL(serverUrl);
      u.pathname = `/${dbName}`;
      env.BENCH_DB_URL = u.toString();
    }
    try {
      await new Promise<void>((resolve, reject) => {
        const child = spawn(process.execPath, ["--import", "tsx", fileURLToPath(scriptUrl), "--child", ...args], {
          env,
          stdio: "inherit",
        });
        child.once("exit", (code) => (code === 0 ? resolve() : reject(new Error(`${engine} run exited ${code}`))));
      });
    } finally {
      if (dbName) await admin(serverUrl, `DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
    }
  }
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
