/**
 * The soak event stream: what `--out soak.jsonl` holds, one JSON object a line, and how `report` replays it.
 * Connection events are written as they happen; message accounting goes into a `checkpoint` line every
 * interval and an `end` line, so a killed run loses at most one interval of message counts and none of its
 * connection history. Pure: replay takes parsed lines and returns timelines.
 */
import { CAUSES, type DisconnectCause } from './causes.js';
import { ConnectionTimeline } from './connection.js';
import type { SoakSummary } from './summary.js';

/**
 * Version of the JSONL file soak writes (the `v` of its start line). 2 added `silentSinceMs` on disconnects,
 * the causes no-connack, not-mqtt and no-suback, and `fleet`, `saturation` and `window` in summaries; 3 the cause
 * run-ended. A reader takes every version up to its own and says when a file is newer (an older one counts the
 * lines with a cause it does not know as bad).
 */
export const SOAK_FILE_VERSION = 3;

/** Settings the report needs to explain the run (never credentials). */
export interface SoakRunInfo {
  target: string;
  clients: number;
  qos: 0 | 1 | 2;
  ratePerS: number;
  payloadBytes: number;
  keepaliveS: number;
  clean: boolean;
  mqttVersion: 4 | 5;
  reconnect: string;
  durationMs: number | null;
  checkpointMs: number;
  flapThresholdMs: number;
  lossGraceMs: number;
  /** --publish-offline: keep publishing while disconnected (absent in files from before it existed). */
  publishOffline?: boolean;
}

/**
 * `attempt` counts retries since the connection was lost (1 = the first retry); 0 is the first connect of
 * the run. `t` is wall-clock ms since the epoch.
 */
export type SoakEvent =
  | { type: 'start'; v: number; t: number; runId: string; info: SoakRunInfo; shard?: ShardTag }
  | (SoakRecord & { shard?: number });

/** A sharded run's start line names its shard; every other line carries `shard: index` (see analyze/soak/merge.ts). */
export interface ShardTag {
  index: number;
  count: number;
}

type SoakRecord =
  | { type: 'client'; t: number; client: number; clientId: string }
  | { type: 'connect'; t: number; client: number; attempt: number; sessionPresent: boolean; sessionExpected: boolean }
  | {
      type: 'connect-failed';
      t: number;
      client: number;
      attempt: number;
      cause: DisconnectCause;
      detail: string;
      reasonCode?: number;
      kb?: string;
      /**
       * The first bytes the server sent on this attempt, hex (at most 16), when no CONNACK was read: a CONNACK
       * cut short or a TLS alert to a plaintext CONNECT is named from them (analyze/failure.ts).
       */
      firstBytes?: string;
    }
  | {
      type: 'disconnect';
      /** When the loss was detected. */
      t: number;
      client: number;
      cause: DisconnectCause;
      detail: string;
      reasonCode?: number;
      kb?: string;
      /** A silent link (keepalive timeout): when its last byte arrived; the outage is counted from here. */
      silentSinceMs?: number;
      /**
       * The first send after that byte that got no answer: the link was dead by then. The outage began between
       * `silentSinceMs` and this (an idle link's last byte may be its CONNACK). Absent when no send was made.
       */
      unansweredSendMs?: number;
    }
  | { type: 'checkpoint'; t: number; summary: SoakSummary }
  | { type: 'end'; t: number; reason: EndReason; summary: SoakSummary; crossCheck?: PortCheck };

/**
 * What soak learnt by asking the port itself, at the end of a run where no client ever connected and the server
 * closed plaintext CONNECTs without a byte (a TLS listener does: OpenSSL closes on a record that is not TLS,
 * "wrong version number", without an alert): did a TLS handshake on the same port succeed?
 */
export interface PortCheck {
  tried: 'tls';
  answered: boolean;
}

/** `refused`: no client ever connected and the broker refused every attempt permanently (soak stopped retrying). */
export type EndReason = 'duration' | 'signal' | 'error' | 'refused';

