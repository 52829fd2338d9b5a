/**
 * `probe -c 1 --brief` as a script would run it ("is it up?"): whole-process wall time on loopback against the
 * two things a user would compare it with, measured in the same run and interleaved (one of each per round, so a
 * load change hits all three alike):
 * - `mosquitto_pub` sending one QoS 0 message (Debian package mosquitto-clients): the native floor for "connect,
 *   say something, leave";
 * - `node -e 0`: the floor for any Node CLI.
 * Broker: mosquitto with set_tcp_nodelay on a free port. No target (issue 13 asks for the figures only).
 */
import { execFileSync } from 'node:child_process';
import { startMosquitto } from '../test/helpers/mosquitto.js';
import { BIN } from '../test/helpers/cli.js';
import type { BenchResult } from './run.js';

const ROUNDS = 15;

function p50(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor((s.length - 1) / 2)] ?? Number.NaN;
}

/** Wall time of one process, ms (spawn to exit); a non-zero exit is a failed measurement. */
function wallMs(cmd: string, args: string[]): number {
  const t0 = performance.now();
  execFileSync(cmd, args, { stdio: 'ignore', timeout: 30_000, env: { ...process.env, NO_COLOR: '1' } });
  return performance.now() - t0;
}

export default async function bench(): Promise<BenchResult[]> {
  const mosq = await startMosquitto({ globalConfig: ['set_tcp_nodelay true'] });
  try {
    const port = String(mosq.port);
    const runs = {
      brief: [] as number[],
      pub: [] as number[],
      node: [] as number[],
    };
    const cmds: Record<keyof typeof runs, [string, string[]]> = {
      brief: [process.execPath, [BIN, 'probe', `mqtt://127.0.0.1:${port}`, '-c', '1', '--brief']],
      pub: ['mosquitto_pub', ['-h', '127.0.0.1', '-p', port, '-t', 'mqtt-doctor/bench', '-m', 'x', '-q', '0']],
      node: [process.execPath, ['-e', '0']],
    };
    // One warm-up each (page cache, the broker's first accept), not counted.
    for (const [cmd, args] of Object.values(cmds)) wallMs(cmd, args);
    for (let i = 0; i < ROUNDS; i += 1) {
      for (const k of Object.keys(cmds) as Array<keyof typeof runs>) runs[k].push(wallMs(...cmds[k]));
    }
    const brief = p50(runs.brief);
    const pub = p50(runs.pub);
    const node = p50(runs.node);
    const notes = `p50 of ${ROUNDS} interleaved rounds: brief ${brief.toFixed(1)} ms, mosquitto_pub ${pub.toFixed(1)} ms, node -e 0 ${node.toFixed(1)} ms`;
    return [
      {
        name: 'probe --brief',
        metric: 'probe -c 1 --brief wall time p50 (ms)',
        value: brief,
        baseline: node,
        baselineName: 'node -e 0',
        ratio: brief / node,
        notes,
      },
      {
        name: 'probe --brief',
        metric: 'probe -c 1 --brief wall time p50 (ms)',
        value: brief,
        baseline: pub,
        baselineName: 'mosquitto_pub -q 0 (one message)',
        ratio: brief / pub,
        notes,
      },
    ];
  } finally {
    await mosq.stop();
  }
}
