import type { AppDeps } from "../app-deps.ts";
import type { Digest } from "../domain/digest-types.ts";
import { loadDigest } from "../flows/digest/index.ts";

/**
 * The digest the page draws: the viewer's scope (`viewerUserId`, none for an admin) of one plan and period —
 * the very digest `GET /api/plans/:id/digest` answers and the weekly message is written from.
 */
export async function loadDashboardDigest(
  deps: Pick<AppDeps, "db" | "calendar" | "now">,
  a: { planId: string; period: string; viewerUserId: string | undefined },
): Promise<{ digest: Digest }> {
  const digest = await loadDigest(deps.db.sql, {
    planId: a.planId,
    period: a.period,
    ...(a.viewerUserId === undefined ? {} : { viewerUserId: a.viewerUserId }),
    calendar: deps.calendar,
    now: deps.now(),
  });
  return { digest };
}
