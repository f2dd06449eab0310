import { type CardId, cardDefinitions } from "../../cards/index.ts";
import type { Config } from "../config.ts";
import { createAccessTokenSource, errText } from "../dingtalk/access-token.ts";
import { DingTalkApiError } from "../dingtalk/dingtalk-api-error.ts";
import { createDirectoryClient } from "../dingtalk/directory-client.ts";
import { DEFAULT_HTTP_TIMEOUT_MS } from "../dingtalk/http-deadline.ts";
import { createLegacyTokenSource } from "../dingtalk/legacy-token.ts";
import { createOpenApiClient } from "../dingtalk/openapi-client.ts";
import { AppError } from "../lib/errors.ts";
import type { DoctorCheck, DoctorReport } from "./doctor-check.ts";

/**
 * A userId no org has: the robot check sends its probe to it, so DingTalk validates the robotCode and lists the id
 * in `invalidStaffIdList` (docs/dingtalk.md §4) without anyone receiving a message.
 */
export const PROBE_USER_ID = "target-bot-doctor-no-such-user";

/** The permission codes the directory APIs need (DingTalk's API pages, 权限要求; docs/dingtalk-setup.md). */
const DIRECTORY_PERMISSIONS = "「通讯录部门信息读权限」qyapi_get_department_list 和「成员信息读权限」qyapi_get_member";

export interface DoctorOptions {
  config: Config;
  fetch?: typeof fetch;
  /** Directory retries of a transient failure (default the client's: 3). */
  retryDelaysMs?: readonly number[];
}

const CREDENTIAL_VARS = ["DINGTALK_CLIENT_ID", "DINGTALK_CLIENT_SECRET"] as const;

/**
 * Checks a live configuration against DingTalk before the first publish: the access token (app key and secret),
 * the legacy token the directory needs, the robot code, each configured card template, and the directory. Sends
 * nothing anyone sees: the robot probe goes to {@link PROBE_USER_ID}, and each template is checked by creating a
 * card instance that is never delivered (`POST /v1.0/card/instances`, docs/dingtalk.md §3.4).
 */
export async function runDoctor(opts: DoctorOptions): Promise<DoctorReport> {
  const { config } = opts;
  const { clientId, clientSecret } = config.dingtalk;
  if (config.sandbox || !clientId || !clientSecret) {
    return report([
      {
        id: "credentials",
        title: "应用凭证（access token）",
        status: "problem",
        detail: "没有设置钉钉应用凭证：服务会以沙盒模式运行，不连接真实钉钉",
        fix: "在钉钉开发者后台 → 应用 → 凭证与基础信息，复制 Client ID（AppKey）和 Client Secret（AppSecret），填入 DINGTALK_CLIENT_ID 和 DINGTALK_CLIENT_SECRET",
        envVars: CREDENTIAL_VARS,
      },
    ]);
  }
  const live = {
    ...config.dingtalk,
    clientId,
    clientSecret,
    robotCode: config.dingtalk.robotCode ?? clientId,
    timeoutMs: config.dingtalk.httpTimeoutMs,
  };
  const fetchOpt = opts.fetch ? { fetch: opts.fetch } : {};
  const checks: DoctorCheck[] = [];

  const tokens = createAccessTokenSource({ ...live, ...fetchOpt });
  const credentials = await checkAccessToken(tokens.get, live.apiBase);
  checks.push(credentials);
  const legacyToken = createLegacyTokenSource({ ...live, ...fetchOpt });
  const legacy = await checkLegacyToken(legacyToken.get, credentials.status === "ok");
  checks.push(legacy);

  const client = createOpenApiClient({ ...live, tokens, ...fetchOpt });
  if (credentials.status === "ok") {
    checks.push(await checkRobot(client, live.robotCode));
    for (const cardId of Object.keys(cardDefinitions) as CardId[]) {
      checks.push(await checkTemplate(cardId, config, live.apiBase, tokens.get, opts.fetch ?? fetch));
    }
  } else {
    const skip = (id: string, title: string, envVars: readonly string[]): DoctorCheck => ({
      id,
      title,
      status: "skipped",
      detail: "未检查：需要先取得 access token（见上一项）",
      envVars,
    });
    checks.push(skip("robot", "机器人编码", ["DINGTALK_ROBOT_CODE"]));
    for (const [cardId, def] of Object.entries(cardDefinitions)) {
      checks.push(skip(`template:${cardId}`, templateTitle(cardId as CardId), [def.templateIdConfigKey]));
    }
  }

  if (legacy.status === "ok") {
    const directory = createDirectoryClient({
      oapiBase: live.oapiBase,
      token: legacyToken,
      ...fetchOpt,
      ...(opts.retryDelaysMs ? { retryDelaysMs: opts.retryDelaysMs } : {}),
    });
    checks.push(await checkDirectory(directory));
  } else {
    checks.push({
      id: "directory",
      title: "通讯录读取",
      status: "skipped",
      detail: "未检查：需要先取得旧版接口的 access_token（见上一项）",
      envVars: [],
    });
  }
  return report(checks);
}

