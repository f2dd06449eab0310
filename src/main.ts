import { ConfigError, loadConfig } from "./config.ts";
import { createLogger } from "./lib/logger.ts";
import { startupPhases } from "./lib/startup-phases.ts";
import { startService } from "./start-service.ts";

/** Entry point: wires configuration, logging and the service together, and stops them cleanly on a signal. */
async function main(): Promise<void> {
  // Everything above (Node's own start, tsx when run through it, every module imported statically) is "modules".
  const phases = startupPhases();
  phases.mark("modules");
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\nThe service did not start. Fix the variables above and start it again.\n`);
      process.exit(2);
    }
    throw err;
  }
  // Readable text on a terminal, JSON lines otherwise (a container, a pipe, a log collector).
  const log = createLogger(config.logLevel, {}, { pretty: process.stdout.isTTY === true });
  const service = await startService({
    config,
    log,
    phases,
    ...(config.sandbox ? { sandbox: { demo: true } } : {}),
  });
  log.info(
    {
      url: service.url,
      db: service.deps.db.kind,
      mode: config.sandbox ? "sandbox" : "dingtalk",
      startup: phases.summary(),
    },
    "target-bot is up",
  );
  if (config.sandbox) {
    process.stdout.write(`\n  Sandbox: open ${service.url}/sandbox to act as any employee of the demo company.\n`);
  }
  if (config.adminTokenGenerated) {
    // Printed on purpose: in sandbox mode this is the only way to learn the generated token.
    process.stdout.write(
      `\n  Sandbox mode. Admin API token (set ADMIN_TOKEN to choose your own):\n  ${config.adminToken}\n\n`,
    );
  }

  const shutdown = (signal: string) => {
    log.info({ signal }, "shutting down: finishing in-flight requests");
    const force = setTimeout(() => {
      log.error("shutdown took longer than 10 s; exiting anyway");
      process.exit(1);
    }, 10_000);
    force.unref();
    service.stop().then(
      () => {
        log.info("stopped cleanly");
        process.exit(0);
      },
      (err) => {
        log.error({ err }, "error while shutting down");
        process.exit(1);
      },
    );
  };
  process.once("SIGTERM", shutdown);
  process.once("SIGINT", shutdown);
}

main().catch((err) => {
  process.stderr.write(`target-bot failed to start: ${(err as Error).stack ?? err}\n`);
  process.exit(1);
});
