import type { AppDeps } from "../../app-deps.ts";
import type { Tx } from "../../db/database.ts";
import type { Digest } from "../../domain/digest-types.ts";
import type { Logger } from "../../lib/logger.ts";
import { digestChartOptions } from "./digest-chart.ts";
import { renderChartPng } from "./render-chart-png.ts";

/** A digest's chart, drawn and ready to queue. */
export interface DigestImage {
  png: Uint8Array;
  send(tx: Tx, a: { to: string; key: string }): Promise<boolean>;
}

/**
 * The chart that goes with a digest message: attainment by region / team, this period vs the last (issue #14),
 * drawn before the transaction that queues it (rendering takes tens of milliseconds). Null, logged with what to
 * install, when it cannot be drawn (no CJK font: the labels would be blank boxes) — the digest then goes out as
 * text alone rather than not at all.
 */
export async function digestChartPng(
  deps: Pick<AppDeps, "config" | "outbound">,
  digest: Digest,
  log: Logger,
): Promise<DigestImage | null> {
  try {
    const png = await renderChartPng(digestChartOptions(digest).attainment, { fontPath: deps.config.cjkFontPath });
    return { png, send: (tx, a) => deps.outbound.sendPng(tx, { ...a, png }) };
  } catch (err) {
    log.warn({ err }, "weekly digest chart could not be drawn; the digest goes out as text alone");
    return null;
  }
}