function report(checks: DoctorCheck[]): DoctorReport {
  return { checks, ok: checks.every((c) => c.status !== "problem") };
}

async function checkAccessToken(get: () => Promise<string>, apiBase: string): Promise<DoctorCheck> {
  const base = { id: "credentials", title: "应用凭证（access token）", envVars: CREDENTIAL_VARS };
  try {
    await get();
    return { ...base, status: "ok", detail: "已取得 access token（POST /v1.0/oauth2/accessToken）" };
  } catch (err) {
    if (err instanceof DingTalkApiError && (err.code === "network" || err.code === "timeout")) {
      return {
        ...base,
        envVars: ["DINGTALK_API_BASE"],
        status: "problem",
        detail: `无法访问钉钉接口 ${apiBase}（${errText(err.cause ?? err)}）`,
        fix: "检查本机到 api.dingtalk.com 的网络、代理和防火墙；DINGTALK_API_BASE 只在测试时改动，生产环境不要设置",
      };
    }
    const code = err instanceof DingTalkApiError ? err.code : "unknown";
    return {
      ...base,
      status: "problem",
      detail: `钉钉拒绝了这对凭证（${code}）`,
      fix: "在钉钉开发者后台 → 应用 → 凭证与基础信息，重新复制 Client ID（AppKey）和 Client Secret（AppSecret），填入 DINGTALK_CLIENT_ID 和 DINGTALK_CLIENT_SECRET（注意不要带空格，Secret 重置后旧值失效）",
    };
  }
}

async function checkLegacyToken(get: () => Promise<string>, newTokenOk: boolean): Promise<DoctorCheck> {
  const base = { id: "legacy-token", title: "旧版接口凭证（access_token，用于通讯录、待办、图片）" };
  try {
    await get();
    return { ...base, status: "ok", detail: "已取得 access_token（GET /gettoken）", envVars: CREDENTIAL_VARS };
  } catch (err) {
    const message = err instanceof AppError ? err.userMessage : errText(err);
    return newTokenOk
      ? {
          ...base,
          status: "problem",
          detail: message,
          fix: "新版接口能取到 access token 而旧版接口不能：检查本机到 oapi.dingtalk.com 的网络；DINGTALK_OAPI_BASE 只在测试时改动，生产环境不要设置",
          envVars: ["DINGTALK_OAPI_BASE"],
        }
      : { ...base, status: "skipped", detail: `同上一项：${message}`, envVars: CREDENTIAL_VARS };
  }
}

async function checkRobot(client: ReturnType<typeof createOpenApiClient>, robotCode: string): Promise<DoctorCheck> {
  const base = { id: "robot", title: "机器人编码", envVars: ["DINGTALK_ROBOT_CODE"] };
  try {
    const answer = await client.batchSendOto({
      userIds: [PROBE_USER_ID],
      msgKey: "sampleText",
      msgParam: { content: "target-bot doctor：检查机器人编码（收件人不存在，不会送达任何人）" },
    });
    const refused = answer.invalidStaffIdList?.includes(PROBE_USER_ID)
      ? "，探测用的虚构收件人被拒收，未送达任何人"
      : "";
    return { ...base, status: "ok", detail: `机器人 ${robotCode} 可用（batchSend 已受理${refused}）` };
  } catch (err) {
    const code = err instanceof DingTalkApiError ? err.code : "unknown";
    const permission = /Permission|AccessDenied/.test(code) && !code.includes("QpsLimit");
    return {
      ...base,
      status: "problem",
      detail: `钉钉不接受机器人编码 ${robotCode}（${code}：${errText(err)}）`,
      fix: permission
        ? "在开发者后台 → 权限管理，申请「企业内机器人发送消息权限」qyapi_robot_sendmsg"
        : "在开发者后台 → 应用能力 → 机器人，确认已添加机器人、选了 Stream 模式并已发布；DINGTALK_ROBOT_CODE 填机器人页面上的 RobotCode（与 AppKey 相同时可不设）",
    };
  }
}

