import type { DoctorReport } from "./doctor-check.ts";

const MARK = { ok: "✓", problem: "✗", skipped: "-" } as const;

/** The report as the terminal shows it: one line per check, each problem followed by its fix. */
export function formatDoctorReport(report: DoctorReport): string {
  const lines = ["钉钉配置检查（npm run doctor）", ""];
  for (const c of report.checks) {
    lines.push(`${MARK[c.status]} ${c.title}：${c.detail}`);
    if (c.status === "problem" && c.fix) {
      const vars = c.envVars.length > 0 ? `（${c.envVars.join(" / ")}）` : "";
      lines.push(`    修复${vars}：${c.fix}`);
    }
  }
  const problems = report.checks.filter((c) => c.status === "problem").length;
  lines.push(
    "",
    report.ok
      ? "全部通过：可以启动服务并向试点团队发布第一份目标（docs/dingtalk-setup.md 第 7 步）。"
      : `发现 ${problems} 个问题：按上面的「修复」改好环境变量后，再运行 npm run doctor。`,
  );
  return lines.join("\n");
}
