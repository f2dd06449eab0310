import {
  type EmulatorProcess,
  type EmulatorProcessOptions,
  spawnEmulatorProcess,
} from "../../src/dingtalk/emulator/spawn-emulator.ts";
import { TEST_EMULATOR_OPTIONS } from "../fixtures/dingtalk/emulator-app.ts";

export type { EmulatorProcess };

/**
 * The test emulator (the tests' app, the sales org, no pings or redelivery) in a process of its own, for tests
 * whose subject is several processes: its clock stamps then do not wait for the event loop of the code under
 * test. The caller stops it (`stop()` signals its whole process group).
 */
export function startEmulatorProcess(opts: Partial<EmulatorProcessOptions> = {}): Promise<EmulatorProcess> {
  return spawnEmulatorProcess({ ...TEST_EMULATOR_OPTIONS, ...opts });
}
