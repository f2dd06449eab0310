import { AppError } from "../lib/errors.ts";

export const planNotFound = (id: string) => new AppError("NOT_FOUND", `计划 ${id} 不存在`);
export const targetNotFound = (id: string) => new AppError("NOT_FOUND", `目标 ${id} 不存在或不属于该计划`);
