/**
 * The soak event stream: what `--out soak.jsonl` holds, one JSON object a line, and how `report` replays it.
 * Connection events are written as they happen; message accounting goes into a `checkpoint` line every
 * interval and an `end` line, so a killed run loses at most one interval of message counts and none of its
 * connection history. Pure: replay takes parsed lines and returns timelines.
 */
import type { DisconnectCause } from './causes.js';
import { ConnectionTimeline } from './connection.js';
import type { SoakSummary } from './summary.js';

export const SOAK_FILE_VERSION = 1;

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
  | { type: 'start'; v: number; t: number; runId: string; info: SoakRunInfo }
  | { type: 'client'; t: number; client: number; clientId: string }
  | { type: 'connect'; t: number; client: number; attempt: number; sessionPresent: boolean; sessionExpected: boolean }
  | { type: 'connect-failed'; t: number; client: number; attempt: number; cause: DisconnectCause; detail: string; reasonCode?: number; kb?: string }
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
    }
  | { type: 'checkpoint'; t: number; summary: SoakSummary }
  | { type: 'end'; t: number; reason: EndReason; summary: SoakSummary };

/** `refused`: no client ever connected and the broker refused every attempt permanently (soak stopped retrying). */
export type EndReason = 'duration' | 'signal' | 'error' | 'refused';

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

/** Parse JSONL text; a torn last line (the process died mid-write) is counted, not fatal. */
export function parseSoakLines(text: string): { events: SoakEvent[]; badLines: number } {
  const events: SoakEvent[] = [];
  let bad = 0;
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    try {
      const ev = JSON.parse(line) as SoakEvent;
      if (ev && typeof ev === 'object' && typeof ev.type === 'string') events.push(ev);
      else bad += 1;
    } catch {
      bad += 1;
    }
  }
  return { events, badLines: bad };
}

export function replaySoak(events: readonly SoakEvent[], keepRecent = 20): Omit<Replayed, 'badLines'> {
  let start: Replayed['start'];
  let last: Replayed['last'];
  let end: Replayed['end'];
  let lastT: number | undefined;
  const timelines = new Map<number, ConnectionTimeline>();
  const recent: Replayed['recentDisconnects'] = [];
  let flapMs: number | undefined;
  const tl = (client: number, t: number) => {
    let x = timelines.get(client);
    if (!x) {
      x = new ConnectionTimeline(client, t, flapMs);
      timelines.set(client, x);
    }
    return x;
  };
  for (const ev of events) {
    lastT = Math.max(lastT ?? ev.t, ev.t);
    switch (ev.type) {
      case 'start':
        start = ev;
        flapMs = ev.info.flapThresholdMs;
        break;
      case 'client':
        tl(ev.client, ev.t);
        break;
      case 'connect':
        tl(ev.client, ev.t).connect(ev.t, ev.sessionPresent, ev.sessionExpected);
        break;
      case 'connect-failed':
        tl(ev.client, ev.t).connectFailed(ev.t, ev.cause);
        recent.push(ev);
        break;
      case 'disconnect':
        tl(ev.client, ev.t).disconnect(ev.t, ev.cause, ev.silentSinceMs);
        recent.push(ev);
        break;
      case 'checkpoint':
        last = ev;
        break;
      case 'end':
        last = ev;
        end = ev;
        break;
    }
    if (recent.length > keepRecent * 2) recent.splice(0, recent.length - keepRecent);
  }
  if (recent.length > keepRecent) recent.splice(0, recent.length - keepRecent);
  return {
    start,
    timelines: [...timelines.values()].sort((a, b) => a.client - b.client),
    last,
    end,
    lastEventMs: lastT,
    recentDisconnects: recent,
  };
}
