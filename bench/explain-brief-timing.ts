/**
 * Whole-process timing for the start-up benches (explain-error one line, `probe -c 1 --brief`): wall and CPU time
 * of one child process, taken by bash's `time` keyword around it (milliseconds, user + system of the child only,
 * not of the shell: https://www.gnu.org/software/bash/manual/html_node/Bash-Variables.html#index-TIMEFORMAT).
 * GNU time prints CPU in hundredths of a second, too coarse next to `node -e 0`'s ~0.1 s.
 *
 * Commands are run in interleaved rounds (one of each per round), so a change of load on a shared machine hits
 * them all alike, and each is summarised by its median.
 */
import { spawnSync } from 'node:child_process';

export interface ProcessTime {
  wallMs: number;
  cpuMs: number;
}

/** One run of `cmd args…` (stdout and stderr discarded); a non-zero exit other than `okCodes` is a failed run. */
export function timeProcess(
  cmd: string,
  args: string[],
  opts: { okCodes?: number[]; env?: NodeJS.ProcessEnv } = {},
): ProcessTime {
  const script = 'TIMEFORMAT="%3R %3U %3S"; { time "$@" >/dev/null 2>&1; echo "rc=$?" >&2; } 2>&1';
  const r = spawnSync('bash', ['-c', script, '_', cmd, ...args], {
    encoding: 'utf8',
    timeout: 60_000,
    env: { ...process.env, NO_COLOR: '1', ...opts.env },
  });
  const out = r.stdout ?? '';
  const rc = Number(/rc=(\d+)/.exec(out)?.[1] ?? NaN);
  if (!(opts.okCodes ?? [0]).includes(rc)) throw new Error(`${cmd} ${args.join(' ')} exited ${rc}: ${out}`);
  const m = /([\d.]+) ([\d.]+) ([\d.]+)\s*$/.exec(out.replace(/rc=\d+\s*/, ''));
  if (!m) throw new Error(`no timing from bash for ${cmd}: ${out}`);
  return { wallMs: Number(m[1]) * 1000, cpuMs: (Number(m[2]) + Number(m[3])) * 1000 };
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] ?? NaN) : ((s[mid - 1] ?? NaN) + (s[mid] ?? NaN)) / 2;
}

export interface Timed {
  cmd: string;
  args: string[];
  okCodes?: number[];
}

/** `rounds` interleaved rounds over `commands` (after one uncounted warm-up each): every run's times, by name. */
export function interleaved<K extends string>(
  commands: Record<K, Timed>,
  rounds: number,
): Record<K, { wall: number[]; cpu: number[] }> {
  const names = Object.keys(commands) as K[];
  const runs = Object.fromEntries(names.map((k) => [k, { wall: [] as number[], cpu: [] as number[] }])) as Record<
    K,
    { wall: number[]; cpu: number[] }
  >;
  const once = (k: K) => {
    const c = commands[k];
    return timeProcess(c.cmd, c.args, c.okCodes ? { okCodes: c.okCodes } : {});
  };
  for (const k of names) once(k);
  for (let i = 0; i < rounds; i += 1) {
    for (const k of names) {
      const t = once(k);
      runs[k].wall.push(t.wallMs);
      runs[k].cpu.push(t.cpuMs);
    }
  }
  return runs;
}
