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
 * The chart that goes with a digest message (attainment by region / team, this period vs the last), drawn
 * before the transaction that queues it (rendering takes ~0.3 s: bench:digest). Null, logged with what to
 * install, when it cannot be drawn (no CJK font: the labels would be blank boxes) — the digest then goes out as
 * text alone rather than not at all.
 */
export async function digestImage(
  deps: Pick<AppDeps, "config" | "outbound">,
  digest: Digest,
  log: Logger,
): Promise<DigestImage | null> {
  try {
    // Loaded at the first digest, not at start: ECharts and resvg take most of a second to load.
    const { digestChartPng } = await import("./render-chart-png.ts");
    const png = await digestChartPng(digest, { fontPath: deps.config.cjkFontPath });
    return { png, send: (tx, a) => deps.outbound.sendPng(tx, { ...a, png }) };
  } catch (err) {
    log.warn({ err }, "weekly digest chart could not be drawn; the digest goes out as text alone");
    return null;
  }
}