function templateTitle(cardId: CardId): string {
  return `卡片模板「${cardDefinitions[cardId].title}」`;
}

async function checkTemplate(
  cardId: CardId,
  config: Config,
  apiBase: string,
  token: () => Promise<string>,
  doFetch: typeof fetch,
): Promise<DoctorCheck> {
  const def = cardDefinitions[cardId];
  const key = def.templateIdConfigKey;
  const base = { id: `template:${cardId}`, title: templateTitle(cardId), envVars: [key] };
  const templateId = config.cardTemplates[key];
  if (!templateId) {
    // loadConfig already refuses a missing required template; an optional one may stay unset.
    return { ...base, status: "ok", detail: `未配置（可选：${def.notSentBecause ?? "服务目前不发送"}）` };
  }
  // A card instance that is never delivered: nobody sees it, and DingTalk answers whether the template exists.
  const [firstVar] = Object.entries(def.variables).find(([, v]) => v.scope === "public" && v.type === "string") ?? [];
  const body = {
    cardTemplateId: templateId,
    outTrackId: `doctor-${cardId}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`,
    callbackType: "STREAM",
    cardData: { cardParamMap: firstVar ? { [firstVar]: "target-bot doctor" } : {} },
    userIdType: 1,
  };
  let status: number;
  let answer: Record<string, unknown> = {};
  try {
    const res = await doFetch(`${apiBase}/v1.0/card/instances`, {
      method: "POST",
      headers: {
        "Content-Type": "application/json",
        Accept: "application/json",
        "x-acs-dingtalk-access-token": await token(),
      },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(DEFAULT_HTTP_TIMEOUT_MS),
    });
    status = res.status;
    answer = ((await res.json().catch(() => ({}))) ?? {}) as Record<string, unknown>;
  } catch (err) {
    return { ...base, status: "problem", detail: `无法访问钉钉接口（${errText(err)}）`, fix: "检查网络后重试" };
  }
  if (status >= 200 && status < 300) return { ...base, status: "ok", detail: `模板 ${templateId} 存在且可用` };
  const code = typeof answer.code === "string" ? answer.code : `HTTP ${status}`;
  const spec = `按 docs/card-templates.md 的「${def.title}」一节搭建`;
  const fix =
    code === "param.templateNotExist"
      ? `钉钉找不到这个模板 ID：在卡片平台（open-dev.dingtalk.com/fe/card）打开该模板（没有就${spec}），复制模板 ID 填入 ${key}；模板须关联本应用`
      : code === "param.templateUnpublished"
        ? `模板还没有发布：在卡片平台打开它并点「发布」，再运行 npm run doctor`
        : `检查 ${key} 是否为本应用在卡片平台发布的模板 ID（${spec}）；如提示缺少权限，在开发者后台 → 权限管理申请「互动卡片实例写权限」`;
  return {
    ...base,
    status: "problem",
    detail: `${key}=${templateId}：钉钉答 ${code}（${String(answer.message ?? "")}）`,
    fix,
  };
}

async function checkDirectory(directory: ReturnType<typeof createDirectoryClient>): Promise<DoctorCheck> {
  const base = { id: "directory", title: "通讯录读取", envVars: [] as string[] };
  try {
    const departments = await directory.listSubDepartments(1);
    const users = await directory.listUsers(1);
    return {
      ...base,
      status: "ok",
      detail: `可读：根部门下 ${departments.length} 个子部门、${users.length} 名直属成员（department/listsub、user/list）`,
    };
  } catch (err) {
    const details =
      err instanceof AppError ? (err.details as { api?: string; errcode?: unknown } | undefined) : undefined;
    const message = err instanceof AppError ? err.userMessage : errText(err);
    const noPermission = details?.errcode === "88/60011";
    return {
      ...base,
      status: "problem",
      detail: noPermission ? `应用没有读通讯录的权限（${details?.api ?? ""}：errcode 88 / sub_code 60011）` : message,
      fix: noPermission
        ? `在开发者后台 → 权限管理，申请${DIRECTORY_PERMISSIONS}，并把「通讯录权限范围」设为全部员工（或要同步的部门）`
        : `确认已申请${DIRECTORY_PERMISSIONS}，且通讯录权限范围包含要同步的部门`,
    };
  }
}
