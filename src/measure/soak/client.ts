/**
 * One soak client: an MQTT.js connection with reconnectPeriod 0, driven by mqtt-doctor's own reconnect
 * scheduler so the policy under test is exactly the one the user chose. It publishes sequence-numbered
 * messages to its own topic, subscribes to it, and reports every connect, failed attempt and disconnect
 * (classified) as an event. Accounting lives in the pure SeqTracker / ConnectionTimeline it is handed.
 */
import type { IClientOptions, MqttClient } from 'mqtt';
import type { ReconnectPolicy } from '../../config/reconnect.js';
import { reconnectDelayMs } from '../../config/reconnect.js';
import { formatDuration } from '../../config/units.js';
import { classifyDisconnect, type Classified, type DisconnectObservation } from '../../analyze/soak/causes.js';
import type { ConnectionTimeline } from '../../analyze/soak/connection.js';
import type { SeqTracker } from '../../analyze/soak/sequence.js';
import type { SoakEvent } from '../../analyze/soak/events.js';
import { FrameGuard, describeFrameProblem } from '../../transport/mqtt-wire.js';
import { soakMaxPacketBytes } from './mqtt-options.js';
import { decodeSoakMessage, soakEncoder, type PayloadFormat } from './payload.js';

/**
 * How long a step of a first attempt (the connection, its CONNACK, the SUBACK) must have waited when the run's end
 * cut it short to count as not answered. 1 s is TCP's initial retransmission timeout (RFC 6298 §2.1,
 * https://www.rfc-editor.org/rfc/rfc6298#section-2): a shorter wait has not outlasted even one lost segment's
 * retry, so it cannot tell a slow path or broker from a dead one. A broker on a working path answers CONNECT and
 * SUBSCRIBE within a round trip or two.
 */
export const CUT_SHORT_EVIDENCE_MS = 1000;

export type ConnectFn = (url: string, opts: IClientOptions) => MqttClient;

export interface SoakClientOptions {
  index: number;
  clientId: string;
  topic: string;
  runId: string;
  url: string;
  mqttOptions: IClientOptions;
  qos: 0 | 1 | 2;
  /** 0 = idle (no messages, connection accounting only). */
  intervalMs: number;
  payloadBytes: number;
  payloadFormat: PayloadFormat;
  clean: boolean;
  /** Keep publishing while disconnected: MQTT.js queues QoS ≥ 1 publishes and sends them after the reconnect. */
  publishOffline?: boolean;
  policy: ReconnectPolicy;
  random: () => number;
  now: () => number;
  connect: ConnectFn;
  seq: SeqTracker;
  timeline: ConnectionTimeline;
  onEvent: (ev: SoakEvent) => void;
  /**
   * True when another client of this run with the same client id is connected or connecting: a broker
   * close is then a takeover. Mosquitto 2.0 closes the old connection without the MQTT 5 DISCONNECT 0x8E
   * ("Client x already connected, closing old connection."), so the reason code alone cannot tell.
   */
  sameIdActive?: () => boolean;
  /** Latency of each new arrival, ms. */
  onArrival: (latencyMs: number | undefined, kind: string) => void;
  /**
   * Longest wait for the SUBACK after a CONNACK (default: MQTT.js's connectTimeout). A client that publishes
   * only after its subscription is acknowledged is not ready before: a broker that accepts the connection and
   * never answers SUBSCRIBE must be a failure, not a quiet run of 0 messages.
   */
  readyTimeoutMs?: number;
  /** Classifies the first bytes of a connection that broke the protocol (transport/mqtt-wire.ts `sniff`). */
  sniff?: Sniff;
  /** CONNACK time of each connect, ms, from the socket's connect (TLS: secureConnect) to the chunk holding the CONNACK. */
  onConnackTime?: (ms: number) => void;
}

/** `subscribing`: CONNACK received, SUBACK not yet; the client holds the id but cannot publish. */
type State = 'connecting' | 'subscribing' | 'connected' | 'waiting' | 'stopped';

/**
 * mqtt-packet's parser errors (mqtt-packet parser.js `_emitError`: "Invalid …", "Cannot parse …",
 * "Malformed …", "Packet too short", …) and MQTT.js handlers/ack.js "unrecognized packet type". MQTT.js
 * emits them as 'error' and leaves the connection open (client.js `parser.on('error', …)`), so a server that
 * sends bytes that are not MQTT would hold the client until a timeout; soak closes it and names the cause.
 */