const END_REASONS: ReadonlySet<string> = new Set(['duration', 'signal', 'error', 'refused']);
const CAUSE_SET: ReadonlySet<string> = new Set(CAUSES);

type Obj = Record<string, unknown>;
const isObj = (x: unknown): x is Obj => typeof x === 'object' && x !== null && !Array.isArray(x);
const num = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x);
const int = (x: unknown): x is number => Number.isSafeInteger(x) && (x as number) >= 0;
const str = (x: unknown): x is string => typeof x === 'string';
const bool = (x: unknown): x is boolean => typeof x === 'boolean';
const opt = (x: unknown, check: (y: unknown) => boolean): boolean => x === undefined || check(x);

function validInfo(i: unknown): boolean {
  return (
    isObj(i) &&
    str(i.target) &&
    int(i.clients) &&
    (i.qos === 0 || i.qos === 1 || i.qos === 2) &&
    num(i.ratePerS) &&
    num(i.payloadBytes) &&
    num(i.keepaliveS) &&
    bool(i.clean) &&
    (i.mqttVersion === 4 || i.mqttVersion === 5) &&
    str(i.reconnect) &&
    (i.durationMs === null || num(i.durationMs)) &&
    num(i.checkpointMs) &&
    num(i.flapThresholdMs) &&
    num(i.lossGraceMs) &&
    opt(i.publishOffline, bool)
  );
}

const CONNECTION_NUMBERS = [
  'connects',
  'reconnects',
  'maxReconnectsPerClient',
  'disconnects',
  'connectFailures',
  'sessionsLost',
  'downtimeTotalMs',
  'worstClientDowntimeMs',
  'uptimePct',
  'flaps',
  'flapThresholdMs',
  'neverConnected',
  'connectedNow',
];
const MESSAGE_NUMBERS = [
  'sent',
  'received',
  'lost',
  'duplicates',
  'outOfOrder',
  'late',
  'skippedOffline',
  'inflightAtDisconnect',
  'recoveredAfterReconnect',
  'foreign',
  'lossPct',
];

function validHistogram(h: unknown): boolean {
  return (
    isObj(h) &&
    num(h.base) &&
    h.unit === 'us' &&
    int(h.count) &&
    num(h.sumMs) &&
    (h.minMs === null || num(h.minMs)) &&
    (h.maxMs === null || num(h.maxMs)) &&
    Array.isArray(h.buckets) &&
    h.buckets.every((b) => Array.isArray(b) && b.length === 2 && Number.isSafeInteger(b[0]) && int(b[1]))
  );
}

/** The parts of a summary the report reads; the rest is carried as written. */
function validSummary(x: unknown): boolean {
  if (
    !isObj(x) ||
    !num(x.atMs) ||
    !num(x.startedMs) ||
    !num(x.elapsedMs) ||
    !int(x.clients) ||
    !Array.isArray(x.perClient)
  )
    return false;
  return (
    validConnections(x.connections) &&
    validMessages(x.messages) &&
    (x.fleet === undefined || validFleet(x.fleet)) &&
    (x.saturation === undefined || validSaturation(x.saturation)) &&
    (x.window === undefined || validWindow(x.window)) &&
    x.perClient.every(validClientRow)
  );
}

function validConnections(c: unknown): boolean {
  if (!isObj(c) || !CONNECTION_NUMBERS.every((k) => num(c[k])) || !isObj(c.byCause)) return false;
  return Object.entries(c.byCause).every(([k, v]) => CAUSE_SET.has(k) && num(v));
}

function validMessages(m: unknown): boolean {
  if (!isObj(m) || !MESSAGE_NUMBERS.every((k) => num(m[k]))) return false;
  const lat = m.latencyMs;
  return (
    lat === null ||
    lat === undefined ||
    (isObj(lat) && ['count', 'avg', 'p50', 'p90', 'p99', 'max'].every((k) => num(lat[k])))
  );
}

