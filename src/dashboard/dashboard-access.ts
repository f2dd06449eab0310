import { createHash } from "node:crypto";
import type { Config } from "../config.ts";
import type { Database, Tx } from "../db/database.ts";
import { issueDashboardToken, verifyDashboardToken } from "../flows/digest/dashboard-token.ts";
import { AppError } from "../lib/errors.ts";

/**
 * Who is looking at the dashboard, and what they may see (issue #14). A link's token names a person; their
 * scope is read from the org now, not from the token: the whole plan for a director or the plan's owner, else
 * everyone under them by the manager chain (a manager of two regions sees both). An admin link is signed under
 * a different key (derived from the dashboard secret), so no viewer token can ever pass for one, and it needs
 * no staff row.
 */
export type DashboardViewer =
  | { kind: "ADMIN" }
  | { kind: "STAFF"; userId: string; name: string; role: string; deptName: string };

/** How to get a new link: the one sentence every refusal ends with. */
export const NEW_LINK_HINT = "请在钉钉里对机器人说“看板”，获取新的看板链接。";

const refuse = (code: "UNAUTHORIZED" | "FORBIDDEN", why: string) => new AppError(code, `${why}${NEW_LINK_HINT}`);

/** The key admin links are signed with: never the viewers' key, so the two kinds cannot be mixed up. */
export function adminLinkSecret(config: Pick<Config, "dashboardSecret">): string {
  return createHash("sha256").update(`target-bot dashboard admin links\0${config.dashboardSecret}`).digest("hex");
}

/** An admin link's token, valid `hours` from `now` (short: it sees every plan and everyone). */
export function issueAdminDashboardToken(config: Pick<Config, "dashboardSecret">, now: Date, hours: number): string {
  return issueDashboardToken(adminLinkSecret(config), "admin", now, hours / 24);
}

/**
 * The viewer a token stands for, or a refusal: 401 without a token or with a bad, tampered or expired one,
 * 403 when its person is unknown or has left (their links stop working that day).
 */
export async function resolveViewer(
  deps: { config: Pick<Config, "dashboardSecret">; db: Database; now: () => Date },
  token: string | undefined,
): Promise<DashboardViewer> {
  if (!token) throw refuse("UNAUTHORIZED", "请从机器人发来的看板链接打开此页。");
  const now = deps.now();
  if (verifyDashboardToken(adminLinkSecret(deps.config), token, now).ok) return { kind: "ADMIN" };
  const check = verifyDashboardToken(deps.config.dashboardSecret, token, now);
  if (!check.ok) {
    throw refuse("UNAUTHORIZED", check.reason === "EXPIRED" ? "这个看板链接已过期。" : "这个看板链接无效或不完整。");
  }
  const staff = await deps.db.prisma.staff.findUnique({
    where: { userId: check.claims.userId },
    include: { dept: { select: { name: true } } },
  });
  if (!staff) throw refuse("FORBIDDEN", "这个链接所属的人员不在通讯录中。");
  if (!staff.active) throw refuse("FORBIDDEN", "这个链接所属的人员已离职，链接已停用。");
  return { kind: "STAFF", userId: staff.userId, name: staff.name, role: staff.role, deptName: staff.dept.name };
}

/** A viewer's scope in one plan: `null` = everything, else the user ids they may see (themselves included). */
export type Scope = ReadonlySet<string> | null;

export async function viewerScope(tx: Tx, viewer: DashboardViewer, plan: { ownerUserId: string }): Promise<Scope> {
  if (viewer.kind === "ADMIN" || viewer.role === "DIRECTOR" || viewer.userId === plan.ownerUserId) return null;
  const rows = await tx.$queryRawUnsafe<{ user_id: string }[]>(
    `WITH RECURSIVE sub AS (
       SELECT user_id, ARRAY[user_id] AS seen FROM staff WHERE user_id = $1
       UNION ALL
       SELECT s.user_id, sub.seen || s.user_id FROM staff s JOIN sub ON s.manager_user_id = sub.user_id
        WHERE NOT (s.user_id = ANY(sub.seen))
     )
     SELECT DISTINCT user_id FROM sub`,
    viewer.userId,
  );
  return new Set(rows.map((r) => r.user_id));
}

export const inScope = (scope: Scope, userId: string | null | undefined): boolean =>
  scope === null || (!!userId && scope.has(userId));

/** The refusal for a person or a part of the plan outside the viewer's scope. */
export const outOfScope = () =>
  new AppError("FORBIDDEN", "你只能查看自己和下属的数据。如需查看其他团队，请联系其上级或计划负责人。");

/** The published plans a viewer may open: all of them for an admin or a director, else those they or theirs own targets in. */
export async function visiblePlans(db: Database, viewer: DashboardViewer) {
  const plans = await db.prisma.plan.findMany({
    where: { status: "PUBLISHED" },
    orderBy: [{ fiscalYear: "desc" }, { createdAt: "asc" }],
  });
  if (viewer.kind === "ADMIN" || viewer.role === "DIRECTOR") return plans;
  const out: typeof plans = [];
  for (const plan of plans) {
    if (plan.ownerUserId === viewer.userId) {
      out.push(plan);
      continue;
    }
    const scope = await viewerScope(db.prisma, viewer, plan);
    const owned = await db.prisma.target.count({
      where: { planId: plan.id, state: { not: "ARCHIVED" }, ownerUserId: { in: [...(scope ?? [])] } },
    });
    if (owned > 0) out.push(plan);
  }
  return out;
}
