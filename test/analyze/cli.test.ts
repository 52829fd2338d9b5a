/**
 * `mqtt-doctor analyze` as a user runs it, on one real session recorded with tcpdump and the same capture
 * rewritten by Wireshark's tools: pcapng (tshark), nanosecond pcap (editcap), a pcapng recorded by dumpcap,
 * gzip, stdin, a cut file, garbage. Every form must tell the same story; bad input is one line and exit 2.
 * Where what is checked is what analyze reads in a file, it runs in-process through main(argv, io); the exit
 * statuses (0, 1, 2, 130), stdin, the text report and Ctrl-C are checked on the built CLI as a process.
 */
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Packet } from 'mqtt-packet';
import { runCli, runMain } from '../helpers/cli.js';
import { startMosquitto, cleanup, type Mosquitto } from '../helpers/mosquitto.js';
import {
  analyze,
  analyzeInProcess,
  HAS_TCPDUMP,
  HAS_TSHARK,
  openCaptureMarker,
  RawClient,
  SKIP_REASON,
  sleep,
  startTcpdump,
  tempDir,
  warmMqttPacket,
  type AnalyzeJson,
} from './record.js';

const HAS_DUMPCAP = spawnSync('dumpcap', ['--version'], { stdio: 'ignore' }).status === 0;
const dir = tempDir();
let m: Mosquitto;
let pcap: string;
let baseline: AnalyzeJson;

afterAll(() => rmSync(dir, { recursive: true, force: true }));

if (!HAS_TCPDUMP) console.warn(`test/analyze/cli.test.ts capture tests skipped: ${SKIP_REASON}`);

/** One session: connect, QoS 1 publish, ping, disconnect; plus a second client cut by the keepalive. */
async function session(port: number): Promise<void> {
  const c = await RawClient.open(port);
  await c.connect('cli-dev', 30);
  c.send({
    cmd: 'publish',
    topic: 'a/b',
    payload: Buffer.from('x'),
    qos: 1,
    messageId: 1,
    retain: false,
    dup: false,
  } as Packet);
  await c.waitFor('puback', 2000);
  c.send({ cmd: 'pingreq' });
  await c.waitFor('pingresp', 2000);
  c.send({ cmd: 'disconnect' });
  c.end();
  await c.closed(2000);
}

function summary(j: AnalyzeJson): unknown {
  return j.data.connections.map((c) => ({
    clientId: c.clientId,
    cause: c.cause,
    endedBy: c.endedBy,
    how: c.how,
    packets: c.packets,
    durationMs: Math.round(c.durationMs),
  }));
}

interface StdinRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  out: string;
  /** From the Ctrl-C to the exit. */
  exitMs: number;
}

/**
 * `mqtt-doctor analyze - ARGS` as a process, `input` written to its stdin, which stays open (as `tcpdump -w -`
 * keeps it), and Ctrl-C after `waitMs`. While `tooSoon` says the Ctrl-C came before the CLI was ready for it, the
 * same again with twice the wait, at most three runs in all; the last run is returned.
 */
