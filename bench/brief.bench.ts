/**
 * `probe -c 1 --brief` as a script would run it ("is it up?"): whole-process wall and CPU time on loopback
 * against the two things a user would compare it with, measured in the same run and interleaved (one of each per
 * round, so a load change hits all three alike; bench/explain-brief-timing.ts):
 * - `mosquitto_pub` sending one QoS 0 message (Debian package mosquitto-clients): the native floor for "connect,
 *   say something, leave";
 * - `node -e 0`: the floor for any Node CLI.
 * Broker: mosquitto with set_tcp_nodelay on a free port. No target (issue 13 asks for the figures only).
 */
import { startMosquitto } from '../test/helpers/mosquitto.js';
import { BIN } from '../test/helpers/cli.js';
import type { BenchResult } from './run.js';
import { interleaved, median, type Timed } from './explain-brief-timing.js';

const ROUNDS = 15;

export default async function bench(): Promise<BenchResult[]> {
  const mosq = await startMosquitto({ globalConfig: ['set_tcp_nodelay true'] });
  try {
    const port = String(mosq.port);
    const commands = {
      brief: { cmd: process.execPath, args: [BIN, 'probe', `mqtt://127.0.0.1:${port}`, '-c', '1', '--brief'] },
      pub: {
        cmd: 'mosquitto_pub',
        args: ['-h', '127.0.0.1', '-p', port, '-t', 'mqtt-doctor/bench', '-m', 'x', '-q', '0'],
      },
      node: { cmd: process.execPath, args: ['-e', '0'] },
    } satisfies Record<string, Timed>;
    // One warm-up each (page cache, the broker's first accept), not counted; then interleaved rounds.
    const runs = interleaved(commands, ROUNDS);
    const m = (k: keyof typeof commands, kind: 'wall' | 'cpu') => median(runs[k][kind]);
    const notes = `median of ${ROUNDS} interleaved rounds: brief ${m('brief', 'wall').toFixed(1)} ms wall / ${m('brief', 'cpu').toFixed(0)} ms CPU, mosquitto_pub ${m('pub', 'wall').toFixed(1)} / ${m('pub', 'cpu').toFixed(0)}, node -e 0 ${m('node', 'wall').toFixed(1)} / ${m('node', 'cpu').toFixed(0)}`;
    const row = (kind: 'wall' | 'cpu', base: 'node' | 'pub', baselineName: string): BenchResult => ({
      name: 'probe --brief',
      metric: `probe -c 1 --brief ${kind === 'wall' ? 'wall' : 'CPU (user + system)'} time, median (ms)`,
      value: m('brief', kind),
      baseline: m(base, kind),
      baselineName,
      ratio: m('brief', kind) / m(base, kind),
      notes,
    });
    return [
      row('wall', 'node', 'node -e 0'),
      row('wall', 'pub', 'mosquitto_pub -q 0 (one message)'),
      row('cpu', 'node', 'node -e 0 CPU'),
    ];
  } finally {
    await mosq.stop();
  }
}
