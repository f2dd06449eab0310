import { DingTalkApiError } from "../access-token.ts";
import type { OpenApiClient } from "../openapi-client.ts";
import type { OutboxPayloads } from "./enqueue.ts";
import type { OutboxRow } from "./outbox-rows.ts";

/**
 * What became of one send. `answered`: DingTalk answered (any HTTP status), so the request has arrived; false
 * when it failed on the network or was never made.
 */
export type SendOutcome =
  | { kind: "sent"; result: unknown; answered: true }
  | { kind: "retry"; error: string; answered: boolean }
  | { kind: "dead"; error: string; answered: boolean };

/**
 * Makes the call a row asks for and classifies the answer. A card create answered `param.cardAlreadyExist` is
 * a success: the outTrackId makes creation idempotent on DingTalk's side, so a crash between sending and
 * marking SENT ends in exactly one card.
 */
export async function sendOutboxRow(client: OpenApiClient, row: OutboxRow): Promise<SendOutcome> {
  try {
    return { kind: "sent", result: await callFor(client, row), answered: true };
  } catch (err) {
    if (!(err instanceof DingTalkApiError)) {
      // Not DingTalk's answer (a bug or a malformed payload): retried until maxAttempts, then dead.
      return { kind: "retry", error: err instanceof Error ? err.message : String(err), answered: false };
    }
    if (row.kind === "card.createAndDeliver" && err.code === "param.cardAlreadyExist") {
      return { kind: "sent", result: { alreadyExisted: true }, answered: true };
    }
    const error = `${err.status} ${err.code}: ${err.message}`;
    const answered = err.status > 0; // status 0: a network failure, or no call made
    // An update can overtake its card's create (claimed in the same batch or by another replica): try again later.
    if (row.kind === "card.update" && err.code === "param.cardNotExist") return { kind: "retry", error, answered };
    return { kind: err.retryable ? "retry" : "dead", error, answered };
  }
}

function callFor(client: OpenApiClient, row: OutboxRow): Promise<unknown> {
  switch (row.kind) {
    case "card.createAndDeliver":
      return client.createAndDeliverCard(row.payload as OutboxPayloads["card.createAndDeliver"]);
    case "card.update":
      return client.updateCard(row.payload as OutboxPayloads["card.update"]);
    case "robot.batchSend":
      return client.batchSendOto(row.payload as OutboxPayloads["robot.batchSend"]);
    case "session.reply": {
      const { url, body, expiresAt } = row.payload as OutboxPayloads["session.reply"];
      // claimDue turned every expired reply that has a fallback into a batchSend; this one has none (a group).
      if (expiresAt !== undefined && expiresAt <= Date.now()) {
        const message = "sessionWebhook expired before the reply could be sent; group replies have no fallback";
        throw new DingTalkApiError(0, "session.expired", message, false);
      }
      return client.replyBySessionWebhook(url, body);
    }
    default:
      throw new DingTalkApiError(0, "outbox.unknownKind", `unknown outbox kind ${row.kind}`, false);
  }
}
