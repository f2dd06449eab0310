import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { issueDashboardToken, verifyDashboardToken } from "../../src/flows/digest/dashboard-token.ts";

const SECRET = "a-dashboard-secret-of-some-length";
const NOW = new Date("2026-12-07T05:00:00Z");

describe("dashboard link tokens", () => {
  it("a fresh token names its viewer until it expires, and not a second longer", () => {
    const token = issueDashboardToken(SECRET, "u-zhang", NOW, 7);
    const ok = verifyDashboardToken(SECRET, token, new Date(NOW.getTime() + 7 * 86_400_000 - 1000));
    expect(ok).toEqual({
      ok: true,
      claims: { userId: "u-zhang", expiresAt: new Date(NOW.getTime() + 7 * 86_400_000) },
    });
    expect(verifyDashboardToken(SECRET, token, new Date(NOW.getTime() + 7 * 86_400_000))).toEqual({
      ok: false,
      reason: "EXPIRED",
    });
  });

  it("another secret, a changed viewer or expiry, or a changed signature is refused", () => {
    const token = issueDashboardToken(SECRET, "u-zhang", NOW, 7);
    expect(verifyDashboardToken("another-secret-of-some-length", token, NOW)).toMatchObject({
      reason: "BAD_SIGNATURE",
    });
    const [payload, sig] = token.split(".") as [string, string];
    const body = JSON.parse(Buffer.from(payload, "base64url").toString());
    for (const forged of [
      { ...body, u: "u-director" },
      { ...body, e: body.e + 86_400 * 365 },
    ]) {
      const p = Buffer.from(JSON.stringify(forged)).toString("base64url");
      expect(verifyDashboardToken(SECRET, `${p}.${sig}`, NOW)).toMatchObject({ ok: false, reason: "BAD_SIGNATURE" });
    }
    const flipped = `${payload}.${sig[0] === "A" ? "B" : "A"}${sig.slice(1)}`;
    expect(verifyDashboardToken(SECRET, flipped, NOW)).toMatchObject({ ok: false, reason: "BAD_SIGNATURE" });
  });

  it("garbage, empty viewers and a signed payload of the wrong shape are malformed, never a crash", () => {
    for (const t of ["", ".", "abc", "a.b", `${"x".repeat(5000)}.${"y".repeat(43)}`, "a\u0000b.c"]) {
      expect(verifyDashboardToken(SECRET, t, NOW)).toEqual({ ok: false, reason: "MALFORMED" });
    }
    // A payload that is not JSON, or JSON of the wrong shape, under a valid signature: malformed.
    for (const raw of ["not json", JSON.stringify({ v: 1, u: "", e: 1 }), JSON.stringify({ v: 2, u: "x", e: 9e9 })]) {
      const p = Buffer.from(raw).toString("base64url");
      const sig = createHmac("sha256", SECRET).update(p).digest("base64url");
      expect(verifyDashboardToken(SECRET, `${p}.${sig}`, NOW)).toEqual({ ok: false, reason: "MALFORMED" });
    }
  });
});
