/**
 * The emulator as a process of its own: `tsx src/dingtalk/emulator/main.ts --options '<json>'`.
 * Tests and benchmarks run it apart from the processes under test, so that their event-loop stalls do not delay
 * the emulator's clock stamps (which is what its QPS limit and request log judge). The options are
 * {@link EmulatorOptions} as JSON (apps, qpsLimit, port, staff, timings). Prints one JSON line
 * `{"url":"http://127.0.0.1:<port>","pid":<pid>}` once listening; stops on SIGTERM / SIGINT, and with
 * `--stop-with-stdin` also when its stdin closes (its parent died), so it never outlives a crashed test.
 */
import { parseArgs } from "node:util";
import { z } from "zod";
import { createLogger } from "../../lib/logger.ts";
import type { EmulatorOptions } from "./emulator-types.ts";
import { startEmulator } from "./start-emulator.ts";

const ZOptions = z
  .object({
    apps: z
      .array(
        z.object({ clientId: z.string().min(1), clientSecret: z.string().min(1), robotCode: z.string().optional() }),
      )
      .min(1),
    port: z.number().int().min(0).max(65535).optional(),
    host: z.string().optional(),
    qpsLimit: z.number().int().positive().nullable().optional(),
    logLevel: z.string().default("warn"),
  })
  .passthrough();

const { values } = parseArgs({
  options: { options: { type: "string" }, "stop-with-stdin": { type: "boolean" } },
});
const parsed = ZOptions.safeParse(JSON.parse(values.options ?? "{}"));
if (!parsed.success) {
  process.stderr.write(`emulator: bad --options: ${z.prettifyError(parsed.error)}\n`);
  process.exit(2);
}
const { logLevel, ...opts } = parsed.data;
const emulator = await startEmulator({ ...(opts as EmulatorOptions), log: createLogger(logLevel) });
process.stdout.write(`${JSON.stringify({ url: emulator.url, pid: process.pid })}\n`);

let stopping = false;
const stop = () => {
  if (stopping) return;
  stopping = true;
  emulator.close().then(
    () => process.exit(0),
    () => process.exit(1),
  );
};
process.once("SIGTERM", stop);
process.once("SIGINT", stop);
if (values["stop-with-stdin"]) {
  process.stdin.on("end", stop);
  process.stdin.on("close", stop);
  process.stdin.resume();
}
