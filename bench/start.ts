/**
 * bench:start — time from spawning the service to its first `/healthz` 200, the way a user starts it: `npm start`
 * (tsx, sandbox mode with the demo company) and `npm run start:prod` (the bundle `npm run build` wrote; the
 * script builds it first). For each: a fresh data dir and an existing one (already migrated and seeded) on the
 * embedded PGlite, and a fresh database and an existing one on PostgreSQL (BENCH_PG_URL, default the local
 * server; skipped when it does not answer). Median of 5 (BENCH_RUNS). Engines: `--engine pglite|postgres`.
 *
 * Floors, measured in the same run on the same port: `node -e` with a bare HTTP server answering 200 (what any
 * Node service pays to be spawned and listen), and — the larger part on PGlite — a bare `PGlite.create()` of a
 * fresh and of an existing folder in a child process (the embedded database's own start, before any query).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import pg from "pg";

const { values } = parseArgs({ options: { engine: { type: "string" } } });
const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const PORT = Number(process.env.BENCH_PORT ?? 3931);
const PG_URL = process.env.BENCH_PG_URL ?? "postgresql://postgres@127.0.0.1:5432/postgres";
const ROOT = path.resolve(import.meta.dirname, "..");
const engines = values.engine ? [values.engine] : ["pglite", "postgres"];

/** A data dir removed after a run: npm may exit before the service has finished closing its database in it. */
const removeDir = (dir: string) => rm(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;
const sec = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

/** The service's own account of its start, logged with "target-bot is up" (src/lib/startup-phases.ts). */
interface StartupLog {
  processStart: number;
  phases: Record<string, { ms: number; cpuMs: number; mainCpuMs?: number }>;
  totalMs: number;
  totalCpuMs: number;
  totalMainCpuMs?: number;
}

/** One start: spawn → /healthz 200, spawn → "target-bot is up" (stream connected), and the service's phases. */
interface StartRun {
  ms: number;
  upMs: number;
  /** Spawn → the service's process started (npm, its shell, a launcher). */
  launchMs: number;
  /** The service's own listen point → the first /healthz 200 the bench got (waiting behind work after listen). */
  afterListenMs: number;
  startup: StartupLog;
}

/** Spawns `cmd` in its own process group and resolves with the ms until GET url answers 200. */
async function timeToHealthy(
  cmd: string[],
  env: Record<string, string>,
  url: string,
): Promise<{ ms: number; spawnedAt: number; child: ChildProcess; stdout: () => string }> {
  const spawnedAt = Date.now();
  const started = performance.now();
  const child = spawn(cmd[0] as string, cmd.slice(1), {
    cwd: ROOT,
    env: { ...process.env, ...env },
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  let stdout = "";
  child.stderr?.on("data", (d) => {
    stderr += d;
  });
  child.stdout?.on("data", (d) => {
    stdout += d;
  });
  let exited = false;
  child.once("exit", () => {
    exited = true;
  });
  for (;;) {
    if (exited) throw new Error(`${cmd.join(" ")} exited before answering:\n${stderr}`);
    try {
      const res = await fetch(url);
      await res.arrayBuffer();
      if (res.status === 200) return { ms: performance.now() - started, spawnedAt, child, stdout: () => stdout };
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** SIGTERM to the group (npm, its shell, node), then waits: the service finishes seeding before it exits. */
async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once("exit", r));
  process.kill(-(child.pid as number), "SIGTERM");
  await exited;
  // npm may exit before its node child: wait until nothing answers on the port.
  for (;;) {
    try {
      await fetch(`http://127.0.0.1:${PORT}/healthz`);
      await new Promise((r) => setTimeout(r, 50));
    } catch {
      return;
    }
  }
}

/** Starts the service, waits for /healthz 200 and then for its "target-bot is up" line, and stops it. */
async function startOnce(cmd: string[], env: Record<string, string>): Promise<StartRun> {
  const { ms, spawnedAt, child, stdout } = await timeToHealthy(cmd, env, `http://127.0.0.1:${PORT}/healthz`);
  let up: { time: number; startup: StartupLog } | undefined;
  for (let waited = 0; !up && waited < 60_000; waited += 20) {
    const line = stdout()
      .split("\n")
      .find((l) => l.includes('"msg":"target-bot is up"'));
    if (line) up = JSON.parse(line);
    else await new Promise((r) => setTimeout(r, 20));
  }
  await stop(child);
  if (!up) throw new Error(`${cmd.join(" ")} answered /healthz but never logged "target-bot is up"`);
  const launchMs = up.startup.processStart - spawnedAt;
  const listenAt = Object.entries(up.startup.phases).reduce(
    (at, [phase, p]) => (at.done ? at : { ms: at.ms + p.ms, done: phase === "listen" }),
    { ms: 0, done: false },
  ).ms;
  return {
    ms,
    upMs: up.time - spawnedAt,
    launchMs,
    afterListenMs: ms - launchMs - listenAt,
    startup: up.startup,
  };
}

async function floorHttp(): Promise<number> {
  const code = `require("node:http").createServer((q, s) => s.end("ok")).listen(${PORT}, "127.0.0.1")`;
  const { ms, child } = await timeToHealthy([process.execPath, "-e", code], {}, `http://127.0.0.1:${PORT}/healthz`);
  await stop(child);
  return ms;
}

/**
 * Two lines under a figure: the medians of the service's phases (wall ms / CPU ms of the service's process /
 * CPU ms of its main thread alone, where the system reports it; CPU ms barely move with the machine's load,
 * wall ms do; the process's CPU includes V8's background threads — WebAssembly tier-up, GC — which a second
 * core runs beside the main thread), and where the rest of spawn → /healthz 200 went.
 */
function phaseLines(runs: StartRun[]): string[] {
  const first = runs[0];
  if (!first) return [];
  const triple = (pick: (r: StartRun) => { ms: number; cpuMs: number; mainCpuMs?: number } | undefined) => {
    const wall = median(runs.map((r) => pick(r)?.ms ?? Number.NaN));
    const cpu = median(runs.map((r) => pick(r)?.cpuMs ?? Number.NaN));
    const main = median(runs.map((r) => pick(r)?.mainCpuMs ?? Number.NaN));
    return `${Math.round(wall)}/${Math.round(cpu)}${Number.isNaN(main) ? "" : `/${Math.round(main)}`}`;
  };
  const phases = Object.keys(first.startup.phases).map((name) => `${name} ${triple((r) => r.startup.phases[name])}`);
  const total = triple((r) => ({
    ms: r.startup.totalMs,
    cpuMs: r.startup.totalCpuMs,
    ...(r.startup.totalMainCpuMs === undefined ? {} : { mainCpuMs: r.startup.totalMainCpuMs }),
  }));
  return [
    `    phases, wall/CPU/main-thread CPU ms: ${phases.join(" · ")} · total ${total}`,
    `    spawn → process ${Math.round(median(runs.map((r) => r.launchMs)))} ms · listen → first /healthz 200 ${Math.round(median(runs.map((r) => r.afterListenMs)))} ms · spawn → "up" (stream connected) ${sec(median(runs.map((r) => r.upMs)))}`,
  ];
}

async function floorPglite(dir: string): Promise<number> {
  const code = `const t = performance.now(); const { PGlite } = await import("@electric-sql/pglite");
    const p = await PGlite.create(${JSON.stringify(dir)}); await p.query("SELECT 1");
    process.stdout.write(String(performance.now() - t)); await p.close();`;
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, ["--input-type=module", "-e", code], { cwd: ROOT });
    child.stdout.resume();
    child.once("exit", (status) =>
      status === 0 ? resolve(performance.now() - started) : reject(new Error("PGlite floor failed")),
    );
  });
}

async function pgAnswers(): Promise<boolean> {
  const c = new pg.Client({ connectionString: PG_URL });
  try {
    await c.connect();
    await c.end();
    return true;
  } catch {
    return false;
  }
}

async function withPgDatabase<T>(fn: (url: string) => Promise<T>): Promise<T> {
  const name = `tb_bench_start_${process.pid}_${Math.floor(Math.random() * 1e9)}`;
  const admin = new pg.Client({ connectionString: PG_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  const url = new URL(PG_URL);
  url.pathname = `/${name}`;
  try {
    return await fn(url.toString());
  } finally {
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.end();
  }
}

const COMMANDS: Record<string, string[]> = {
  "npm start": ["npm", "start", "--silent"],
  "npm run start:prod": ["npm", "run", "start:prod", "--silent"],
};

async function main(): Promise<void> {
  console.log(`bench:start — spawn to first /healthz 200, median of ${RUNS}`);
  await new Promise<void>((resolve, reject) =>
    spawn("npm", ["run", "build", "--silent"], { cwd: ROOT, stdio: "inherit" }).once("exit", (c) =>
      c === 0 ? resolve() : reject(new Error("npm run build failed")),
    ),
  );
  // info: the "target-bot is up" line carries the service's phases (the demo's and scheduler's lines come too).
  const base = { PORT: String(PORT), LOG_LEVEL: "info" };
  // Printed as each figure is ready (a whole run takes minutes).
  const rows = { push: (...lines: string[]) => console.log(lines.join("\n")) };
  const floor: number[] = [];
  for (let i = 0; i < RUNS; i++) floor.push(await floorHttp());
  rows.push(`floor: bare node -e HTTP server on the same port    ${sec(median(floor))}`);
  for (const engine of engines) {
    if (engine === "pglite") {
      const pgFresh: number[] = [];
      const pgExisting: number[] = [];
      for (let i = 0; i < RUNS; i++) {
        const dir = await mkdtemp(path.join(tmpdir(), "tb-bench-start-"));
        pgFresh.push(await floorPglite(path.join(dir, "pglite")));
        pgExisting.push(await floorPglite(path.join(dir, "pglite")));
        await removeDir(dir);
      }
      rows.push(`floor: bare PGlite.create, fresh folder               ${sec(median(pgFresh))}`);
      rows.push(`floor: bare PGlite.create, existing folder            ${sec(median(pgExisting))}`);
      for (const [name, cmd] of Object.entries(COMMANDS)) {
        const fresh: StartRun[] = [];
        const existing: StartRun[] = [];
        for (let i = 0; i < RUNS; i++) {
          const dir = await mkdtemp(path.join(tmpdir(), "tb-bench-start-"));
          const env = { ...base, DATA_DIR: dir };
          fresh.push(await startOnce(cmd, env));
          existing.push(await startOnce(cmd, env));
          await removeDir(dir);
        }
        rows.push(
          `${name.padEnd(19)} pglite   fresh dir    ${sec(median(fresh.map((r) => r.ms)))}   (floor ${sec(median(floor))} + PGlite ${sec(median(pgFresh))})`,
          ...phaseLines(fresh),
        );
        rows.push(
          `${name.padEnd(19)} pglite   existing dir ${sec(median(existing.map((r) => r.ms)))}   (floor ${sec(median(floor))} + PGlite ${sec(median(pgExisting))})`,
          ...phaseLines(existing),
        );
      }
    } else {
      if (!(await pgAnswers())) {
        rows.push(`postgres: skipped, nothing answers at ${PG_URL}`);
        continue;
      }
      for (const [name, cmd] of Object.entries(COMMANDS)) {
        const fresh: StartRun[] = [];
        const existing: StartRun[] = [];
        for (let i = 0; i < RUNS; i++) {
          await withPgDatabase(async (url) => {
            const dir = await mkdtemp(path.join(tmpdir(), "tb-bench-start-"));
            const env = { ...base, DATA_DIR: dir, DATABASE_URL: url };
            fresh.push(await startOnce(cmd, env));
            existing.push(await startOnce(cmd, env));
            await removeDir(dir);
          });
        }
        rows.push(
          `${name.padEnd(19)} postgres fresh db     ${sec(median(fresh.map((r) => r.ms)))}   (floor ${sec(median(floor))})`,
          ...phaseLines(fresh),
        );
        rows.push(
          `${name.padEnd(19)} postgres existing db  ${sec(median(existing.map((r) => r.ms)))}   (floor ${sec(median(floor))})`,
          ...phaseLines(existing),
        );
      }
    }
  }
}

await main();