async function ctrlCOnStdin(
  args: string[],
  input: Buffer | undefined,
  waitMs: number,
  tooSoon: (r: StdinRun) => boolean,
): Promise<StdinRun> {
  const { BIN } = await import('../helpers/cli.js');
  let run: StdinRun | undefined;
  for (let attempt = 0; attempt < 3 && (!run || tooSoon(run)); attempt += 1, waitMs *= 2) {
    const child = spawn(process.execPath, [BIN, 'analyze', '-', ...args], {
      env: { ...process.env, NO_COLOR: '1', CI: 'true' },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    if (input) child.stdin.write(input);
    const exited = new Promise<[number | null, NodeJS.Signals | null]>((r) =>
      child.once('exit', (code, signal) => r([code, signal])),
    );
    await sleep(waitMs);
    const t0 = Date.now();
    child.kill('SIGINT');
    const [code, signal] = await exited;
    child.stdin.destroy();
    run = { code, signal, out, exitMs: Date.now() - t0 };
  }
  return run!;
}

describe.skipIf(!HAS_TCPDUMP)('mqtt-doctor analyze: capture forms', () => {
  beforeAll(async () => {
    warmMqttPacket();
    m = await startMosquitto();
    pcap = join(dir, 'session.pcap');
    const rec = await startTcpdump(pcap, [m.port]);
    await session(m.port);
    await rec.stop();
    const r = await analyzeInProcess(pcap, ['--port', String(m.port)]);
    expect(r.code, `${r.json.verdict.summary}: ${r.json.data.findings.map((f) => f.id).join(', ')}`).toBe(0);
    baseline = r.json;
  });
  afterAll(async () => {
    await m?.stop();
    if (m) cleanup(m);
  });

  test('the recorded session reads as healthy, with the text report leading with findings and a table', async () => {
    expect(baseline.verdict.status).toBe('healthy');
    expect(baseline.data.connections).toHaveLength(1);
    expect(baseline.data.connections[0]).toMatchObject({
      clientId: 'cli-dev',
      cause: 'clean-disconnect',
      keepaliveS: 30,
    });
    const r = await runCli(['analyze', pcap, '--port', String(m.port)]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Connections');
    expect(r.stdout).toMatch(/cli-dev.*clean disconnect/);
    expect(r.stdout).toContain('HEALTHY');
  });

  test('by default (no --port) the flow is picked by its first bytes being an MQTT CONNECT', async () => {
    const r = await analyzeInProcess(pcap);
    expect(summary(r.json)).toEqual(summary(baseline));
  });

  test.skipIf(!HAS_TSHARK)(
    'pcapng written by tshark and nanosecond pcap written by editcap tell the same story',
    async () => {
      const ng = join(dir, 'session.pcapng');
      const ns = join(dir, 'session-ns.pcap');
      expect(spawnSync('tshark', ['-r', pcap, '-F', 'pcapng', '-w', ng]).status).toBe(0);
      expect(spawnSync('editcap', ['-F', 'nsecpcap', pcap, ns]).status).toBe(0);
      for (const f of [ng, ns]) {
        const r = await analyzeInProcess(f, ['--port', String(m.port)]);
        expect(r.json.data.capture.format).toBe(f === ng ? 'pcapng' : 'pcap-ns');
        expect(summary(r.json)).toEqual(summary(baseline));
        expect(r.json.data.capture.packets).toBe(baseline.data.capture.packets);
      }
    },
  );

  test.skipIf(!HAS_DUMPCAP)('a pcapng recorded by dumpcap', async () => {
    const f = join(dir, 'dumpcap.pcapng');
    // Markers (see startTcpdump) tell when dumpcap really records and when it has written the whole session; they
    // stay in the file, on a port analyze is not asked about.
    const marker = await openCaptureMarker();
    const child = spawn('dumpcap', ['-i', 'lo', '-f', `(tcp port ${m.port}) or ${marker.filter}`, '-w', f, '-q'], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    try {
      await marker.mark(f, () => err);
      await session(m.port);
      await marker.mark(f, () => err);
    } finally {
      marker.close();
      const exited = new Promise<void>((r) => child.once('exit', () => r()));
      child.kill('SIGINT');
      await exited;
    }
    const r = await analyzeInProcess(f, ['--port', String(m.port)]);
    expect(r.json.data.capture.format).toBe('pcapng');
    expect(r.json.data.connections.map((c) => [c.clientId, c.cause])).toEqual([['cli-dev', 'clean-disconnect']]);
  });

  test('gzip-compressed capture, and the same bytes on stdin', async () => {
    const gz = join(dir, 'session.pcap.gz');
    writeFileSync(gz, gzipSync(readFileSync(pcap)));
    const r = await analyzeInProcess(gz, ['--port', String(m.port)]);
    expect(summary(r.json)).toEqual(summary(baseline));
    // stdin: the shell feeds the file to `analyze -`.
    const s = await runCli(['analyze', '-', '--json', '--port', String(m.port)], {
      wrap: ['sh', '-c', `exec "$0" "$@" < '${gz}'`],
    });
    expect(s.code).toBe(0);
    expect(summary(JSON.parse(s.stdout) as AnalyzeJson)).toEqual(summary(baseline));
  });

  test('live: a capture streaming on stdin that never ends still gets its report on Ctrl-C', async () => {
    // How long this machine takes, right now, to start the CLI and analyse the same file: the child must have
    // read what it was sent before the Ctrl-C, and a busy machine stretches that (a fixed wait failed under load).
    // A report of fewer packets than were sent means the Ctrl-C still came first (once, idle, at 3 × a whole run
    // measured just before): then the same again with twice the wait, at most three times.
    const t = Date.now();
    await analyze(pcap, ['--port', String(m.port)]);
    const wholeRunMs = Date.now() - t;
    const report = (out: string) => JSON.parse(out) as AnalyzeJson & { data: { interrupted: boolean } };
    const run = await ctrlCOnStdin(
      ['--json', '--port', String(m.port)],
      readFileSync(pcap),
      Math.max(1500, 3 * wholeRunMs),
      (r) => report(r.out).data.capture.packets < baseline.data.capture.packets,
    );
    expect(run.exitMs).toBeLessThan(Math.max(2000, 2 * wholeRunMs));
    expect(report(run.out).data.interrupted).toBe(true);
    expect(summary(report(run.out))).toEqual(summary(baseline));
    expect(run.code).toBe(130); // interrupted (README exit codes); the report was written first
  }, 60_000);

  test('live: nothing arrived on stdin before Ctrl-C (tcpdump -w - without -U buffers): the verdict says so', async () => {
    // The Ctrl-C must come after the CLI is up: first wait 3× this machine's start-up, measured now. A CLI not up
    // yet dies of the signal itself (no exit code, signal SIGINT, before its handler is in place): then the same
    // again with twice the wait, at most three times.
    const t = Date.now();
    await runCli(['--version']);
    const diedOfIt = (r: StdinRun) => r.code === null && r.signal === 'SIGINT';
    const run = await ctrlCOnStdin([], undefined, Math.max(1000, 3 * (Date.now() - t)), diedOfIt);
    expect(diedOfIt(run), 'the CLI was not up to take Ctrl-C in three tries').toBe(false);
    expect(run.code).toBe(1);
    expect(run.out).toMatch(/nothing read, 0 packets/);
    expect(run.out).toMatch(/FAILED +nothing arrived on stdin: tcpdump buffers `-w -` until it exits; add -U/);
  });

  test('a cut file: a clear warning, the part it could read, exit 1', async () => {
    const bytes = readFileSync(pcap);
    const cut = join(dir, 'cut.pcap');
    writeFileSync(cut, bytes.subarray(0, bytes.length - 20));
    const r = await analyze(cut, ['--port', String(m.port)]);
    expect(r.code).toBe(1);
    expect(r.json.data.capture.truncatedTailBytes).toBeGreaterThan(0);
    expect(r.json.data.capture.packets).toBe(baseline.data.capture.packets - 1);
    expect(r.json.data.connections[0]!.clientId).toBe('cli-dev');
    const t = await runMain(['analyze', cut, '--port', String(m.port)]);
    expect(t.stdout).toMatch(
      /the file ends inside a packet record \(\d+ bytes left over\): it was cut; everything before was read/,
    );
    // A gzip file cut in the middle of its stream says so too.
    const gzCut = join(dir, 'cut.pcap.gz');
    const gz = gzipSync(bytes);
    writeFileSync(gzCut, gz.subarray(0, gz.length - 12));
    const g = await analyzeInProcess(gzCut, ['--port', String(m.port)]);
    expect(g.code).toBe(1);
    expect(g.json.data.capture.stoppedAt ?? '').toMatch(/gzip stream ends early|ends inside/);
  });
});

describe('mqtt-doctor analyze: bad input', () => {
  const garbage = join(dir, 'garbage.txt');
  beforeAll(() => writeFileSync(garbage, 'this is not a capture\n'.repeat(10)));

  test.each([
    [['analyze', garbage], 'is not a packet capture: not a pcap or pcapng file (starts with 74686973)'],
    [['analyze', join(dir, 'missing.pcap')], 'no such file'],
    [['analyze', garbage, '--port', 'abc'], '--port abc is not a list of ports'],
  ])('%j → exit 2, one line', async (args, message) => {
    // The first as a process (exit 2 from the built CLI), the others in-process.
    const r = args[1] === garbage && args.length === 2 ? await runCli(args) : await runMain(args);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(message);
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
  });

  test('an empty stdin is a usage error', async () => {
    const r = await runCli(['analyze', '-'], { input: '' });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('stdin is empty');
  });
});
