import type { FlowFactory } from "../flow.ts";
import { DIGEST_HELP, digestIntents } from "./digest-chat.ts";

/**
 * The digest (docs/domain.md "Digest", issue #14): the Monday digest to directors and managers, and the questions
 * that go with it in chat — 「排名」, 「团队进度」, 「看板」.
 */
export const digestFlow: FlowFactory = (deps) => ({
  name: "digest",
  intents: digestIntents(deps),
  help: DIGEST_HELP,
  helpRank: 10, // right after progress's own questions
  cardActions: [],
  routes: () => {},
  jobs: [],
});