function validFleet(f: unknown): boolean {
  return (
    isObj(f) &&
    num(f.askedPerS) &&
    int(f.firstConnects) &&
    (f.achievedPerS === null || num(f.achievedPerS)) &&
    (f.connackMs === null || isObj(f.connackMs))
  );
}

function validSaturation(sat: unknown): boolean {
  return (
    isObj(sat) && ['windows', 'totalMs', 'loopDelayMaxMs', 'cpuMaxPct', 'failuresDuring'].every((k) => num(sat[k]))
  );
}

function validWindow(w: unknown): boolean {
  return isObj(w) && num(w.fromMs) && num(w.toMs) && validHistogram(w.latency) && validHistogram(w.connack);
}

function validClientRow(r: unknown): boolean {
  return (
    isObj(r) &&
    int(r.client) &&
    ['connects', 'reconnects', 'downtimeMs', 'sent', 'received', 'lost', 'duplicates', 'outOfOrder'].every((k) =>
      num(r[k]),
    )
  );
}

const validShardTag = (s: unknown): boolean =>
  isObj(s) && int(s.index) && int(s.count) && s.count >= 1 && s.index < s.count;

const failure = (e: Obj): boolean =>
  int(e.client) &&
  str(e.cause) &&
  CAUSE_SET.has(e.cause) &&
  str(e.detail) &&
  opt(e.reasonCode, num) &&
  opt(e.kb, str) &&
  opt(e.firstBytes, str) &&
  opt(e.silentSinceMs, num) &&
  opt(e.unansweredSendMs, num);

/** Per event type: does a parsed line have the fields, of the types, the replay needs? */
const VALID: Record<SoakEvent['type'], (e: Obj) => boolean> = {
  start: (e) => int(e.v) && str(e.runId) && validInfo(e.info),
  client: (e) => int(e.client) && str(e.clientId),
  connect: (e) => int(e.client) && int(e.attempt) && bool(e.sessionPresent) && bool(e.sessionExpected),
  'connect-failed': (e) => int(e.attempt) && failure(e),
  disconnect: failure,
  checkpoint: (e) => validSummary(e.summary),
  end: (e) =>
    str(e.reason) &&
    END_REASONS.has(e.reason) &&
    validSummary(e.summary) &&
    opt(e.crossCheck, (x) => isObj(x) && x.tried === 'tls' && bool(x.answered)),
};

/**
 * One parsed JSON value against the file's schema: the event when it fits, undefined when it does not (a
 * bad line, counted, never fatal: `report` reads whatever a killed, torn or hand-edited file still holds).
 */
export function validateSoakEvent(x: unknown): SoakEvent | undefined {
  if (!isObj(x) || !str(x.type) || !num(x.t) || !Object.hasOwn(VALID, x.type)) return undefined;
  if (x.type === 'start' ? !opt(x.shard, validShardTag) : !opt(x.shard, int)) return undefined;
  return VALID[x.type as SoakEvent['type']](x) ? (x as unknown as SoakEvent) : undefined;
}

export interface Replayed {
  start: Extract<SoakEvent, { type: 'start' }> | undefined;
  timelines: ConnectionTimeline[];
  /** The last checkpoint or end line. */
  last: Extract<SoakEvent, { type: 'checkpoint' | 'end' }> | undefined;
  end: Extract<SoakEvent, { type: 'end' }> | undefined;
  lastEventMs: number | undefined;
  /** The last disconnect / failed attempt events (most recent last), for the report's event list. */
  recentDisconnects: Array<Extract<SoakEvent, { type: 'disconnect' | 'connect-failed' }>>;
  badLines: number;
}

/**
 * Parse JSONL text: every line that is not JSON or does not fit the schema (a torn last line, an unknown
 * cause, a time that is not a number) is counted as bad, not fatal. `newerVersion` is the start line's
 * version when this reader is older than the file.
 */
