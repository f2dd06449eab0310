import type Router from "@koa/router";
import type { AppDeps } from "../app-deps.ts";
import type { BotHandlers, CardAction, ClaimProbe, Intent } from "../dingtalk/bot.ts";
import type { ScheduledJob } from "../scheduler/job.ts";
import { helpIntent, notUnderstood } from "./chat-help.ts";

/**
 * A flow is one module (docs/architecture.md "Flows"): everything one business process adds to the bot, so
 * adding a flow is writing `src/flows/<flow>/index.ts` and listing it once in start-service.ts.
 */
export interface Flow {
  name: string;
  /** What it understands in chat, in the order tried (after earlier flows' intents). */
  intents: Intent[];
  /** Questions its intents' matchers ask of every chat message, answered with the message's claim. */
  claimProbes?: ClaimProbe[];
  /** Its part of the help reply: what to type, with examples, in Chinese. */
  help?: string;
  /**
   * Where its help goes in the help reply, smaller first (default 100; equal ranks keep the list's order): what
   * people do most comes first, whatever order the intents must be tried in.
   */
  helpRank?: number;
  /** Its cards' click handlers, by outTrackId prefix. */
  cardActions: CardAction[];
  /** Its HTTP routes. */
  routes(router: Router): void;
  /** Its scheduled jobs, in the order a trigger runs them (after earlier flows' jobs). */
  jobs: ScheduledJob<AppDeps>[];
}

/** Builds a flow from the service's dependencies (nothing runs until the bot, router and scheduler call it). */
export type FlowFactory = (deps: AppDeps) => Flow;

/**
 * What the bot gets from the flows: a help request first, then every flow's intents in the listed order, and
 * one fallback for anything none of them claims — 「没看懂」 with the help of every flow.
 */
export function botHandlers(flows: Flow[]): BotHandlers {
  const rank = (f: Flow) => f.helpRank ?? 100;
  const help = flows
    .filter((f) => f.help)
    .sort((a, b) => rank(a) - rank(b)) // stable: equal ranks keep the flows' order
    .map((f) => f.help)
    .join("\n\n");
  return {
    intents: [helpIntent(help), ...flows.flatMap((f) => f.intents)],
    fallback: notUnderstood(help),
    cardActions: flows.flatMap((f) => f.cardActions),
    claimProbes: flows.flatMap((f) => f.claimProbes ?? []),
  };
}
