/*
 * Browser entry (bundled by the service at start, src/dashboard/dashboard-assets.ts): the digest's chart options
 * built in the page by the very module the server's PNG uses (src/flows/digest/digest-chart.ts), so the two
 * draw the same charts. The page hands it the digest JSON; amounts arrive as exact strings and become bigint
 * again here. Nothing in this file may import Node.
 */
import type { Digest } from "../../domain/digest-types.ts";
import { digestChartOptions } from "../../flows/digest/digest-chart.ts";

/** Every bigint field of a Digest, wherever it appears (figures, ranks, series). */
const BIGINT_FIELDS = new Set([
  "ytdActual",
  "ytdTarget",
  "periodActual",
  "periodTarget",
  "annualTarget",
  "projectedYearEnd",
  "requiredRunRate",
  "actual",
  "expected",
  "cumulativeActual",
  "cumulativeExpected",
]);

/** The digest JSON with its amounts as bigint again (the `bigintJson` middleware wrote them as strings). */
export function reviveDigest(json: unknown): Digest {
  const walk = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(walk);
    if (v === null || typeof v !== "object") return v;
    return Object.fromEntries(
      Object.entries(v).map(([k, x]) => [
        k,
        BIGINT_FIELDS.has(k) && typeof x === "string" && /^-?\d+$/.test(x) ? BigInt(x) : walk(x),
      ]),
    );
  };
  return walk(json) as Digest;
}

(globalThis as unknown as { dashboardCharts: unknown }).dashboardCharts = (json: unknown) =>
  digestChartOptions(reviveDigest(json));
