/**
 * What a running soak prints on stderr: the status line, the SIGUSR1 / key-press detail, and (for a few
 * clients) one line per connection event. Pure text from the summary and events; the caller writes it.
 */
import type { SoakEvent } from '../analyze/soak/events.js';
import type { SoakSummary } from '../analyze/soak/summary.js';
import { formatDuration } from '../config/units.js';

/** One status line: elapsed (of the total), connected, reconnects, loss, p99. */
export function soakStatusLine(s: SoakSummary, durationMs?: number | null): string {
  const m = s.messages;
  const p99 = m.latencyMs ? formatDuration(m.latencyMs.p99) : '—';
  const elapsed = durationMs
    ? `${formatDuration(s.elapsedMs)} of ${formatDuration(durationMs)}`
    : formatDuration(s.elapsedMs);
  const re = s.connections.reconnects;
  return `soak ${elapsed} · ${s.connections.connectedNow}/${s.clients} connected · ${re} reconnect${re === 1 ? '' : 's'} · ${m.lost} lost of ${m.sent} (${m.lossPct.toFixed(2)}%) · p99 ${p99}`;
}

/** The second line of the on-demand summary: disconnects by cause, downtime, duplicates, reordering. */
export function soakDetailLine(s: SoakSummary): string {
  const c = s.connections;
  const by = Object.entries(c.byCause)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');
  const down = c.worstClientDowntimeMs === 0 ? '0 s' : formatDuration(c.worstClientDowntimeMs);
  return `  disconnects ${c.disconnects}${by ? ` (${by})` : ''}, downtime ${down} worst client, duplicates ${s.messages.duplicates}, out of order ${s.messages.outOfOrder}`;
}

/** A narrator of connection events for small runs: returns the line to print for an event, if any. */
export function soakEventNarrator(): (ev: SoakEvent) => string | undefined {
  const seenDown = new Set<number>();
  return (ev) => {
    if (ev.type === 'disconnect') {
      seenDown.add(ev.client);
      return `client ${ev.client}: connection lost (${ev.cause}: ${ev.detail})`;
    }
    if (ev.type === 'connect' && seenDown.has(ev.client)) {
      return `client ${ev.client}: connected again${ev.sessionExpected ? `, session present ${ev.sessionPresent ? 'yes' : 'NO'}` : ''}`;
    }
    if (ev.type === 'connect-failed') {
      seenDown.add(ev.client);
      return `client ${ev.client}: ${ev.attempt === 0 ? 'first connect' : `retry ${ev.attempt}`} failed (${ev.cause}: ${ev.detail})`;
    }
    return undefined;
  };
}
