/**
 * Where a leaf sits in its plan, for lists of targets in batched news: a rep's leaves are all labelled with
 * their name, so only the path tells 华东 · 云产品 · 线上 · 大客户 from 华东 · 云产品 · 线下 · 中小企业.
 */

/**
 * SQL for the labels of `alias`'s ancestors below the plan's root, outermost first, joined by 「 · 」 (NULL for
 * a child of the root). `alias` is the name the query gives the `target` row.
 */
export function targetPathSql(alias = "t"): string {
  return `(WITH RECURSIVE up AS (
             SELECT a.parent_id, a.label, 1 AS hops FROM target a WHERE a.id = ${alias}.parent_id
             UNION ALL
             SELECT a.parent_id, a.label, up.hops + 1 FROM up JOIN target a ON a.id = up.parent_id)
           SELECT string_agg(label, ' · ' ORDER BY hops DESC) FROM up WHERE parent_id IS NOT NULL)`;
}

/** The path and the leaf's own label, unless that label is only its owner's name (said next to it anyway). */
export function targetPlace(t: { path: string | null; label: string; ownerName: string }): string {
  const parts = [t.path, t.label === t.ownerName ? null : t.label].filter((p): p is string => !!p);
  return parts.length > 0 ? parts.join(" · ") : t.label;
}