const PROTOCOL_ERROR =
  /^(Invalid |Cannot parse|Malformed|Packet too short|Not supported|Unknown property|Packet must not|Connect flag|Will (QoS|Retain)|unrecognized packet type)/;

/** What the client needs to know of a byte stream's first bytes (the transport layer classifies them). */
export type Sniff = (bytes: Buffer) => 'http' | 'tls' | 'unknown';

/**
 * An error or DISCONNECT that ends a connection is followed by its close within milliseconds (MQTT.js cleans
 * up right after a keepalive timeout; a broker closes after its DISCONNECT). Some errors leave the connection
 * up (handlers/ack.js "Protocol error", handlers/publish.js reason codes): older than this, a signal is not
 * the cause of a later close and must not date its outage.
 */
export const STALE_SIGNAL_MS = 5000;

/** Node clamps shorter timer delays to 1 ms (timers docs: setTimeout). */
const MIN_TIMER_MS = 1;
/** Messages owed after a stall are sent only up to this much of the schedule; the rest are not sent. */
const MAX_BURST_MS = 1000;
/** How early a timer firing may come and still count as on time (see tick). */
const EARLY_FIRING_MS = 2;
/** What a connection holds of its first bytes (enough for transport/mqtt-wire.ts `sniff` and a hex dump). */
const FIRST_BYTES = 16;
const NO_BYTES = Buffer.alloc(0);
/**
 * Publish options, one object per QoS for every client: MQTT.js copies them (client.ts publish: `{ ...defaultOpts,
 * ...opts }`), so a shared object costs nothing per client.
 */
const PUBLISH_OPTS = [{ qos: 0 }, { qos: 1 }, { qos: 2 }] as const;

export class SoakClient {
  private client: MqttClient | undefined;
  private state: State = 'connecting';
  /** Retries scheduled since the connection was lost (or since start); the policy's attempt index. */
  private attempt = 0;
  private everConnected = false;
  private publishing = false;
  /** A SUBACK for this run's topic came back on some connection of this run (the session may hold it). */
  private subscribed = false;
  /** Set at the end of a run: a reconnect during the drain must not start publishing again. */
  private quiesced = false;
  private pubTimer: NodeJS.Timeout | undefined;
  /** When publishing (re)started, and the publish ticks done since: tick k is due at pubFromMs + k × interval. */
  private pubFromMs = 0;
  private pubTicks = 0;
  private retryTimer: NodeJS.Timeout | undefined;
  private lastError: (Error & { code?: string | number }) | undefined;
  private disconnectRc: number | undefined;
  private firstSignalMs: number | undefined;
  /** The current attempt's stream: transport up (TCP, or TLS handshake done), first bytes, last byte time. */
  private transportUp = false;
  /** When the current attempt began (its byte stream was tapped). */
  private attemptStartMs: number | undefined;
  private socketUpMs: number | undefined;
  /** The attempt's first bytes, until its CONNACK (after it they were MQTT, and only sniffed before it). */
  private firstBytes: Buffer = NO_BYTES;
  private protocolError = false;
  /** When the last byte arrived on the current connection (wall clock ms): when a silent link went silent. */
  private lastByteMs: number | undefined;
  private lastChunkMs: number | undefined;
  /**
   * The first send (PUBLISH or PINGREQ) since the last byte received, while nothing has answered it: a link
   * that went silent was dead by then. Cleared by every arriving chunk.
   */
  private unansweredSendMs: number | undefined;
  private connackMs: number | undefined;
  private readyTimer: NodeJS.Timeout | undefined;
  /** Why soak itself closed the connection (no SUBACK in time), overriding what the close looks like. */
  private ownClose: Classified | undefined;
  /** This client's message encoder (made when it first publishes: an idle client never needs one). */
  private encode: ((seq: number, sentMs: number) => Buffer) | undefined;

  constructor(private readonly o: SoakClientOptions) {}

  get connected(): boolean {
    return this.state === 'connected';
  }

  /** Connected or trying to (holds or is about to take the client id). */
  get active(): boolean {
    return this.state === 'connected' || this.state === 'connecting' || this.state === 'subscribing';
  }

