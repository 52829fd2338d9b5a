/**
 * The raw-socket reference for round trips: a hand-written 3.1.1 CONNECT (MQTT 3.1.1 §3.1), then PINGREQs
 * (§3.12), each sent after the previous PINGRESP and `gapMs`, timed from the write to the read.
 */
import { connect, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';

export async function rawPings(port: number, n: number, gapMs = 0): Promise<number[]> {
  const s: Socket = connect({ port, host: '127.0.0.1', noDelay: true });
  s.on('error', () => {});
  await new Promise<void>((r) => s.once('connect', () => r()));
  const id = Buffer.from('raw');
  s.write(
    Buffer.concat([Buffer.from([0x10, 12 + id.length, 0, 4, 0x4d, 0x51, 0x54, 0x54, 4, 2, 0, 60, 0, id.length]), id]),
  );
  await new Promise<void>((r) => s.once('data', () => r()));
  const out: number[] = [];
  try {
    for (let i = 0; i < n; i += 1) {
      const got = new Promise<number>((r) => s.once('data', () => r(performance.now())));
      const t0 = performance.now();
      s.write(Buffer.from([0xc0, 0x00]));
      out.push((await got) - t0);
      if (gapMs > 0) await new Promise((r) => setTimeout(r, gapMs));
    }
  } finally {
    s.destroy();
  }
  return out;
}

/**
 * The raw loop against a scripted server that records its holds: what this path adds above each hold (transit
 * and scheduling on this machine right now), the margin every truth assertion derives from.
 */
export async function rawExcess(
  server: { port: number; holds: Array<{ kind: string; heldMs: number }> },
  n: number,
  gapMs: number,
): Promise<number[]> {
  const before = server.holds.length;
  const raw = await rawPings(server.port, n, gapMs);
  const holds = server.holds
    .slice(before)
    .filter((h) => h.kind === 'pingresp')
    .map((h) => h.heldMs);
  return raw.map((x, i) => x - holds[i]!);
}
