import { isRecord } from "./read-json.ts";

/**
 * A server → client stream frame (docs/dingtalk.md §1.3). Every header value is a string: the Go SDK decodes headers
 * into map[string]string and breaks on numbers; `data` is always a JSON string.
 */
export interface DownstreamFrame {
  specVersion: "1.0";
  type: "CALLBACK" | "EVENT" | "SYSTEM";
  headers: Record<string, string>;
  data: string;
}

/** A client → server ack (docs/dingtalk.md §1.4). */
export interface AckFrame {
  code: number | undefined;
  message: string | undefined;
  messageId: string;
  data: string | undefined;
}

/** A CALLBACK push (robot message or card action) with the six headers real frames carry (§1.3). */
export function callbackFrame(input: {
  appId: string;
  connectionId: string;
  messageId: string;
  time: number;
  topic: string;
  data: unknown;
}): DownstreamFrame {
  return {
    specVersion: "1.0",
    type: "CALLBACK",
    headers: {
      appId: input.appId,
      connectionId: input.connectionId,
      contentType: "application/json",
      messageId: input.messageId,
      time: String(input.time),
      topic: input.topic,
    },
    data: JSON.stringify(input.data),
  };
}

/** SYSTEM ping: the client must echo `data` unchanged with the same messageId (docs/dingtalk.md §1.5). */
export function pingFrame(messageId: string, opaque: string): DownstreamFrame {
  return {
    specVersion: "1.0",
    type: "SYSTEM",
    headers: { topic: "ping", messageId, contentType: "application/json" },
    data: JSON.stringify({ opaque }),
  };
}

/** SYSTEM disconnect, sent before the server closes a connection for rotation (docs/dingtalk.md §1.5). */
export function disconnectFrame(reason: string): DownstreamFrame {
  return {
    specVersion: "1.0",
    type: "SYSTEM",
    headers: { topic: "disconnect", contentType: "application/json" },
    data: JSON.stringify({ reason }),
  };
}

/** Reads an ack; anything without `headers.messageId` is not one. */
export function parseAckFrame(raw: string): AckFrame | undefined {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return undefined;
  }
  if (!isRecord(value) || !isRecord(value.headers) || typeof value.headers.messageId !== "string") return undefined;
  return {
    code: typeof value.code === "number" ? value.code : undefined,
    message: typeof value.message === "string" ? value.message : undefined,
    messageId: value.headers.messageId,
    data: typeof value.data === "string" ? value.data : undefined,
  };
}