  /** Ever became ready (CONNACK, and SUBACK when it publishes). */
  get ready(): boolean {
    return this.everConnected;
  }

  /** When the last byte arrived on the current connection (undefined before any). */
  get lastByteAt(): number | undefined {
    return this.lastByteMs;
  }

  start(): void {
    const o = this.o;
    o.onEvent({ type: 'client', t: o.now(), client: o.index, clientId: o.clientId });
    const c = o.connect(o.url, {
      ...o.mqttOptions,
      clientId: o.clientId,
      reconnectPeriod: 0,
      resubscribe: false,
      clean: o.clean,
    });
    this.client = c;
    // MQTT.js's KeepaliveManager pings through client.sendPing(): note when each ping leaves, so a silent idle
    // link's outage has an upper bound on its start (a ping every keepalive, never per message).
    // (The method itself, called on c: a bound copy per connection would cost memory for nothing.)
    const ping = typeof c.sendPing === 'function' ? c.sendPing : undefined;
    if (ping) {
      c.sendPing = () => {
        this.unansweredSendMs ??= o.now();
        ping.call(c);
      };
    }
    this.tapStream();
    SoakClient.owners.set(c, this);
    c.on('connect', SoakClient.connectListener);
    c.on('error', SoakClient.errorListener);
    c.on('disconnect', SoakClient.disconnectListener);
    c.on('close', SoakClient.closeListener);
    // Per message: a closure of its own, not a lookup per arrival.
    if (o.intervalMs > 0) c.on('message', (_topic, payload) => this.onMessage(payload));
  }

  /**
   * The connection-level listeners are shared by every client of the process (EventEmitter calls a listener with
   * `this` = the emitter) and find their SoakClient here: a closure per event per connection held ~60 B each
   * for events that fire a few times in a connection's life.
   */
  private static readonly owners = new WeakMap<MqttClient, SoakClient>();
  private static connectListener(this: MqttClient, packet: { sessionPresent?: boolean }): void {
    SoakClient.owners.get(this)?.onConnack(Boolean(packet.sessionPresent));
  }
  private static errorListener(this: MqttClient, err: Error): void {
    SoakClient.owners.get(this)?.onError(err);
  }
  private static disconnectListener(this: MqttClient, packet: { reasonCode?: number }): void {
    SoakClient.owners.get(this)?.onDisconnect(packet.reasonCode ?? 0);
  }
  private static closeListener(this: MqttClient): void {
    SoakClient.owners.get(this)?.onClose();
  }

  private onError(err: Error): void {
    this.dropStaleSignals();
    this.lastError ??= err as Error & { code?: string | number };
    this.firstSignalMs ??= this.o.now();
    if ((err as { code?: unknown }).code === undefined && PROTOCOL_ERROR.test(err.message)) {
      this.protocolError = true;
      this.lastError = err as Error & { code?: string | number };
      this.client?.stream?.destroy();
    }
  }

  private onDisconnect(reasonCode: number): void {
    this.dropStaleSignals();
    this.disconnectRc = reasonCode;
    this.firstSignalMs ??= this.o.now();
  }

