import type { AppDeps } from "../../app-deps.ts";
import type { Tx } from "../../db/database.ts";
import type { Digest } from "../../domain/digest-types.ts";
import type { Logger } from "../../lib/logger.ts";

/** A digest's chart, drawn and ready to queue. */
export interface DigestImage {
  png: Uint8Array;
  send(tx: Tx, a: { to: string; key: string }): Promise<boolean>;
}

/**
 * The chart that goes with a digest message. Interim: the outbound port cannot send a PNG yet (the digest-chart
 * branch adds it), so the digest goes out as text alone.
 */
export async function digestChartPng(
  _deps: Pick<AppDeps, "config" | "outbound">,
  _digest: Digest,
  log: Logger,
): Promise<DigestImage | null> {
  log.warn("weekly digest chart: no image sending yet; the digest goes out as text alone");
  return null;
}
