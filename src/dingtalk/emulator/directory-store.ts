import { z } from "zod";
import { derivedUnionId } from "./ids.ts";

/** A department as the legacy directory API returns it (docs/dingtalk.md §6); extra fields are kept and echoed. */
export const ZDirectoryDepartment = z.looseObject({
  dept_id: z.number().int(),
  name: z.string().min(1),
  parent_id: z.number().int(),
});

/** A user as `/topapi/v2/user/get` returns it (docs/dingtalk.md §6); extra fields are kept and echoed. */
export const ZDirectoryUser = z.looseObject({
  userid: z.string().min(1),
  name: z.string().min(1),
  dept_id_list: z.array(z.number().int()).default([]),
  title: z.string().optional(),
  manager_userid: z.string().optional(),
  unionid: z.string().optional(),
  mobile: z.string().optional(),
  email: z.string().optional(),
  job_number: z.string().optional(),
  active: z.boolean().optional(),
  admin: z.boolean().optional(),
});

/** The emulated org directory: supplied through `startEmulator({ staff })` or the control API `setStaff`. */
export const ZDirectory = z.object({
  departments: z.array(ZDirectoryDepartment).default([]),
  users: z.array(ZDirectoryUser).default([]),
});

export type TDirectory = z.infer<typeof ZDirectory>;
/** What callers may pass (defaults not yet applied). */
export type TDirectoryInput = z.input<typeof ZDirectory>;
export type TDirectoryUser = z.infer<typeof ZDirectoryUser>;
export type TDirectoryDepartment = z.infer<typeof ZDirectoryDepartment>;

/** The root department id of every DingTalk org (docs/dingtalk.md §6). */
export const ROOT_DEPT_ID = 1;

export interface DirectoryStore {
  /** Replaces the whole directory; throws a ZodError on bad input. */
  set(directory: TDirectoryInput): void;
  get(): TDirectory;
  user(userId: string): TDirectoryUser | undefined;
  /** True when users were supplied; only then are unknown user ids rejected. */
  hasUsers(): boolean;
  department(deptId: number): TDirectoryDepartment | undefined;
  /** Direct child departments, in supplied order. */
  children(deptId: number): TDirectoryDepartment[];
  /** Direct members of a department, in supplied order. */
  members(deptId: number): TDirectoryUser[];
  unionIdOf(userId: string): string;
  /** The userId behind a unionId, if known. */
  userIdOfUnion(unionId: string): string | undefined;
}

/** The directory, validated with {@link ZDirectory}. */
export function createDirectoryStore(initial: TDirectoryInput = {}): DirectoryStore {
  let directory = ZDirectory.parse(initial);
  let users = new Map(directory.users.map((u) => [u.userid, u]));
  const store: DirectoryStore = {
    set(next) {
      directory = ZDirectory.parse(next);
      users = new Map(directory.users.map((u) => [u.userid, u]));
    },
    get: () => structuredClone(directory),
    user: (userId) => users.get(userId),
    hasUsers: () => users.size > 0,
    department: (deptId) => directory.departments.find((d) => d.dept_id === deptId),
    children: (deptId) => directory.departments.filter((d) => d.parent_id === deptId && d.dept_id !== deptId),
    members: (deptId) => directory.users.filter((u) => u.dept_id_list.includes(deptId)),
    unionIdOf: (userId) => users.get(userId)?.unionid ?? derivedUnionId(userId),
    userIdOfUnion(unionId) {
      for (const user of users.values()) if (store.unionIdOf(user.userid) === unionId) return user.userid;
      return undefined;
    },
  };
  return store;
}