  /**
   * Watch the attempt's byte stream (MQTT.js makes a new one per connect()): the socket's connect starts the
   * CONNACK clock (MQTT.js wrote CONNECT into the stream before, so no encoding is inside it), each chunk's
   * arrival is stamped before MQTT.js parses it (prependListener), and the first bytes tell HTTP or TLS
   * from garbage.
   */
  private tapStream(): void {
    const o = this.o;
    const stream = this.client?.stream as
      | (NodeJS.ReadableStream & { prependListener: NodeJS.ReadableStream['prependListener'] })
      | undefined;
    this.transportUp = false;
    this.attemptStartMs = o.now();
    this.socketUpMs = undefined;
    this.firstBytes = NO_BYTES;
    this.protocolError = false;
    this.lastByteMs = undefined;
    this.unansweredSendMs = undefined;
    this.connackMs = undefined;
    this.ownClose = undefined;
    if (!stream || typeof stream.prependListener !== 'function') return;
    const up = () => {
      this.transportUp = true;
      this.socketUpMs = o.now();
    };
    // A TLS socket (encrypted: true) is up at 'secureConnect', after the handshake; a plain one at 'connect'
    // (once: an idle connection should not hold a listener that has done its work).
    stream.once((stream as { encrypted?: boolean }).encrypted === true ? 'secureConnect' : 'connect', up);
    // mqtt-packet's parser (under MQTT.js) buffers a packet whole: a broker that announces 200 MB would make it
    // hold 200 MB. Read each Remaining Length as it arrives and end the attempt at the first packet over what
    // this run can need (its payload + headroom, as announced in an MQTT 5 CONNECT; a 3.1.1 broker is not told).
    const guard = new FrameGuard(soakMaxPacketBytes(o.payloadBytes), o.mqttOptions.protocolVersion === 5 ? 5 : 4);
    let guarding = true;
    stream.prependListener('data', (chunk: Buffer) => {
      const problem = guarding ? guard.feed(chunk) : undefined;
      if (problem) guarding = false;
      if (problem?.kind === 'too-large') {
        this.protocolError = true;
        this.lastError = new Error(describeFrameProblem(problem));
        this.firstSignalMs ??= o.now();
        (stream as unknown as { destroy(): void }).destroy();
      }
      const t = o.now();
      this.transportUp = true;
      this.lastChunkMs = t;
      this.lastByteMs = t;
      this.unansweredSendMs = undefined;
      if (this.connackMs === undefined && this.firstBytes.length < FIRST_BYTES)
        this.firstBytes = Buffer.concat([this.firstBytes, chunk.subarray(0, FIRST_BYTES - this.firstBytes.length)]);
    });
  }

  private onConnack(sessionPresent: boolean): void {
    const o = this.o;
    if (this.state === 'stopped') return;
    const t = this.lastChunkMs ?? o.now();
    if (this.socketUpMs !== undefined) o.onConnackTime?.(Math.max(0, t - this.socketUpMs));
    this.connackMs = t;
    // The first bytes were a CONNACK (MQTT), not HTTP or TLS: nothing after this reads them (observation's
    // `looksLike` matters before the CONNACK only, and bytesBeforeConnack is for attempts without one).
    this.firstBytes = NO_BYTES;
    const needsSuback = o.intervalMs > 0 && !(sessionPresent && this.subscribed);
    if (!needsSuback) {
      this.becomeReady(sessionPresent);
      return;
    }
    // A new session has no subscription: subscribe first, then publish, so nothing is sent before the
    // broker can route it back (MQTT.js's own resubscribe runs after its offline queue is flushed).
    // Publish even when the subscription was refused (SUBACK 0x80, an ACL): the messages then count as lost
    // and the report says none came back, which is the finding. No SUBACK at all within the bound is a
    // failed attempt with its own cause (no-suback): the broker took the connection and never served it.
    this.state = 'subscribing';
    const bound = this.subackBoundMs();
    this.readyTimer = setTimeout(() => {
      this.readyTimer = undefined;
      if (this.state !== 'subscribing') return;
      this.ownClose = { cause: 'no-suback', detail: `CONNACK received, no SUBACK within ${Math.round(bound)} ms` };
      this.client?.stream?.destroy();
    }, bound);
    this.client?.subscribe(o.topic, { qos: o.qos }, (err) => {
      if (this.state !== 'subscribing') return;
      // A SUBACK refusal carries its reason code (MQTT.js handlers/ack.js); an error without one is MQTT.js
      // failing the pending SUBSCRIBE as the connection closes ("Connection closed", client.js
      // _flushVolatile): no SUBACK came, and the close that follows is the failed attempt.
      if (err && typeof (err as { code?: unknown }).code !== 'number') return;
      if (!err) this.subscribed = true;
      this.becomeReady(sessionPresent);
    });
  }

  /** The connection is usable: count the connect (at the CONNACK's time) and start publishing. */
  private becomeReady(sessionPresent: boolean): void {
    const o = this.o;
    if (this.readyTimer) clearTimeout(this.readyTimer);
    this.readyTimer = undefined;
    const t = this.connackMs ?? o.now();
    const sessionExpected = !o.clean && this.everConnected;
    this.state = 'connected';
    this.everConnected = true;
    o.onEvent({ type: 'connect', t, client: o.index, attempt: this.attempt, sessionPresent, sessionExpected });
    o.timeline.connect(t, sessionPresent, sessionExpected);
    this.attempt = 0;
    this.resetSignals();
    if (o.intervalMs > 0) this.startPublishing();
  }

