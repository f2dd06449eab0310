import { ControlError } from "./api-errors.ts";
import type { EmulatorCore } from "./emulator-core.ts";
import { resolveApp } from "./send-text.ts";

/**
 * Pushes a CALLBACK frame on `topic` with any `data` object, as is (tests of malformed or unusual payloads).
 * Not redelivered; the push is tracked like any other (`waitForAck`, `listPushes`). Returns its messageId.
 */
export function pushRaw(core: EmulatorCore, topic: string, data: Record<string, unknown>, clientId?: string): string {
  const app = resolveApp(core, clientId);
  const pushed = core.pushes.push({ clientId: app.clientId, topic, data, redeliver: false });
  if (!pushed) throw new ControlError(409, `no connection subscribed to ${topic}`);
  return pushed.record.messageId;
}
