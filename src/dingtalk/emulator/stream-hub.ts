import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import { type WebSocket, WebSocketServer } from "ws";
import type { Logger } from "../../lib/logger.ts";
import type { Clock } from "./clock.ts";
import { type AckFrame, disconnectFrame, parseAckFrame, pingFrame } from "./frames.ts";
import { newMessageId, newUuid } from "./ids.ts";
import type { Subscription, TicketStore } from "./ticket-store.ts";

/** An open stream connection as the control API shows it. */
export interface ConnectionInfo {
  connectionId: string;
  clientId: string;
  subscriptions: Subscription[];
  ua: string | undefined;
  openedAt: number;
  /** A SYSTEM disconnect was sent; no more pushes go here. */
  closing: boolean;
  pingsSent: number;
  /** Pings answered with the same messageId and the same opaque data. */
  pingEchoes: number;
  lastPingEchoAt: number | undefined;
}

interface Connection extends ConnectionInfo {
  socket: WebSocket;
  pendingPings: Map<string, string>;
  pingTimer: NodeJS.Timeout | undefined;
}

export interface StreamHubOptions {
  tickets: TicketStore;
  clock: Clock;
  random: () => number;
  log: Logger;
  pingIntervalMs: number | null;
  /** Every frame from a client that is not a ping echo. */
  onAck(connectionId: string, ack: AckFrame): void;
}

/** The WebSocket side of the gateway: `/connect?ticket=` (docs/dingtalk.md §1.2, §1.5, §1.7). */
export interface StreamHub {
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void;
  /** A random open connection of the app subscribed to CALLBACK `topic` (one connection per push, §1.7). */
  pick(clientId: string, topic: string): ConnectionInfo | undefined;
  send(connectionId: string, frame: string): boolean;
  list(): ConnectionInfo[];
  /** SYSTEM disconnect to every connection, then close each `closeAfterMs` later (§1.5: ≤ 10 s). */
  rotate(closeAfterMs: number): Promise<void>;
  close(): void;
}

/** The hub owns a `noServer` WebSocketServer; the HTTP server hands it upgrade requests. */
export function createStreamHub(opts: StreamHubOptions): StreamHub {
  const wss = new WebSocketServer({ noServer: true });
  const connections = new Map<string, Connection>();
  const timers = new Set<NodeJS.Timeout>();

  function register(socket: WebSocket, clientId: string, subscriptions: Subscription[], ua: string | undefined) {
    const conn: Connection = {
      connectionId: newUuid(),
      clientId,
      subscriptions,
      ua,
      openedAt: opts.clock.now(),
      closing: false,
      pingsSent: 0,
      pingEchoes: 0,
      lastPingEchoAt: undefined,
      socket,
      pendingPings: new Map(),
      pingTimer: undefined,
    };
    connections.set(conn.connectionId, conn);
    socket.on("message", (raw) => onClientFrame(conn, String(raw), opts));
    socket.on("close", () => {
      clearInterval(conn.pingTimer);
      connections.delete(conn.connectionId);
      opts.log.debug({ connectionId: conn.connectionId }, "emulator: stream connection closed");
    });
    socket.on("error", (err) => opts.log.debug({ err }, "emulator: stream socket error"));
    if (opts.pingIntervalMs !== null) conn.pingTimer = setInterval(() => ping(conn, opts.clock), opts.pingIntervalMs);
    opts.log.debug({ connectionId: conn.connectionId, clientId }, "emulator: stream connection opened");
  }

  return {
    handleUpgrade(req, socket, head) {
      // The raw socket has no error listener of its own: a client that resets the connection while a refusal is
      // written (ws aborts a refused handshake that way) would raise an uncaught ECONNRESET in the process.
      socket.on("error", (err) => opts.log.debug({ err }, "emulator: stream socket error during the handshake"));
      const url = new URL(req.url ?? "/", "http://emulator.invalid");
      if (url.pathname !== "/connect") return refuse(socket, 404, "no WebSocket endpoint here; use /connect");
      // Validated during the handshake: unknown, used or expired tickets never get a socket (docs/dingtalk.md §1.2).
      const use = opts.tickets.consume(url.searchParams.get("ticket"));
      if (!use.ok) {
        opts.log.info({ reason: use.reason }, "emulator: refused a stream connection");
        return refuse(socket, 401, `ticket ${use.reason}`);
      }
      const { clientId, subscriptions, ua } = use.record;
      wss.handleUpgrade(req, socket, head, (ws) => register(ws, clientId, subscriptions, ua));
    },
    pick(clientId, topic) {
      const candidates = [...connections.values()].filter(
        (c) =>
          c.clientId === clientId &&
          !c.closing &&
          c.socket.readyState === c.socket.OPEN &&
          c.subscriptions.some((s) => s.type === "CALLBACK" && s.topic === topic),
      );
      const chosen = candidates[Math.floor(opts.random() * candidates.length)];
      return chosen && info(chosen);
    },
    send(connectionId, frame) {
      const conn = connections.get(connectionId);
      if (!conn || conn.socket.readyState !== conn.socket.OPEN) return false;
      conn.socket.send(frame);
      return true;
    },
    list: () => [...connections.values()].map(info),
    rotate: async (closeAfterMs) => {
      await Promise.all(
        [...connections.values()].filter((c) => !c.closing).map((c) => retire(c, closeAfterMs, timers)),
      );
    },
    close() {
      for (const timer of timers) clearTimeout(timer);
      for (const conn of connections.values()) {
        clearInterval(conn.pingTimer);
        conn.socket.terminate();
      }
      connections.clear();
      wss.close();
    },
  };
}