  private startPublishing(): void {
    if (this.publishing || this.quiesced) return;
    this.publishing = true;
    this.pubFromMs = this.o.now();
    this.pubTicks = 0;
    // A Node timer fires at most about once a millisecond (and each firing comes a little late), so a timer per
    // message cannot pass ~900/s; each firing sends the messages due since publishing started instead.
    this.pubTimer = setInterval(() => this.tick(), Math.max(MIN_TIMER_MS, this.o.intervalMs));
    this.tick();
  }

  private stopPublishing(): void {
    this.publishing = false;
    if (this.pubTimer) clearInterval(this.pubTimer);
    this.pubTimer = undefined;
  }

  /** Send the messages due by now (at most a burst's worth: a stalled process does not flood on waking). */
  private tick(): void {
    const o = this.o;
    // A timer firing is often a fraction of a millisecond early against the clock the schedule is read with; such
    // a firing is on time, or the next one would send two messages at once (an uneven schedule, and two QoS 2
    // deliveries in flight, which aedes 1.2.0 completes wrongly: it sent one PUBREL twice and never the other).
    const earlyMs = Math.min(EARLY_FIRING_MS, o.intervalMs / 2);
    const due = Math.floor((o.now() - this.pubFromMs + earlyMs) / o.intervalMs) + 1;
    const maxBurst = Math.max(1, Math.ceil(MAX_BURST_MS / o.intervalMs));
    if (due - this.pubTicks > maxBurst) this.pubTicks = due - maxBurst;
    while (this.pubTicks < due) {
      this.pubTicks += 1;
      this.publishOne();
    }
  }

  private publishOne(): void {
    const o = this.o;
    const c = this.client;
    const online = c !== undefined && this.state === 'connected' && c.connected;
    // The timer keeps running through outages, so every message the outage kept from being published is
    // counted (skipped while offline) instead of vanishing from the accounting.
    if (!c || (!online && !(o.publishOffline && o.qos > 0 && this.state !== 'subscribing'))) {
      o.seq.skipOffline();
      return;
    }
    const t = o.now();
    if (online) this.unansweredSendMs ??= t;
    const seq = o.seq.send(t, !online);
    this.encode ??= soakEncoder(o.runId, o.index, o.payloadFormat, o.payloadBytes);
    c.publish(o.topic, this.encode(seq, t), PUBLISH_OPTS[o.qos]);
  }

  private onMessage(payload: Buffer): void {
    const o = this.o;
    const t = o.now();
    const m = decodeSoakMessage(payload);
    if (!m || m.run !== o.runId || m.client !== o.index) {
      o.onArrival(undefined, 'foreign');
      return;
    }
    const offline = o.seq.isOffline(m.seq);
    const kind = o.seq.receive(m.seq, t);
    o.onArrival((kind === 'new' || kind === 'out-of-order') && !offline ? t - m.sentMs : undefined, kind);
  }

  private onClose(): void {
    const o = this.o;
    if (this.state === 'stopped' || this.state === 'waiting') return;
    if (this.readyTimer) clearTimeout(this.readyTimer);
    this.readyTimer = undefined;
    this.dropStaleSignals();
    const t = this.firstSignalMs ?? o.now();
    const obs = this.observation();
    // A takeover (the broker's close after CONNACK while a same-id twin of this run is active) is the shared
    // classifier's reading (analyze/close-cause.ts via classifyDisconnect), as `analyze` reads it from a capture.
    const { cause, detail, kb, reasonCode } = this.ownClose ?? classifyDisconnect(obs);
    const rc = { ...(reasonCode === undefined ? {} : { reasonCode }), ...(kb === undefined ? {} : { kb }) };
    if (this.state === 'connected') {
      o.seq.disconnected();
      // A keepalive timeout is noticed up to 1.5 × keepalive after the link went silent: the outage began at
      // the last byte received (an upper bound on its start), and the event says both.
      const silent = cause === 'keepalive-timeout' ? this.silentBounds(t) : {};
      o.timeline.disconnect(t, cause, silent.silentSinceMs, silent.unansweredSendMs);
      o.onEvent({ type: 'disconnect', t, client: o.index, cause, detail, ...rc, ...silent });
    } else {
      o.timeline.connectFailed(t, cause);
      o.onEvent({
        type: 'connect-failed',
        t,
        client: o.index,
        attempt: this.attempt,
        cause,
        detail,
        ...rc,
        ...this.bytesBeforeConnack(),
      });
    }
    this.resetSignals();
    this.scheduleReconnect();
  }

