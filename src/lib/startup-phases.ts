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
    phases: Record<string, { ms: number; cpuMs: number }>;
    totalMs: number;
    totalCpuMs: number;
  };
}

export function startupPhases(): StartupPhases {
  const marks: { phase: string; at: number; cpu: number }[] = [];
  const cpuMs = () => {
    const { user, system } = process.cpuUsage();
    return (user + system) / 1000;
  };
  return {
    mark(phase) {
      marks.push({ phase, at: performance.now(), cpu: cpuMs() });
    },
    summary() {
      const phases: Record<string, { ms: number; cpuMs: number }> = {};
      let at = 0;
      let cpu = 0;
      for (const m of marks) {
        phases[m.phase] = { ms: Math.round(m.at - at), cpuMs: Math.round(m.cpu - cpu) };
        at = m.at;
        cpu = m.cpu;
      }
      return {
        processStart: Math.round(performance.timeOrigin),
        phases,
        totalMs: Math.round(at),
        totalCpuMs: Math.round(cpu),
      };
    },
  };
}
