import { readFile } from "node:fs/promises";
import type { Database } from "../src/db/database.ts";

/**
 * CPU time spent between `start()` and `stop()` — load-independent where a wall-clock figure is not: this
 * process (all its threads: the service, and in bench:inbound the emulator's worker too) by process.cpuUsage,
 * and on PostgreSQL the server backends connected to this database (utime + stime from /proc/<pid>/stat, the
 * backends found in pg_stat_activity at start and at stop; a backend that came and went in between is missed).
 */
export interface CpuMeter {
  stop(): Promise<{ processMs: number; databaseMs: number | null }>;
}

export async function startCpuMeter(db: Database): Promise<CpuMeter> {
  const before = process.cpuUsage();
  const backendsBefore = await backendCpu(db);
  return {
    async stop() {
      const used = process.cpuUsage(before);
      const backendsAfter = await backendCpu(db);
      let databaseMs: number | null = null;
      if (backendsBefore && backendsAfter) {
        databaseMs = 0;
        for (const [pid, ms] of backendsAfter) databaseMs += ms - (backendsBefore.get(pid) ?? 0);
      }
      return { processMs: (used.user + used.system) / 1000, databaseMs };
    },
  };
}

/** Per backend pid of this database: its CPU time so far in ms; null on PGlite or where /proc is not readable. */
async function backendCpu(db: Database): Promise<Map<number, number> | null> {
  if (db.kind !== "postgres") return null;
  const rows = await db.sql.query<{ pid: number }>(
    "SELECT pid FROM pg_stat_activity WHERE datname = current_database()",
  );
  const tick = 1000 / 100; // USER_HZ is 100 on Linux
  const cpu = new Map<number, number>();
  for (const { pid } of rows) {
    try {
      const stat = await readFile(`/proc/${pid}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      cpu.set(pid, (Number(fields[11]) + Number(fields[12])) * tick);
    } catch {
      return null;
    }
  }
  return cpu;
}

/** "12.3 ms per push (service process 9.1 + PostgreSQL 3.2)". */
export function cpuPerPush(cpu: { processMs: number; databaseMs: number | null }, pushes: number): string {
  const per = (ms: number) => (ms / pushes).toFixed(2);
  const db = cpu.databaseMs === null ? "" : ` + database backends ${per(cpu.databaseMs)}`;
  return `${per(cpu.processMs + (cpu.databaseMs ?? 0))} ms per push (this process ${per(cpu.processMs)}${db})`;
}