  private observation(): DisconnectObservation {
    const o = this.o;
    const err = this.lastError;
    return {
      phase: this.state === 'connected' ? 'session' : 'connect',
      errorCode: typeof err?.code === 'string' ? err.code : undefined,
      errorMessage: err?.message,
      reasonCode: this.disconnectRc ?? (typeof err?.code === 'number' ? err.code : undefined),
      disconnectPacket: this.disconnectRc !== undefined,
      mqttVersion: o.mqttOptions.protocolVersion === 5 ? 5 : 4,
      transportUp: this.transportUp,
      connackReceived: this.connackMs !== undefined,
      protocolError: this.protocolError,
      ...(o.sameIdActive?.() ? { twinActive: true, clientId: o.clientId } : {}),
      ...(this.firstBytes.length > 0 && o.sniff ? { looksLike: o.sniff(this.firstBytes) } : {}),
    };
  }

  /**
   * The run ended (its duration) while this client was still on its first attempt. An attempt the end cut short
   * with no error of its own is judged by how long its pending step had waited (cutShort), so a client that never
   * became ready is a failure with a cause, and a run where nothing became ready cannot read as healthy.
   */
  endAttempt(t: number): void {
    const o = this.o;
    if (this.state !== 'connecting' && this.state !== 'subscribing') return;
    // Only as the sole evidence: a client that was up, or whose attempts already failed, has its outage on
    // record, and an attempt the end merely cut short must not add a cause of its own.
    if (this.everConnected || o.timeline.connectFailures > 0) return;
    const c =
      this.state === 'connecting' && (this.lastError || this.protocolError)
        ? classifyDisconnect(this.observation())
        : this.cutShort(t);
    o.timeline.connectFailed(t, c.cause);
    o.onEvent({
      type: 'connect-failed',
      t,
      client: o.index,
      attempt: this.attempt,
      cause: c.cause,
      detail: c.detail,
      ...('reasonCode' in c && c.reasonCode !== undefined ? { reasonCode: c.reasonCode } : {}),
      ...this.bytesBeforeConnack(),
    });
    this.state = 'waiting';
  }

  /**
   * An attempt the run's end cut short with no error: which step was pending (the connection, its CONNACK, the
   * SUBACK) and since when. No timeout had expired (MQTT.js or the SUBACK bound would have said so). A step that
   * had waited CUT_SHORT_EVIDENCE_MS or more counts as not answered, with the step's own cause; a shorter wait
   * blames no one: the run ended first ('run-ended').
   */
  private cutShort(t: number): Classified {
    const step =
      this.state === 'subscribing'
        ? { cause: 'no-suback' as const, since: this.connackMs, what: 'CONNACK received, no SUBACK' }
        : this.transportUp
          ? { cause: 'no-connack' as const, since: this.socketUpMs, what: 'connection up, no CONNACK' }
          : { cause: 'connect-timeout' as const, since: undefined, what: 'connection not up' };
    const waitedMs = t - (step.since ?? this.attemptStartMs ?? t);
    // Both bounds are --connect-timeout on the command line (the CLI passes it as the ready timeout too).
    const limitMs = this.state === 'subscribing' ? this.subackBoundMs() : this.connackBoundMs();
    const detail = `${step.what} in the ${Math.round(waitedMs)} ms left of the run (--connect-timeout ${formatDuration(limitMs)} not reached)`;
    return { cause: waitedMs >= CUT_SHORT_EVIDENCE_MS ? step.cause : 'run-ended', detail };
  }

  /** How long MQTT.js waits for a CONNACK: connectTimeout, its default 30 s (client.js defaultConnectOptions). */
  private connackBoundMs(): number {
    return Number(this.o.mqttOptions.connectTimeout ?? 30_000);
  }

  /** How long a CONNACK-ed client waits for its SUBACK: the ready timeout, else the CONNACK's bound. */
  private subackBoundMs(): number {
    return this.o.readyTimeoutMs ?? this.connackBoundMs();
  }

