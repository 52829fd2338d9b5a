/**
 * One failure route, every command: probe, soak and keepalive-tune run against servers that accept TCP and then
 * misbehave. Each command runs as a spawned CLI against one server (what the process shows: its exit code, no
 * stack trace) and in-process through main(argv, io) against the others (the same exit code and line, without a
 * node start-up each: 24 spawns were most of this file's CPU); the signal cases are all spawned. Each must end with the same exit code (README: 3 unreachable, 4 refused or not
 * MQTT, 130 interrupted), one clear line naming what happened, no stack trace, and within a bounded time.
 */
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { makeCerts, type CertSet } from '../helpers/certs.js';
import { BIN, runMain } from '../helpers/cli.js';
import { startHostile, type Hostile, type HostileServer } from './servers.js';

type Command = 'probe' | 'soak' | 'keepalive-tune';

/** Each command with the smallest run that still measures; every connect is bounded by 2 s. */
const ARGS: Record<Command, (url: string) => string[]> = {
  probe: (url) => ['probe', url, '-c', '1', '--connect-timeout', '2s'],
  soak: (url) => ['soak', url, '-d', '3s', '-n', '1', '--connect-timeout', '2s'],
  'keepalive-tune': (url) => ['keepalive-tune', url, '--samples', '1', '--connect-timeout', '2s'],
};

interface Row {
  server: Hostile;
  exit: number;
  /** The one line that must name what happened. */
  line: RegExp;
}

const ROWS: Row[] = [
  { server: 'silence', exit: 4, line: /did not speak MQTT.*no CONNACK/i },
  { server: 'random-bytes', exit: 4, line: /did not speak MQTT.*not MQTT/i },
  { server: 'bad-length', exit: 4, line: /did not speak MQTT/i },
  { server: 'http', exit: 4, line: /an HTTP server answered/i },
  { server: 'connack-cut', exit: 4, line: /did not speak MQTT.*closed.*before a whole CONNACK/i },
  { server: 'refused', exit: 4, line: /refused.*Not authorized/i },
  { server: 'tls', exit: 4, line: /TLS/ },
  { server: 'closed-port', exit: 3, line: /ECONNREFUSED|refused the TCP connection/i },
];

/**
 * Rows a command still gets wrong, by `command/server`. Each is named in the merge report for the lead to fix
 * where the command's owner works; an entry here turns the row into `test.fails`, never into a skip.
 */
const KNOWN_WRONG = new Set<string>([]);

/** The one server each command meets as a spawned process (a different one each, so each kind is spawned once). */
const SPAWNED: Record<Command, Hostile> = { probe: 'random-bytes', soak: 'refused', 'keepalive-tune': 'tls' };

/**
 * Ceiling for one run: the 2 s connect timeout and soak's 3 s, plus process start-up, which takes its margin from
 * the start-up of `mqtt-doctor --version` measured in this run (a busy machine slows both alike). A command that
 * retries or waits for Ctrl-C instead of ending blows through it.
 */
let BOUND_MS = 15_000;
const HARD_KILL_MS = 90_000;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/** Spawn the built CLI; with `signalOnConnect`, send that signal once the server has accepted a connection. */
function run(args: string[], server?: HostileServer, signalOnConnect?: NodeJS.Signals): Promise<Run> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1', CI: 'true' };
    delete env.FORCE_COLOR;
    const child = spawn(process.execPath, [BIN, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const poll = signalOnConnect
      ? setInterval(() => {
          if ((server?.connections ?? 0) > 0) {
            clearInterval(poll);
            // Let the command reach its wait for CONNACK before the signal lands.
            setTimeout(() => child.kill(signalOnConnect), 200);
          }
        }, 20)
      : undefined;
    const killer = setTimeout(() => child.kill('SIGKILL'), HARD_KILL_MS);
    child.on('error', reject);
    child.on('close', (code) => {
      clearInterval(poll);
      clearTimeout(killer);
      resolve({ code, stdout, stderr, ms: performance.now() - t0 });
    });
  });
}

/** Run in-process; timed like `run` (the bound then holds with room to spare: no start-up). */
async function runInProcess(args: string[]): Promise<Run> {
  const t0 = performance.now();
  const r = await runMain(args);
  return { code: r.code, stdout: r.stdout, stderr: r.stderr, ms: performance.now() - t0 };
}

let certs: CertSet;
// runMain puts back process.exitCode after each run, but concurrent runs can put back each other's.
const exitCodeBefore = process.exitCode;
afterAll(() => {
  process.exitCode = exitCodeBefore;
});
beforeAll(async () => {
  certs = makeCerts();
  const startup = await run(['--version']);
  BOUND_MS = 2000 + 3000 + 4000 + 10 * startup.ms;
});

const cases = ROWS.flatMap((row) => (Object.keys(ARGS) as Command[]).map((command) => ({ ...row, command })));

describe.concurrent('every command classifies a hostile server the same way', () => {
  const servers: HostileServer[] = [];
  afterAll(async () => {
    await Promise.all(servers.map((s) => s.close()));
  });
  for (const c of cases) {
    const spawned = SPAWNED[c.command] === c.server;
    const name = `${c.command} against ${c.server}${spawned ? ' (spawned)' : ''}: exit ${c.exit}`;
    const body = async () => {
      const server = await startHostile(c.server, certs);
      servers.push(server);
      const args = ARGS[c.command](server.url);
      const r = spawned ? await run(args) : await runInProcess(args);
      const all = `${r.stdout}\n${r.stderr}`;
      expect({ code: r.code, all }).toMatchObject({ code: c.exit });
      expect(all).toMatch(c.line);
      expect(all).not.toMatch(/^\s+at .+\(.+:\d+:\d+\)$/m);
      expect(all).not.toMatch(/internal error/);
      expect(r.ms).toBeLessThan(BOUND_MS);
    };
    if (KNOWN_WRONG.has(`${c.command}/${c.server}`)) test.fails(name, body, HARD_KILL_MS + 5000);
    else test(name, body, HARD_KILL_MS + 5000);
  }
});

describe.concurrent('SIGTERM or Ctrl-C (SIGINT) while waiting for CONNACK exits 130', () => {
  const LONG: Record<Command, (url: string) => string[]> = {
    probe: (url) => ['probe', url, '-c', '1', '--connect-timeout', '60s'],
    soak: (url) => ['soak', url, '-d', '60s', '-n', '1', '--connect-timeout', '60s'],
    'keepalive-tune': (url) => ['keepalive-tune', url, '--samples', '1', '--connect-timeout', '60s'],
  };
  const signalled = (Object.keys(LONG) as Command[]).flatMap((command) =>
    (['SIGTERM', 'SIGINT'] as const).map((signal) => ({ command, signal })),
  );
  for (const { command, signal } of signalled) {
    const name = `${command}: ${signal} → 130 long before the 60 s connect timeout`;
    const body = async () => {
      const server = await startHostile('silence', certs);
      try {
        const r = await run(LONG[command](server.url), server, signal);
        expect({ code: r.code, out: `${r.stdout}\n${r.stderr}` }).toMatchObject({ code: 130 });
        expect(r.ms).toBeLessThan(BOUND_MS);
      } finally {
        await server.close();
      }
    };
    if (KNOWN_WRONG.has(`${command}/${signal.toLowerCase()}`)) test.fails(name, body, HARD_KILL_MS + 5000);
    else test(name, body, HARD_KILL_MS + 5000);
  }
});
