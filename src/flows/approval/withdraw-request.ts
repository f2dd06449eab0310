import type { Tx } from "../../db/database.ts";
import { AppError } from "../../lib/errors.ts";
import type { Deps } from "./change-request-service.ts";
import { endRequest } from "./end-request.ts";
import { loadRequest, type RequestDetail } from "./request-detail.ts";

const ENDED = { APPROVED: "已审批通过", REJECTED: "已被驳回", STALE: "已失效", WITHDRAWN: "已撤回" } as const;

/**
 * Withdraws a pending request (「撤回申请」 in chat, or POST /api/change-requests/:id/cancel): only its requester
 * may, unless `byAdmin`; a decided or ended request cannot be. The approvers who had it are told.
 *
 * @throws AppError NOT_FOUND or CONFLICT, changing nothing
 */
export async function withdrawChangeRequest(
  deps: Deps,
  tx: Tx,
  a: { requestId: string; userId: string | null; at: Date },
): Promise<RequestDetail> {
  const d = await loadRequest(tx, a.requestId, { lock: true });
  if (!d) throw new AppError("NOT_FOUND", `调整申请 ${a.requestId} 不存在`);
  if (a.userId !== null && a.userId !== d.requester.userId) {
    throw new AppError("CONFLICT", `只有申请人${d.requester.name}可以撤回这项申请`);
  }
  if (d.request.status !== "PENDING") {
    throw new AppError("CONFLICT", `这项申请${ENDED[d.request.status]}，不能撤回`);
  }
  await endRequest(deps, tx, d, "WITHDRAWN", a.at);
  return (await loadRequest(tx, a.requestId))!;
}

/**
 * Requests whose requester has left the company (inactive in the directory) are withdrawn, and the approvers who
 * had them told: nobody is left to answer for them. Returns how many.
 */
export async function withdrawForLeavers(deps: Deps, tx: Tx, at: Date): Promise<number> {
  const rows = await tx.$queryRawUnsafe<{ id: string }[]>(
    `SELECT r.id FROM change_request r JOIN staff s ON s.user_id = r.requester_user_id
      WHERE r.status = 'PENDING' AND NOT s.active ORDER BY r.created_at, r.id`,
  );
  for (const { id } of rows) {
    const d = await loadRequest(tx, id, { lock: true });
    if (d?.request.status === "PENDING") await endRequest(deps, tx, d, "LEFT", at);
  }
  return rows.length;
}