function ping(conn: Connection, clock: Clock): void {
  const messageId = newMessageId(clock.now());
  const frame = pingFrame(messageId, newUuid());
  conn.pendingPings.set(messageId, frame.data);
  conn.pingsSent++;
  conn.socket.send(JSON.stringify(frame));
}

/** Ping echoes are checked here (same messageId, same opaque data); everything else goes to `onAck`. */
function onClientFrame(conn: Connection, raw: string, opts: StreamHubOptions): void {
  const ack = parseAckFrame(raw);
  if (!ack) {
    opts.log.warn({ raw: raw.slice(0, 200) }, "emulator: ignored a client frame without headers.messageId");
    return;
  }
  const expected = conn.pendingPings.get(ack.messageId);
  if (expected === undefined) {
    opts.onAck(conn.connectionId, ack);
    return;
  }
  conn.pendingPings.delete(ack.messageId);
  if (ack.code === 200 && ack.data === expected) {
    conn.pingEchoes++;
    conn.lastPingEchoAt = opts.clock.now();
  } else {
    opts.log.warn({ ack }, "emulator: ping echo did not return the same opaque data (docs/dingtalk.md §1.5)");
  }
}

/** SYSTEM disconnect now, close `closeAfterMs` later; resolves once the socket is closed. */
function retire(conn: Connection, closeAfterMs: number, timers: Set<NodeJS.Timeout>): Promise<void> {
  conn.closing = true;
  return new Promise((resolve) => {
    conn.socket.once("close", () => resolve());
    conn.socket.send(JSON.stringify(disconnectFrame("connection is expired")));
    const timer = setTimeout(() => {
      timers.delete(timer);
      conn.socket.close(1000, "connection is expired");
      // A client that does not answer the close handshake loses its TCP connection anyway.
      const kill = setTimeout(() => conn.socket.terminate(), 1000);
      timers.add(kill);
      conn.socket.once("close", () => clearTimeout(kill));
    }, closeAfterMs);
    timers.add(timer);
  });
}

function info(conn: Connection): ConnectionInfo {
  const { socket: _socket, pendingPings: _pending, pingTimer: _timer, ...rest } = conn;
  return structuredClone(rest);
}

function refuse(socket: Duplex, status: 401 | 404, reason: string) {
  const body = JSON.stringify({ code: status === 401 ? "InvalidTicket" : "NotFound", message: reason });
  const text = status === 401 ? "Unauthorized" : "Not Found";
  socket.end(
    `HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Type: application/json\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
}
