/**
 * One soak client: an MQTT.js connection with reconnectPeriod 0, driven by mqtt-doctor's own reconnect
 * scheduler so the policy under test is exactly the one the user chose. It publishes sequence-numbered
 * messages to its own topic, subscribes to it, and reports every connect, failed attempt and disconnect
 * (classified) as an event. Accounting lives in the pure SeqTracker / ConnectionTimeline it is handed.
 */
import type { IClientOptions, MqttClient } from 'mqtt';
import type { ReconnectPolicy } from '../../config/reconnect.js';
import { reconnectDelayMs } from '../../config/reconnect.js';
import { classifyDisconnect, kbEntryFor } from '../../analyze/soak/causes.js';
import type { ConnectionTimeline } from '../../analyze/soak/connection.js';
import type { SeqTracker } from '../../analyze/soak/sequence.js';
import type { SoakEvent } from '../../analyze/soak/events.js';
import { decodeSoakMessage, encodeSoakMessage, type PayloadFormat } from './payload.js';

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
}

type State = 'connecting' | 'connected' | 'waiting' | 'stopped';

/**
 * An error or DISCONNECT that ends a connection is followed by its close within milliseconds (MQTT.js cleans
 * up right after a keepalive timeout; a broker closes after its DISCONNECT). Some errors leave the connection
 * up (handlers/ack.js "Protocol error", handlers/publish.js reason codes): older than this, a signal is not
 * the cause of a later close and must not date its outage.
 */
export const STALE_SIGNAL_MS = 5000;

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
  private retryTimer: NodeJS.Timeout | undefined;
  private lastError: (Error & { code?: string | number }) | undefined;
  private disconnectRc: number | undefined;
  private firstSignalMs: number | undefined;
  private readonly payloadOpts: { qos: 0 | 1 | 2 };

  constructor(private readonly o: SoakClientOptions) {
    this.payloadOpts = { qos: o.qos };
  }

  get connected(): boolean {
    return this.state === 'connected';
  }

  /** Connected or trying to (holds or is about to take the client id). */
  get active(): boolean {
    return this.state === 'connected' || this.state === 'connecting';
  }

  start(): void {
    const o = this.o;
    o.onEvent({ type: 'client', t: o.now(), client: o.index, clientId: o.clientId });
    const c = o.connect(o.url, { ...o.mqttOptions, clientId: o.clientId, reconnectPeriod: 0, resubscribe: false, clean: o.clean });
    this.client = c;
    c.on('connect', (packet) => this.onConnack(Boolean(packet.sessionPresent)));
    c.on('error', (err) => {
      this.dropStaleSignals();
      this.lastError ??= err as Error & { code?: string | number };
      this.firstSignalMs ??= o.now();
    });
    c.on('disconnect', (packet) => {
      this.dropStaleSignals();
      this.disconnectRc = packet.reasonCode ?? 0;
      this.firstSignalMs ??= o.now();
    });
    c.on('close', () => this.onClose());
    if (o.intervalMs > 0) c.on('message', (_topic, payload) => this.onMessage(payload));
  }

  private onConnack(sessionPresent: boolean): void {
    const o = this.o;
    if (this.state === 'stopped') return;
    const t = o.now();
    const sessionExpected = !o.clean && this.everConnected;
    this.state = 'connected';
    this.everConnected = true;
    o.onEvent({ type: 'connect', t, client: o.index, attempt: this.attempt, sessionPresent, sessionExpected });
    o.timeline.connect(t, sessionPresent, sessionExpected);
    this.attempt = 0;
    this.resetSignals();
    if (o.intervalMs <= 0) return;
    // A present session holds our subscription only if this run made it: with a fixed --client-id and
    // --no-clean the first CONNACK can find an earlier run's session, subscribed to that run's topic.
    if (sessionPresent && this.subscribed) {
      this.startPublishing();
      return;
    }
    // A new session has no subscription: subscribe first, then publish, so nothing is sent before the
    // broker can route it back (MQTT.js's own resubscribe runs after its offline queue is flushed).
    // Publish even when the subscription was refused (SUBACK 0x80, an ACL): the messages then count as lost
    // and the report says none came back, which is the finding.
    this.client?.subscribe(o.topic, { qos: o.qos }, (err) => {
      if (!err) this.subscribed = true;
      if (this.state === 'connected') this.startPublishing();
    });
  }

  private startPublishing(): void {
    if (this.publishing || this.quiesced) return;
    this.publishing = true;
    this.pubTimer = setInterval(() => this.tick(), this.o.intervalMs);
    this.tick();
  }

  private stopPublishing(): void {
    this.publishing = false;
    if (this.pubTimer) clearInterval(this.pubTimer);
    this.pubTimer = undefined;
  }

  private tick(): void {
    const o = this.o;
    const c = this.client;
    const online = c !== undefined && this.state === 'connected' && c.connected;
    if (!c || (!online && !(o.publishOffline && o.qos > 0))) {
      o.seq.skipOffline();
      return;
    }
    const t = o.now();
    const seq = o.seq.send(t, !online);
    c.publish(o.topic, encodeSoakMessage({ run: o.runId, client: o.index, seq, sentMs: t }, o.payloadFormat, o.payloadBytes), this.payloadOpts);
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
    this.dropStaleSignals();
    const t = this.firstSignalMs ?? o.now();
    const err = this.lastError;
    const obs = {
      phase: this.state === 'connected' ? ('session' as const) : ('connect' as const),
      errorCode: typeof err?.code === 'string' ? err.code : undefined,
      errorMessage: err?.message,
      reasonCode: this.disconnectRc ?? (typeof err?.code === 'number' ? err.code : undefined),
      disconnectPacket: this.disconnectRc !== undefined,
      mqttVersion: o.mqttOptions.protocolVersion === 5 ? (5 as const) : (4 as const),
    };
    let { cause, detail, reasonCode, kb } = classifyDisconnect(obs);
    if (this.state === 'connected' && (cause === 'broker-closed' || cause === 'reset') && o.sameIdActive?.()) {
      cause = 'session-taken-over';
      detail = `${detail}, while another client with id ${o.clientId} was connecting`;
      kb = kbEntryFor({ cause, detail }, obs);
    }
    const rc = { ...(reasonCode === undefined ? {} : { reasonCode }), ...(kb === undefined ? {} : { kb }) };
    if (this.state === 'connected') {
      if (!o.publishOffline) this.stopPublishing();
      o.seq.disconnected();
      o.timeline.disconnect(t, cause);
      o.onEvent({ type: 'disconnect', t, client: o.index, cause, detail, ...rc });
    } else {
      o.timeline.connectFailed(t, cause);
      o.onEvent({ type: 'connect-failed', t, client: o.index, attempt: this.attempt, cause, detail, ...rc });
    }
    this.resetSignals();
    this.scheduleReconnect();
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
    }, delay);
  }

  /** Stop publishing but stay connected (the drain phase waits for in-flight messages). */
  quiesce(): void {
    this.quiesced = true;
    this.stopPublishing();
  }

  /** Close for good: DISCONNECT if connected, no reconnect. */
  async stop(): Promise<void> {
    this.stopPublishing();
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