  /**
   * The attempt's first bytes (hex) when no CONNACK was read: what a server that broke off said, for the one
   * failure route (a CONNACK cut short, a TLS alert). Read once per failed attempt, never per message.
   */
  private bytesBeforeConnack(): { firstBytes?: string } {
    return this.connackMs === undefined && this.firstBytes.length > 0
      ? { firstBytes: this.firstBytes.toString('hex') }
      : {};
  }

  /**
   * When a silent link, found dead at `t`, went silent: after its last byte received and before its first send
   * that got no answer (both when known and before `t`).
   */
  private silentBounds(t: number): { silentSinceMs?: number; unansweredSendMs?: number } {
    const since = this.lastByteMs;
    if (since === undefined || since >= t) return {};
    const sent = this.unansweredSendMs;
    return sent !== undefined && sent > since && sent <= t
      ? { silentSinceMs: since, unansweredSendMs: sent }
      : { silentSinceMs: since };
  }

  private dropStaleSignals(): void {
    if (this.firstSignalMs !== undefined && this.o.now() - this.firstSignalMs > STALE_SIGNAL_MS) this.resetSignals();
  }

  private resetSignals(): void {
    this.lastError = undefined;
    this.disconnectRc = undefined;
    this.firstSignalMs = undefined;
  }

  private scheduleReconnect(): void {
    const o = this.o;
    this.state = 'waiting';
    // The first retry after a loss (or after a failed first connect) waits delay(0), the next delay(1), …;
    // the counter resets on every CONNACK.
    const delay = reconnectDelayMs(o.policy, this.attempt, o.random);
    this.attempt += 1;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      const c = this.client;
      if (this.state !== 'waiting' || !c) return;
      this.state = 'connecting';
      // Keep the stores: MQTT.js's reconnect() without them starts empty ones and forgets unacked QoS 1/2.
      c.reconnect({ incomingStore: c.incomingStore, outgoingStore: c.outgoingStore });
      this.tapStream();
    }, delay);
  }

  /**
   * End of run: is the link still alive? A PINGREQ goes out and any byte back within `waitMs` says yes. No
   * byte means the link died after its last byte and nobody noticed yet (the drop fell in the last keepalive
   * window): that is a disconnect, counted from the last byte received.
   */
  async checkAlive(waitMs: number): Promise<void> {
    const o = this.o;
    const c = this.client;
    const stream = c?.stream;
    if (this.state !== 'connected' || !c || !stream) return;
    const answered = await new Promise<boolean>((resolve) => {
      const onData = () => {
        clearTimeout(timer);
        resolve(true);
      };
      const timer = setTimeout(() => {
        stream.off('data', onData);
        resolve(false);
      }, waitMs);
      stream.once('data', onData);
      try {
        c.sendPing();
      } catch {
        // A stream that cannot take the write is as dead as one that does not answer.
      }
    });
    if (answered || this.state !== 'connected') return;
    const t = o.now();
    const silent = this.silentBounds(t);
    o.seq.disconnected();
    o.timeline.disconnect(t, 'keepalive-timeout', silent.silentSinceMs, silent.unansweredSendMs);
    o.onEvent({
      type: 'disconnect',
      t,
      client: o.index,
      cause: 'keepalive-timeout',
      detail: `no answer to a PINGREQ within ${waitMs} ms at the end of the run: the link went silent before the keepalive noticed`,
      ...silent,
    });
    this.state = 'waiting';
  }

  /** Stop publishing but stay connected (the drain phase waits for in-flight messages). */
  quiesce(): void {
    this.quiesced = true;
    this.stopPublishing();
  }

  /** Close for good: DISCONNECT if connected, no reconnect. */
  async stop(): Promise<void> {
    this.stopPublishing();
    if (this.readyTimer) clearTimeout(this.readyTimer);
    this.readyTimer = undefined;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    const wasConnected = this.state === 'connected';
    this.state = 'stopped';
    const c = this.client;
    if (!c) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        // end(false) waits for 'outgoingEmpty' (every QoS 1/2 publish acknowledged); a broker that never
        // acks keeps it waiting, and a second end() returns at once because MQTT.js is already
        // 'disconnecting' (client.js end()), leaving the socket and its keepalive open for 1.5 × keepalive.
        // Destroying the stream closes it now; MQTT.js's 'close' handler stops the keepalive.
        c.stream?.destroy();
        resolve();
      }, 1000);
      c.end(!wasConnected, () => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
}