export function parseSoakLines(text: string): { events: SoakEvent[]; badLines: number; newerVersion?: number } {
  const events: SoakEvent[] = [];
  let bad = 0;
  let newer: number | undefined;
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch {
      bad += 1;
      continue;
    }
    if (isObj(parsed) && parsed.type === 'start' && int(parsed.v) && parsed.v > SOAK_FILE_VERSION) newer = parsed.v;
    const ev = validateSoakEvent(parsed);
    if (ev) events.push(ev);
    else bad += 1;
  }
  return { events, badLines: bad, ...(newer !== undefined ? { newerVersion: newer } : {}) };
}

export function replaySoak(events: readonly SoakEvent[], keepRecent = 20): Omit<Replayed, 'badLines'> {
  const r = new SoakReplay(keepRecent);
  for (const ev of events) r.add(ev);
  return r.result();
}

/**
 * replaySoak one line at a time: a live merge (soak --workers) feeds each line as it arrives and reads the
 * result whenever it likes, so its work per status tick follows the lines since the last tick, not the run's.
 * Lines of one client must come in time order (each process writes its own clients' lines in order).
 */
export class SoakReplay {
  private start: Replayed['start'];
  private last: Replayed['last'];
  private end: Replayed['end'];
  private lastT: number | undefined;
  private readonly timelines = new Map<number, ConnectionTimeline>();
  private readonly recent: Replayed['recentDisconnects'] = [];
  private flapMs: number | undefined;
  /** Clients whose first connect was replayed, and the time of the latest such connect (the fleet's connect rate). */
  private readonly connectedOnce = new Set<number>();
  private lastFirstConnect: number | undefined;

  constructor(private readonly keepRecent = 20) {}

  add(ev: SoakEvent): void {
    this.lastT = Math.max(this.lastT ?? ev.t, ev.t);
    switch (ev.type) {
      case 'start':
        this.start = ev;
        this.flapMs = ev.info.flapThresholdMs;
        break;
      case 'client':
        this.timeline(ev.client, ev.t);
        break;
      case 'connect':
        this.timeline(ev.client, ev.t).connect(ev.t, ev.sessionPresent, ev.sessionExpected);
        if (!this.connectedOnce.has(ev.client)) {
          this.connectedOnce.add(ev.client);
          this.lastFirstConnect = Math.max(this.lastFirstConnect ?? ev.t, ev.t);
        }
        break;
      case 'connect-failed':
        this.timeline(ev.client, ev.t).connectFailed(ev.t, ev.cause);
        this.recent.push(ev);
        break;
      case 'disconnect':
        this.timeline(ev.client, ev.t).disconnect(ev.t, ev.cause, ev.silentSinceMs, ev.unansweredSendMs);
        this.recent.push(ev);
        break;
      case 'checkpoint':
        this.last = ev;
        break;
      case 'end':
        this.last = ev;
        this.end = ev;
        break;
    }
    if (this.recent.length > this.keepRecent * 2) this.recent.splice(0, this.recent.length - this.keepRecent);
  }

  /** Clients that connected at least once, and when the last of them first did (undefined before any). */
  get firstConnects(): { count: number; lastMs: number | undefined } {
    return { count: this.connectedOnce.size, lastMs: this.lastFirstConnect };
  }

  result(): Omit<Replayed, 'badLines'> {
    return {
      start: this.start,
      timelines: [...this.timelines.values()].sort((a, b) => a.client - b.client),
      last: this.last,
      end: this.end,
      lastEventMs: this.lastT,
      recentDisconnects: this.recent.slice(Math.max(0, this.recent.length - this.keepRecent)),
    };
  }

  private timeline(client: number, t: number): ConnectionTimeline {
    let x = this.timelines.get(client);
    if (!x) {
      x = new ConnectionTimeline(client, t, this.flapMs);
      this.timelines.set(client, x);
    }
    return x;
  }
}
