/** A to-do (待办) task as the emulator holds it (docs/dingtalk.md §7); what GET answers, plus whose it is. */
export interface TodoTask {
  id: string;
  /** The app that created it: another app's task ids do not exist for you. */
  clientId: string;
  /** The unionId in the create path: whose list it was created in. */
  ownerUnionId: string;
  subject: string;
  description?: string;
  dueTime?: number;
  executorIds: string[];
  participantIds: string[];
  detailUrl: { appUrl: string; pcUrl: string };
  sourceId?: string;
  priority?: number;
  done: boolean;
  createdTime: number;
  modifiedTime: number;
  /** When `done` last became true; absent while open. */
  finishTime?: number;
}

/** The to-dos of every app, in creation order. */
export interface TodoStore {
  add(task: TodoTask): void;
  get(id: string): TodoTask | undefined;
  /** The tasks `unionId` holds: as executor, or in their own list when it has no executors. */
  of(unionId: string): TodoTask[];
  clear(): void;
}

export function createTodoStore(): TodoStore {
  const tasks = new Map<string, TodoTask>();
  return {
    add: (task) => void tasks.set(task.id, task),
    get: (id) => tasks.get(id),
    of: (unionId) =>
      [...tasks.values()].filter((t) =>
        t.executorIds.length > 0 ? t.executorIds.includes(unionId) : t.ownerUnionId === unionId,
      ),
    clear: () => tasks.clear(),
  };
}
