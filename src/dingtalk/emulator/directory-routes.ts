import type Router from "@koa/router";
import { LegacyApiError } from "./api-errors.ts";
import { legacyAuth } from "./api-guard.ts";
import { ROOT_DEPT_ID, type TDirectoryUser } from "./directory-store.ts";
import type { EmulatorCore } from "./emulator-core.ts";
import { newRequestId } from "./ids.ts";
import { readLegacyBody } from "./read-json.ts";

/**
 * The permission each directory API needs: departments `qyapi_get_department_list` (通讯录部门信息读权限, the
 * listsub doc's 权限要求); members `qyapi_get_member` (成员信息读权限; the code is as the developer console names it).
 */
export const DEPARTMENT_READ_PERMISSION = "qyapi_get_department_list";
export const MEMBER_READ_PERMISSION = "qyapi_get_member";

/** user/list page size limit (docs/dingtalk.md §6: max 100). */
export const USER_LIST_MAX_SIZE = 100;

/** Legacy directory APIs (docs/dingtalk.md §6): POST JSON, `?access_token=`, `{errcode, errmsg, result, request_id}`. */
export function registerDirectoryRoutes(router: Router, core: EmulatorCore): void {
  const deptAuth = legacyAuth(core, DEPARTMENT_READ_PERMISSION);
  const memberAuth = legacyAuth(core, MEMBER_READ_PERMISSION);
  const ok = (result: unknown) => ({ errcode: 0, errmsg: "ok", result, request_id: newRequestId() });

  router.post("/topapi/v2/department/listsub", deptAuth, async (ctx) => {
    const body = await readLegacyBody(ctx);
    const deptId = requireDept(core, body.dept_id ?? ROOT_DEPT_ID);
    const children = core.directory.children(deptId);
    ctx.body = ok(children.map((d) => ({ create_dept_group: true, auto_add_user: true, ...d })));
  });

  router.post("/topapi/v2/user/list", memberAuth, async (ctx) => {
    const body = await readLegacyBody(ctx);
    const deptId = requireDept(core, body.dept_id);
    const cursor = body.cursor ?? 0;
    const size = body.size;
    if (typeof cursor !== "number" || !Number.isInteger(cursor) || cursor < 0) throw badParam("cursor");
    if (typeof size !== "number" || !Number.isInteger(size) || size < 1 || size > USER_LIST_MAX_SIZE) {
      throw badParam(`size (1–${USER_LIST_MAX_SIZE})`);
    }
    const members = core.directory.members(deptId);
    const page = members.slice(cursor, cursor + size).map((u) => listItem(core, u));
    const hasMore = cursor + size < members.length;
    ctx.body = ok({ has_more: hasMore, ...(hasMore ? { next_cursor: cursor + size } : {}), list: page });
  });

  router.post("/topapi/v2/user/get", memberAuth, async (ctx) => {
    const body = await readLegacyBody(ctx);
    if (typeof body.userid !== "string" || body.userid === "") throw badParam("userid");
    const user = core.directory.user(body.userid);
    // errcode 60121 "找不到该用户" is UNVERIFIED (not in docs/dingtalk.md).
    if (!user) throw new LegacyApiError(60121, "找不到该用户");
    ctx.body = ok(userDetail(core, user));
  });
}

function requireDept(core: EmulatorCore, value: unknown): number {
  if (typeof value !== "number" || !Number.isInteger(value)) throw badParam("dept_id");
  if (value !== ROOT_DEPT_ID && !core.directory.department(value)) throw new LegacyApiError(60003, "部门不存在");
  return value;
}

function badParam(field: string) {
  return new LegacyApiError(400002, `不合法的参数: ${field}`);
}

/** A user/list item: no `manager_userid` there (docs/dingtalk.md §6) — callers need user/get for it. */
function listItem(core: EmulatorCore, user: TDirectoryUser): Record<string, unknown> {
  const { manager_userid: _manager, ...rest } = user;
  return {
    unionid: core.directory.unionIdOf(user.userid),
    avatar: "",
    title: "",
    dept_order: 0,
    leader: false,
    admin: false,
    boss: false,
    active: true,
    ...rest,
  };
}

function userDetail(core: EmulatorCore, user: TDirectoryUser): Record<string, unknown> {
  return {
    unionid: core.directory.unionIdOf(user.userid),
    title: "",
    avatar: "",
    dept_order_list: user.dept_id_list.map((dept_id) => ({ dept_id, order: 0 })),
    leader_in_dept: user.dept_id_list.map((dept_id) => ({ dept_id, leader: false })),
    role_list: [],
    active: true,
    admin: false,
    boss: false,
    senior: false,
    real_authed: true,
    ...user,
  };
}
