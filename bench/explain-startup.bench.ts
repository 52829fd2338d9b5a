/**
 * explain-error's text mode is mostly start-up: one line as a whole process against `node -e 0` (issue 12, target
 * ≤ 2×), wall and CPU time (CPU is what a machine shared with other work disturbs less), and the top-level
 * `--help` (target ≤ 3×). Interleaved rounds, medians (bench/explain-brief-timing.ts).
 * Lines: the plain errno text of issue 12, and a line whose emitter decides the numbering (PubSubClient's rc=-2).
 */
import { fileURLToPath } from 'node:url';
import type { BenchResult } from './run.js';
import { interleaved, median, type Timed } from './explain-brief-timing.js';

const BIN = fileURLToPath(new URL('../bin/mqtt-doctor.js', import.meta.url));
const ROUNDS = 21;
const node = process.execPath;

export default async function bench(): Promise<BenchResult[]> {
  const commands = {
    node: { cmd: node, args: ['-e', '0'] },
    errno: { cmd: node, args: [BIN, 'explain-error', 'Connection refused'] },
    emitter: {
      cmd: node,
      args: [BIN, 'explain-error', 'Attempting MQTT connection...failed, rc=-2 try again in 5 seconds'],
    },
    json: { cmd: node, args: [BIN, 'explain-error', '--json', 'Connection refused'] },
    help: { cmd: node, args: [BIN, '--help'] },
  } satisfies Record<string, Timed>;
  const runs = interleaved(commands, ROUNDS);
  const base = { wall: median(runs.node.wall), cpu: median(runs.node.cpu) };
  const notes = `median of ${ROUNDS} interleaved rounds; node -e 0 ${base.wall.toFixed(0)} ms wall, ${base.cpu.toFixed(0)} ms CPU`;
  const rows: Array<[string, keyof typeof commands, number]> = [
    ['explain-error "Connection refused"', 'errno', 2],
    ['explain-error "…failed, rc=-2 …" (PubSubClient)', 'emitter', 2],
    ['explain-error --json "Connection refused"', 'json', 2],
    ['--help', 'help', 3],
  ];
  return rows.flatMap(([what, key, targetRatio]) =>
    (['wall', 'cpu'] as const).map((kind) => {
      const value = median(runs[key][kind]);
      return {
        name: 'explain start-up',
        metric: `${what}, whole process, ${kind === 'wall' ? 'wall' : 'CPU (user + system)'} time (ms)`,
        value,
        baseline: base[kind],
        baselineName: `node -e 0 ${kind === 'wall' ? 'wall' : 'CPU'} (ms)`,
        ratio: value / base[kind],
        targetRatio,
        notes,
      };
    }),
  );
}
