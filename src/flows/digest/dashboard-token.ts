import { createHmac, timingSafeEqual } from "node:crypto";

/**
 * Dashboard links (issue #14): `/dashboard?t=<token>` where the token names the viewer and when it expires,
 * signed with HMAC-SHA256 under the dashboard secret. The token carries no scope: the viewer's subtree is read
 * from the manager chain when the page is opened, so a link follows reorganisations and stops working the day
 * its viewer leaves (the viewer is no longer active).
 *
 * Format: base64url(JSON {v, u, e}) "." base64url(mac) — v = 1, u = user id, e = expiry (Unix seconds).
 */
export interface DashboardClaims {
  userId: string;
  expiresAt: Date;
}

export type TokenCheck =
  | { ok: true; claims: DashboardClaims }
  | { ok: false; reason: "MALFORMED" | "BAD_SIGNATURE" | "EXPIRED" };

const mac = (secret: string, payload: string) => createHmac("sha256", secret).update(payload).digest("base64url");

function signDashboardToken(secret: string, claims: DashboardClaims): string {
  const payload = Buffer.from(
    JSON.stringify({ v: 1, u: claims.userId, e: Math.floor(claims.expiresAt.getTime() / 1000) }),
  ).toString("base64url");
  return `${payload}.${mac(secret, payload)}`;
}

/** A fresh link's token for `userId`, valid `days` from `now`. */
export function issueDashboardToken(secret: string, userId: string, now: Date, days: number): string {
  return signDashboardToken(secret, { userId, expiresAt: new Date(now.getTime() + days * 86_400_000) });
}

export function verifyDashboardToken(secret: string, token: string, now: Date): TokenCheck {
  const m = /^([A-Za-z0-9_-]{1,2048})\.([A-Za-z0-9_-]{43})$/.exec(token);
  if (!m) return { ok: false, reason: "MALFORMED" };
  const [, payload, sig] = m as unknown as [string, string, string];
  const want = Buffer.from(mac(secret, payload));
  const got = Buffer.from(sig);
  if (want.length !== got.length || !timingSafeEqual(want, got)) return { ok: false, reason: "BAD_SIGNATURE" };
  let body: unknown;
  try {
    body = JSON.parse(Buffer.from(payload, "base64url").toString("utf8"));
  } catch {
    return { ok: false, reason: "MALFORMED" };
  }
  const b = body as { v?: unknown; u?: unknown; e?: unknown };
  if (b.v !== 1 || typeof b.u !== "string" || b.u === "" || typeof b.e !== "number" || !Number.isFinite(b.e)) {
    return { ok: false, reason: "MALFORMED" };
  }
  const expiresAt = new Date(b.e * 1000);
  if (expiresAt.getTime() <= now.getTime()) return { ok: false, reason: "EXPIRED" };
  return { ok: true, claims: { userId: b.u, expiresAt } };
}
