import type { ColumnSpec } from "../org/org-columns.ts";

export const PLAN_SHEET = "计划 plan";
export const TARGET_SHEET = "目标 targets";

type TargetField =
  | "id"
  | "parentId"
  | "depth"
  | "path"
  | "dimension"
  | "label"
  | "ownerUserId"
  | "ownerName"
  | "coOwnerUserIds"
  | "amount"
  | "version";

/** Columns of the targets sheet. Only amount, owner and co-owners are read back; the rest is context. */
export const TARGET_COLUMNS: (ColumnSpec<TargetField> & { editable: boolean; width: number })[] = [
  { field: "id", header: "目标ID / target_id", required: true, editable: false, width: 38 },
  { field: "parentId", header: "上级目标ID / parent_id", required: true, editable: false, width: 38 },
  { field: "depth", header: "层级 / depth", required: false, editable: false, width: 8 },
  { field: "path", header: "路径 / path", required: false, editable: false, width: 40 },
  { field: "dimension", header: "维度 / dimension", required: false, editable: false, width: 16 },
  { field: "label", header: "名称 / label", required: false, editable: false, width: 16 },
  { field: "ownerUserId", header: "负责人ID / owner_user_id", required: true, editable: true, width: 18 },
  { field: "ownerName", header: "负责人 / owner_name", required: false, editable: false, width: 12 },
  { field: "coOwnerUserIds", header: "协作人ID / co_owner_user_ids", required: true, editable: true, width: 24 },
  { field: "amount", header: "目标金额 / amount", required: true, editable: true, width: 16 },
  { field: "version", header: "版本 / version", required: true, editable: false, width: 10 },
];

/** Month columns after the fixed ones: "1月 / m01" … "12月 / m12" (read-only, derived from the amount). */
export const MONTH_HEADERS = Array.from({ length: 12 }, (_, i) => `${i + 1}月 / m${String(i + 1).padStart(2, "0")}`);

export const DIMENSION_LABELS: Record<string, string> = {
  REGION: "区域",
  PRODUCT_LINE: "产品线",
  CHANNEL: "渠道",
  CUSTOMER_SEGMENT: "客户类型",
  OWNER: "负责人",
};
