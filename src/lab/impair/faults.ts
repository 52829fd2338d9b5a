/**
 * Pure per-chunk decisions of the impair proxy. Nothing here touches a socket or a timer: the proxy passes
 * the current time (ms, any monotonic origin) and a random() source, and gets back when each piece of a chunk
 * may be delivered. Tests drive these with a fake clock and a scripted random().
 *
 * Model of one direction of a link (what a TCP receiver would see):
 *   arrival ──▶ serialization at `bandwidthBps` (pieces queue behind each other)
 *           ──▶ propagation: latency ± uniform jitter
 *           ──▶ on a share of pieces, a retransmission-like stall
 *           ──▶ release, never before the previous piece (TCP delivers in order, so a late piece holds back
 *               everything behind it: that is what jitter and loss look like above TCP).
 */
import type { ImpairFaults, Outage } from '../../config/impair.js';

/** The per-direction part of the faults. */
export interface LinkFaults {
  latencyMs: number;
  jitterMs: number;
  bandwidthBps?: number;
  stall?: { pct: number; ms: number };
}

/** What one direction remembers between chunks. */
export interface LinkState {
  /** Release time of the last piece: nothing is released before it (no reordering). */
  lastReleaseMs: number;
  /** When the simulated wire finishes serialising what it already holds. */
  wireFreeMs: number;
}

export interface Piece {
  /** Offset and length within the chunk. */
  start: number;
  end: number;
  releaseMs: number;
  stalled: boolean;
}

export function newLinkState(): LinkState {
  return { lastReleaseMs: Number.NEGATIVE_INFINITY, wireFreeMs: Number.NEGATIVE_INFINITY };
}

export function linkFaultsOf(faults: ImpairFaults): LinkFaults {
  const link: LinkFaults = { latencyMs: faults.latencyMs, jitterMs: faults.jitterMs };
  if (faults.bandwidthBps !== undefined) link.bandwidthBps = faults.bandwidthBps;
  if (faults.stall && faults.stall.pct > 0) link.stall = faults.stall;
  return link;
}

/** True when chunks can be forwarded the moment they arrive. */
export function isPassthroughLink(link: LinkFaults): boolean {
  return link.latencyMs === 0 && link.jitterMs === 0 && link.bandwidthBps === undefined && link.stall === undefined;
}

/**
 * Largest piece a chunk is cut into under a bandwidth limit: about 10 ms of wire time, at least one Ethernet
 * MSS (1460 bytes) and at most 64 KiB, so a slow link delivers a steady trickle rather than one late lump.
 */
export function pieceBytes(bandwidthBps: number | undefined): number {
  if (bandwidthBps === undefined) return Number.POSITIVE_INFINITY;
  return Math.max(1460, Math.min(65_536, Math.floor((bandwidthBps / 8) * 0.01)));
}

/** Serialization time of `bytes` at `bps`, ms. */
export function wireMs(bytes: number, bps: number): number {
  return (bytes * 8 * 1000) / bps;
}

/** Uniform in [−jitter, +jitter]. */
export function jitterSample(jitterMs: number, random: () => number): number {
  return jitterMs > 0 ? (random() * 2 - 1) * jitterMs : 0;
}

/**
 * Plan the delivery of a chunk of `bytes` arriving at `nowMs`. Returns its pieces and the new state (the
 * input state is not modified).
 */
export function planChunk(
  state: LinkState,
  link: LinkFaults,
  nowMs: number,
  bytes: number,
  random: () => number,
): { pieces: Piece[]; state: LinkState } {
  const size = pieceBytes(link.bandwidthBps);
  const pieces: Piece[] = [];
  let { lastReleaseMs, wireFreeMs } = state;
  for (let start = 0; start < bytes || (bytes === 0 && start === 0); start += size) {
    const end = Math.min(bytes, start + size);
    // Serialization: the piece leaves the sender once the wire is free and it has been clocked out.
    let sentMs = nowMs;
    if (link.bandwidthBps !== undefined) {
      sentMs = Math.max(nowMs, wireFreeMs) + wireMs(end - start, link.bandwidthBps);
      wireFreeMs = sentMs;
    }
    // Propagation, never negative.
    let releaseMs = sentMs + Math.max(0, link.latencyMs + jitterSample(link.jitterMs, random));
    const stalled = link.stall !== undefined && random() * 100 < link.stall.pct;
    if (stalled && link.stall) releaseMs += link.stall.ms;
    // In order: a piece never overtakes the one before it.
    releaseMs = Math.max(releaseMs, lastReleaseMs);
    lastReleaseMs = releaseMs;
    pieces.push({ start, end, releaseMs, stalled });
    if (bytes === 0) break;
  }
  return { pieces, state: { lastReleaseMs, wireFreeMs } };
}

/** The outage window containing `tMs` (ms since proxy start), if any. */
export function outageAt(outages: readonly Outage[], tMs: number): Outage | undefined {
  return outages.find((o) => tMs >= o.atMs && tMs < o.atMs + o.durationMs);
}

/** Start/end boundaries of the windows, in time order, each once (overlapping windows merged). */
export function outageTransitions(outages: readonly Outage[]): Array<{ atMs: number; down: boolean; outage: Outage }> {
  const sorted = [...outages].sort((a, b) => a.atMs - b.atMs);
  const merged: Outage[] = [];
  for (const o of sorted) {
    const last = merged[merged.length - 1];
    if (last && o.atMs <= last.atMs + last.durationMs) {
      const end = Math.max(last.atMs + last.durationMs, o.atMs + o.durationMs);
      last.durationMs = end - last.atMs;
    } else {
      merged.push({ ...o });
    }
  }
  return merged.flatMap((o) => [
    { atMs: o.atMs, down: true, outage: o },
    { atMs: o.atMs + o.durationMs, down: false, outage: o },
  ]);
}

/** What the NAT/LB tracker decides for a flow at `nowMs`. */
export type FlowDecision = { kind: 'alive'; checkAgainAtMs: number } | { kind: 'expired' };

/**
 * A flow is idle only when nothing crossed in either direction and nothing is still in flight; it loses its
 * mapping once it has been idle for natIdleMs.
 */
export function natDecision(lastActivityMs: number, inFlight: boolean, natIdleMs: number, nowMs: number): FlowDecision {
  if (inFlight) return { kind: 'alive', checkAgainAtMs: nowMs + natIdleMs };
  const expiresAt = lastActivityMs + natIdleMs;
  return nowMs >= expiresAt ? { kind: 'expired' } : { kind: 'alive', checkAgainAtMs: expiresAt };
}

/** The per-connection fates scheduled from its open (blackhole-after, reset-after), earliest first. */
export function connectionFates(
  faults: ImpairFaults,
  openedAtMs: number,
): Array<{ atMs: number; kind: 'blackhole' | 'reset' }> {
  const fates: Array<{ atMs: number; kind: 'blackhole' | 'reset' }> = [];
  if (faults.blackholeAfterMs !== undefined)
    fates.push({ atMs: openedAtMs + faults.blackholeAfterMs, kind: 'blackhole' });
  if (faults.resetAfterMs !== undefined) fates.push({ atMs: openedAtMs + faults.resetAfterMs, kind: 'reset' });
  return fates.sort((a, b) => a.atMs - b.atMs);
}

/**
 * A small seeded PRNG (mulberry32: a 32-bit state advanced by a Weyl constant, then mixed), so that
 * `impair --seed N` replays the same jitter and stall draws. Not for anything that needs real randomness.
 */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
