import type { AppDeps } from "../app-deps.ts";
import type { Digest } from "../domain/digest-types.ts";
import { AppError } from "../lib/errors.ts";

/** The digest the page draws: the viewer's scope (`viewerUserId`, none for an admin) of one plan and period. */
export async function loadDashboardDigest(
  _deps: AppDeps,
  _a: { planId: string; period: string; viewerUserId: string | undefined },
): Promise<{ digest: Digest }> {
  throw new AppError("INTERNAL", "digest not wired yet");
}
