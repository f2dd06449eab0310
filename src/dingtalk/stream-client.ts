import { DWClient, type DWClientDownStream } from "dingtalk-stream";
import { CARD_CALLBACK_TOPIC, ROBOT_MESSAGE_TOPIC } from "./topics.ts";

export interface StreamClientOptions {
  /** `DINGTALK_API_BASE`: `https://api.dingtalk.com`, or the emulator's URL. */
  apiBase: string;
  clientId: string;
  clientSecret: string;
  /** SDK debug printing to stdout. */
  debug?: boolean;
  /** Sent as `ua` to the gateway (format `name-sdk-lang/version`, docs/dingtalk.md §1.1). */
  ua?: string;
  /**
   * Gateway request and WebSocket handshake timeout (default 10 000 ms); a timed-out attempt is retried by the
   * SDK after 1 s.
   */
  gatewayTimeoutMs?: number;
}

/**
 * The connection as /healthz reports it: `connecting` until the first socket opens, `reconnecting` after an
 * open socket closed (the SDK retries every second), `stopped` after disconnect(); `since` is the last change.
 */
export interface StreamState {
  state: "connecting" | "connected" | "reconnecting" | "stopped";
  since: Date;
}

/** The SDK's `reconnectInterval` (private in its typings): it retries 1 s after a failure or a close. */
const SDK_RECONNECT_MS = 1000;

/**
 * The official `DWClient` with one change: the gateway POST goes to `${apiBase}/v1.0/gateway/connections/open`
 * instead of the SDK's hard-coded https://api.dingtalk.com (docs/dingtalk.md §1.8). Everything else — the socket,
 * frames, ping echo, acks via `socketCallBackResponse` — is the SDK's own code.
 *
 * The SDK reconnects by calling `this.connect()` (on socket close, and 1 s after a failed attempt), and
 * `connect()` calls `this.getEndpoint()`, so every reconnect goes through this override too.
 */
export class GatewayDWClient extends DWClient {
  readonly #gatewayUrl: string;
  readonly #timeoutMs: number;
  #stopped = false;
  #connecting: Promise<void> | undefined;
  #lastAttemptAt = 0;
  #state: StreamState = { state: "connecting", since: new Date() };

  constructor(opts: StreamClientOptions) {
    super({
      clientId: opts.clientId,
      clientSecret: opts.clientSecret,
      ...(opts.debug === undefined ? {} : { debug: opts.debug }),
      ...(opts.ua === undefined ? {} : { ua: opts.ua }),
    });
    this.#gatewayUrl = `${opts.apiBase.replace(/\/+$/, "")}/v1.0/gateway/connections/open`;
    this.#timeoutMs = opts.gatewayTimeoutMs ?? 10_000;
    // The SDK opens its socket with `new WebSocket(dw_url, this.sslopts)` and no handshake timeout: a gateway
    // endpoint that accepts the connection but never answers the upgrade would leave connect() — and so the
    // service's start — waiting forever. ws fails the handshake after this long, and the SDK retries.
    (this as unknown as { sslopts: object }).sslopts = { rejectUnauthorized: true, handshakeTimeout: this.#timeoutMs };
  }

  /** Same request as the SDK's (docs/dingtalk.md §1.1), sent to our gateway URL; sets the URL `_connect()` opens. */
  override async getEndpoint(): Promise<this> {
    if (this.#stopped) throw new Error("stream client was disconnected; create a new one");
    const { clientId, clientSecret, ua, subscriptions } = this.config;
    const res = await fetch(this.#gatewayUrl, {
      method: "POST",
      // Without Accept the real gateway answers XML (SDK comment, docs/dingtalk.md §1.1).
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      body: JSON.stringify({ clientId, clientSecret, ua, subscriptions }),
      signal: AbortSignal.timeout(this.#timeoutMs),
    });
    const body = (await res.json().catch(() => undefined)) as { endpoint?: unknown; ticket?: unknown } | undefined;
    if (!res.ok || typeof body?.endpoint !== "string" || typeof body.ticket !== "string" || !body.ticket) {
      this.printDebug(`gateway answered ${res.status} ${JSON.stringify(body)}`);
      throw new Error(`stream gateway ${this.#gatewayUrl} answered ${res.status} without endpoint and ticket`);
    }
    // `dw_url` is private in the SDK's typings but is exactly what `_connect()` opens; the SDK appends the
    // ticket raw, so the endpoint must not contain `?` (docs/dingtalk.md §1.2).
    (this as unknown as { dw_url: string }).dw_url = `${body.endpoint}?ticket=${body.ticket}`;
    return this;
  }

  /**
   * One connection attempt at a time, and one retry chain. The SDK schedules two reconnects for one failure
   * (its socket `error` handler rejects into `connect()`'s 1 s retry and its `close` handler schedules another
   * 1 s later): overlapping, they would open two connections; a few ms apart, the second would start a second
   * chain that doubles the gateway calls every second. So a call while an attempt runs joins it, and a call
   * within half the reconnect interval of the last attempt's start is the same failure's twin and is dropped.
   */
  override connect(): Promise<void> {
    if (this.#stopped || this.connected) return Promise.resolve();
    if (this.#connecting !== undefined) return this.#connecting;
    const now = Date.now();
    if (now - this.#lastAttemptAt < SDK_RECONNECT_MS / 2) return Promise.resolve();
    this.#lastAttemptAt = now;
    this.#connecting = super.connect().finally(() => {
      this.#connecting = undefined;
    });
    return this.#connecting;
  }

  /** Where the connection stands (for /healthz). */
  streamState(): StreamState {
    return this.#state;
  }

  /** The SDK's socket opening: resolves on `open`; the socket's `close` later is when the link is lost. */
  override async _connect(): Promise<void> {
    await super._connect();
    this.#setState("connected");
    const socket = (this as unknown as { socket?: { once(event: "close", fn: () => void): void } }).socket;
    socket?.once("close", () => this.#setState(this.#stopped ? "stopped" : "reconnecting"));
  }

  /** Final: a pending SDK reconnect timer finds the client stopped and does nothing. */
  override disconnect(): void {
    this.#stopped = true;
    this.#setState("stopped");
    super.disconnect();
  }

  #setState(state: StreamState["state"]): void {
    if (this.#state.state !== state) this.#state = { state, since: new Date() };
  }
}

/** Handlers for the two callback topics; each gets the raw downstream frame (`data` is a JSON string). */
export interface StreamHandlers {
  onRobotMessage?: (message: DWClientDownStream) => void;
  onCardCallback?: (message: DWClientDownStream) => void;
}

/**
 * A stream client subscribed to robot messages and card callbacks (docs/dingtalk.md §2, §3.6). Not connected yet:
 * call `connect()`; close with `disconnect()`. Handlers can be given here or added later with
 * `client.on(ROBOT_MESSAGE_TOPIC, …)`. The SDK does not ack callbacks: call
 * `client.socketCallBackResponse(messageId, response)` (docs/dingtalk.md §1.4).
 */
export function createStreamClient(opts: StreamClientOptions & StreamHandlers): GatewayDWClient {
  const client = new GatewayDWClient(opts);
  client.registerCallbackListener(ROBOT_MESSAGE_TOPIC, opts.onRobotMessage ?? (() => {}));
  client.registerCallbackListener(CARD_CALLBACK_TOPIC, opts.onCardCallback ?? (() => {}));
  return client;
}
