/**
 * `npm run doctor`: checks the DingTalk configuration in the environment against the live API before the first
 * publish (src/doctor/run-doctor.ts). Exit code 0 when every check passes, 1 on any problem.
 */
import { ConfigError, loadConfig } from "../src/config.ts";
import { formatDoctorReport } from "../src/doctor/format-doctor-report.ts";
import { runDoctor } from "../src/doctor/run-doctor.ts";

async function main(): Promise<number> {
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig(process.env);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    console.log(
      `✗ 配置有误，服务也无法启动：\n${err.message}\n\n按上面每一行改好对应的环境变量后，再运行 npm run doctor。`,
    );
    return 1;
  }
  const report = await runDoctor({ config });
  console.log(formatDoctorReport(report));
  return report.ok ? 0 : 1;
}

process.exitCode = await main();
