/**
 * What a leaf target is, in SQL, for every query that needs "the targets people are accountable for": a live
 * target (not archived) with no live child — once a target is split, its parts carry the amount, not it — and
 * not a parent's 待分配 reserve (what approved changes gave back is nobody's target).
 * `alias` is the name the query gives the `target` row. One definition, so a change (say, a new state) reaches
 * publishing, phasing, readiness, progress and the reminders alike.
 */
export function liveLeafSql(alias = "t"): string {
  return `${alias}.state <> 'ARCHIVED' AND NOT ${alias}.reserve
        AND NOT EXISTS (SELECT 1 FROM target c WHERE c.parent_id = ${alias}.id AND c.state <> 'ARCHIVED')`;
}
