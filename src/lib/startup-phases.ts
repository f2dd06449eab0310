import { readFileSync } from "node:fs";

/**
 * Where a start's time went, phase by phase: wall-clock ms since the process started (performance.now() counts
 * from Node's time origin) and this process's CPU ms (user + system) at the end of each phase. Logged with
 * "target-bot is up" and read by `npm run bench:start`; CPU ms say what a phase costs on a machine busy with
 * other work, where wall-clock figures mostly measure the wait for a core.
 */
export interface StartupPhases {
  /** Ends the phase that ran since the previous mark (or since the process started) and names it. */
  mark(phase: string): void;
  /** Each phase's own wall and CPU ms, in order, and the totals since the process started. */
  summary(): {
    /** When the process started (ms since the epoch): what came before it (npm, a shell) is the launcher's. */
    processStart: number;
    phases: Record<string, { ms: number; cpuMs: number; mainCpuMs?: number }>;
    totalMs: number;
    totalCpuMs: number;
    totalMainCpuMs?: number;
  };
}

/**
 * CPU ms of this process's main thread alone (Linux: /proc, 10 ms ticks), else undefined. The process's CPU
 * includes V8's background threads (WebAssembly compiles, GC); the main thread's is what a start waits for when
 * a second core is free, and like all CPU figures it barely moves with the machine's load.
 */
function mainThreadCpuMs(): number | undefined {
  try {
    const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) * 10; // utime + stime, in ticks of 1/100 s
  } catch {
    return undefined;
  }
}

export function startupPhases(): StartupPhases {
  const marks: { phase: string; at: number; cpu: number; main: number | undefined }[] = [];
  const cpuMs = () => {
    const { user, system } = process.cpuUsage();
    return (user + system) / 1000;
  };
  return {
    mark(phase) {
      marks.push({ phase, at: performance.now(), cpu: cpuMs(), main: mainThreadCpuMs() });
    },
    summary() {
      const phases: Record<string, { ms: number; cpuMs: number; mainCpuMs?: number }> = {};
      let at = 0;
      let cpu = 0;
      let main = 0;
      for (const m of marks) {
        phases[m.phase] = {
          ms: Math.round(m.at - at),
          cpuMs: Math.round(m.cpu - cpu),
          ...(m.main === undefined ? {} : { mainCpuMs: m.main - main }),
        };
        at = m.at;
        cpu = m.cpu;
        main = m.main ?? 0;
      }
      const last = marks.at(-1)?.main;
      return {
        processStart: Math.round(performance.timeOrigin),
        phases,
        totalMs: Math.round(at),
        totalCpuMs: Math.round(cpu),
        ...(last === undefined ? {} : { totalMainCpuMs: last }),
      };
    },
  };
}
