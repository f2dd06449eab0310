import { attainment } from "./attainment.ts";
import type { DigestInput, DigestLeafInput } from "./digest.ts";
import { addInto, blank, compareBig, row, type Sums, sortRows } from "./digest-sums.ts";
import type { DigestBreakdown, DigestRank, DigestRow } from "./digest-types.ts";
import { firstFew } from "./first-few.ts";

/* The digest's breakdowns (each split dimension, TEAM) and its leaderboard. */

export const BREAKDOWN_TITLES: Record<string, string> = {
  REGION: "区域",
  PRODUCT_LINE: "产品线",
  CHANNEL: "渠道",
  CUSTOMER_SEGMENT: "客户类型",
  TEAM: "团队",
};
export const DIMENSION_ORDER = ["REGION", "PRODUCT_LINE", "CHANNEL", "CUSTOMER_SEGMENT"];
export const RANK_SIZE = 5;

export function dimensionBreakdowns(input: DigestInput, leafSums: Map<DigestLeafInput, Sums>): DigestBreakdown[] {
  const groups = new Map<string, Map<string, { label: string; sums: Sums }>>();
  for (const leaf of input.leaves) {
    const s = leafSums.get(leaf)!;
    for (const node of leaf.path) {
      if (!DIMENSION_ORDER.includes(node.dimension)) continue;
      let rows = groups.get(node.dimension);
      if (!rows) {
        rows = new Map();
        groups.set(node.dimension, rows);
      }
      let row = rows.get(node.key);
      if (!row) {
        row = { label: node.label, sums: blank() };
        rows.set(node.key, row);
      }
      addInto(row.sums, s);
    }
  }
  return DIMENSION_ORDER.filter((d) => groups.has(d)).map((dimension) => ({
    dimension,
    title: BREAKDOWN_TITLES[dimension]!,
    rows: sortRows([...groups.get(dimension)!].map(([key, r]) => row(key, r.label, r.sums, input.pace))),
  }));
}

/**
 * TEAM: each direct report of the team root with everyone under them (a manager's team is their subtree), and
 * the root's own targets as a row of their own. An owner outside the root's tree is grouped under the top of
 * their own chain.
 */
export function teamBreakdown(input: DigestInput, people: Map<string, Sums>): DigestBreakdown {
  const rowOf = new Map<string, string>();
  const teamOf = (userId: string): string => {
    const known = rowOf.get(userId);
    if (known !== undefined) return known;
    // Up the chain until the root: the last person before it is the team; without the root, the chain's top.
    // Everyone met on the way belongs to the same team, so the whole chain is remembered (50,000 reps under a
    // few managers walk a few steps each) — unless it loops, where each person's answer is their own.
    let below = userId;
    let at = userId === input.teamRoot ? null : (input.people.get(userId)?.managerUserId ?? null);
    const chain = [userId];
    let team: string | undefined;
    while (at !== null && at !== input.teamRoot) {
      if (chain.includes(at)) return below; // a loop in bad org data: this person's answer alone, not kept
      team = rowOf.get(at);
      if (team !== undefined) break;
      chain.push(at);
      below = at;
      at = input.people.get(at)?.managerUserId ?? null;
    }
    for (const id of chain) rowOf.set(id, team ?? below);
    return team ?? below;
  };
  const teams = new Map<string, { sums: Sums; members: number }>();
  for (const [userId, s] of people) {
    const key = teamOf(userId);
    let t = teams.get(key);
    if (!t) {
      t = { sums: blank(), members: 0 };
      teams.set(key, t);
    }
    addInto(t.sums, s);
    t.members++;
  }
  const rows = [...teams].map(([key, t]) => {
    const name = input.people.get(key)?.name ?? key;
    const label = t.members > 1 || !people.has(key) ? `${name}团队` : name;
    return row(key, label, t.sums, input.pace, name);
  });
  return { dimension: "TEAM", title: BREAKDOWN_TITLES.TEAM!, rows: sortRows(rows) };
}

/**
 * The people's leaderboard: each active owner ranked by YTD attainment as {@link rankRows} ranks rows, with only
 * the ranked few built into entries (a whole plan has tens of thousands of people and shows ten).
 */
export function rankPeople(input: DigestInput, people: Map<string, Sums>): { top: DigestRank[]; bottom: DigestRank[] } {
  const ranked: { id: string; s: Sums; attainment: number }[] = [];
  for (const [id, s] of people) {
    if (!input.people.get(id)?.active) continue;
    const a = attainment(s.ytdActual, s.ytdTarget);
    if (a !== null) ranked.push({ id, s, attainment: a });
  }
  const order = (a: (typeof ranked)[number], b: (typeof ranked)[number]) =>
    b.attainment - a.attainment || compareBig(b.s.ytdActual, a.s.ytdActual) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
  const rank = (r: (typeof ranked)[number]): DigestRank => ({
    userId: r.id,
    key: r.id,
    label: input.people.get(r.id)?.name ?? r.id,
    attainment: r.attainment,
    ytdActual: r.s.ytdActual,
    ytdTarget: r.s.ytdTarget,
  });
  // The first and the last few in that order, without sorting everyone: the same lists as a full sort gives.
  const top = firstFew(ranked, order, RANK_SIZE);
  const last = firstFew(ranked, (a, b) => order(b, a), Math.min(RANK_SIZE, ranked.length - top.length));
  return { top: top.map(rank), bottom: last.map(rank) };
}

/** Top and bottom by YTD attainment (rows without one are not ranked); the two lists never share a row. */
export function rankRows(rows: DigestRow[]): { top: DigestRank[]; bottom: DigestRank[] } {
  const ranked = rows
    .filter((r) => r.figures.ytdAttainment !== null)
    .sort(
      (a, b) =>
        b.figures.ytdAttainment! - a.figures.ytdAttainment! ||
        compareBig(b.figures.ytdActual, a.figures.ytdActual) ||
        (a.key < b.key ? -1 : a.key > b.key ? 1 : 0),
    );
  const rank = (r: DigestRow): DigestRank => ({
    ...(isUserRow(r) ? { userId: r.key } : {}),
    key: r.key,
    label: r.label,
    attainment: r.figures.ytdAttainment,
    ytdActual: r.figures.ytdActual,
    ytdTarget: r.figures.ytdTarget,
  });
  const top = ranked.slice(0, RANK_SIZE);
  const bottom = ranked.slice(Math.max(top.length, ranked.length - RANK_SIZE)).reverse();
  return { top: top.map(rank), bottom: bottom.map(rank) };
}

const isUserRow = (r: DigestRow) => r.ownerName !== undefined;
