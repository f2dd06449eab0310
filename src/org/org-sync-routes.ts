import type Router from "@koa/router";
import { z } from "zod";
import type { AppDeps } from "../app-deps.ts";
import { createDirectoryClient, type DirectoryClient } from "../dingtalk/directory-client.ts";
import { createLegacyTokenSource } from "../dingtalk/legacy-token.ts";
import { parseOrThrow } from "../http/validate.ts";
import { AppError } from "../lib/errors.ts";
import type { Logger } from "../lib/logger.ts";
import { type SyncDirectoryResult, syncDirectory } from "./sync-directory.ts";

const ZConfirmQuery = z.object({
  confirmDeactivate: z.coerce
    .number({ error: "confirmDeactivate 应为要停用的人数，如 12" })
    .int("confirmDeactivate 应为整数")
    .min(0, "confirmDeactivate 不能为负数")
    .optional(),
});

/**
 * `POST /api/org/sync` (README, Admin API): pulls departments and users from the DingTalk directory and imports
 * them as the whole org → the import counts plus `departmentsWalked` and `usersFetched`.
 */
export function registerOrgSyncRoutes(router: Router, deps: AppDeps): void {
  const client = directoryClientFor(deps);
  // Two syncs at once would read the same directory and write the same rows: the second caller shares the
  // run in progress instead of doubling the load on DingTalk's rate-limited APIs.
  let running: Promise<SyncDirectoryResult> | undefined;

  router.post("/api/org/sync", async (ctx) => {
    if (!client) {
      throw new AppError(
        "CONFLICT",
        "沙盒模式未配置钉钉应用凭证（DINGTALK_CLIENT_ID / DINGTALK_CLIENT_SECRET），没有可同步的钉钉通讯录；请用 PUT /api/org 导入组织架构",
      );
    }
    const log = (ctx.state.log as Logger | undefined) ?? deps.log;
    const { confirmDeactivate } = parseOrThrow(ZConfirmQuery, ctx.query, "查询参数");
    // A directory answer missing many people (a wrong root, a permission change) is refused like a careless
    // upload. A caller who joins a sync already running shares its answer, confirmation included.
    const guard = { maxShare: deps.config.orgDeactivateMaxShare, confirm: confirmDeactivate };
    running ??= syncDirectory({ db: deps.db, client, log, guard }).finally(() => {
      running = undefined;
    });
    ctx.body = await running;
  });
}

/** One token cache per service (docs/dingtalk.md §5: the token API is rate limited); none in sandbox mode. */
function directoryClientFor(deps: AppDeps): DirectoryClient | undefined {
  const { clientId, clientSecret, oapiBase, qps } = deps.config.dingtalk;
  if (deps.config.sandbox || !clientId || !clientSecret) return undefined;
  const token = createLegacyTokenSource({ oapiBase, clientId, clientSecret });
  return createDirectoryClient({ oapiBase, token, qps });
}
