/**
 * Hostile servers (issue: soak reported HEALTHY and passed a CI gate with 0 messages sent): one scripted
 * server per misbehaviour, soak against each, asserting the exit code, the verdict, the cause and the JUnit
 * file. A client that never became ready is a failure with its own cause; no traffic is never healthy.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Socket } from 'node:net';
import { describe, expect, test } from 'vitest';
import { startFakeServer, type FakeBehaviour, type FakeServer } from '../helpers/fake-server.js';
import type { Report } from '../../src/report/model.js';
import type { SoakData } from '../../src/report/build-soak.js';
import { runMain as runInProcess } from '../helpers/cli.js';
import { tempDir } from './helpers.js';

const CONNACK_OK = Buffer.from([0x20, 0x02, 0x00, 0x00]);

/** Answer CONNECT with an accepting CONNACK, then do `then` (once per connection). */
function afterConnack(then: (s: Socket) => void): FakeBehaviour {
  return (s) => {
    s.once('data', () => {
      s.write(CONNACK_OK);
      then(s);
    });
  };
}

/** Write `chunk` every `everyMs` until the socket closes (bounded: at most `max` writes). */
function repeat(s: Socket, chunk: Buffer, everyMs: number, max: number): void {
  let n = 0;
  const timer = setInterval(() => {
    if (s.destroyed || n++ >= max) return clearInterval(timer);
    s.write(chunk);
  }, everyMs);
  s.on('close', () => clearInterval(timer));
}

/** Write `bytes` one byte every `everyMs`. */
function trickle(s: Socket, bytes: Buffer, everyMs: number): void {
  let i = 0;
  const timer = setInterval(() => {
    if (s.destroyed || i >= bytes.length) return clearInterval(timer);
    s.write(bytes.subarray(i, ++i));
  }, everyMs);
  s.on('close', () => clearInterval(timer));
}

// 200 MB announced in the Remaining Length (MQTT §2.2.3 variable byte integer), then a trickle of payload.
const HUGE_PUBLISH_HEADER = Buffer.from([0x30, 0x80, 0x84, 0xaf, 0x5f]);

/** Start a fake server for one test and close it when the test ends (tests here run concurrently). */
async function withServer<T>(behaviour: FakeBehaviour, fn: (s: FakeServer) => Promise<T>): Promise<T> {
  const server = await startFakeServer(behaviour);
  try {
    return await fn(server);
  } finally {
    await server.close();
  }
}

interface Case {
  name: string;
  behaviour: FakeBehaviour;
  /** The cause the report must name. */
  cause: string;
  /** Text the verdict or report must contain. */
  says?: RegExp;
}

const CASES: Case[] = [
  { name: 'CONNACK then silence (no SUBACK)', behaviour: afterConnack(() => {}), cause: 'no-suback' },
  {
    name: 'CONNACK then garbage',
    behaviour: afterConnack((s) => s.once('data', () => s.write(Buffer.from([0xff, 0xff, 0xff, 0xff, 0x00, 0x13])))),
    cause: 'not-mqtt',
  },
  {
    name: 'CONNACK then a PINGRESP flood',
    behaviour: afterConnack((s) => repeat(s, Buffer.alloc(64, Buffer.from([0xd0, 0x00])), 2, 5000)),
    cause: 'no-suback',
  },
  {
    name: 'CONNACK then a 200 MB PUBLISH, trickled',
    behaviour: afterConnack((s) => {
      s.write(HUGE_PUBLISH_HEADER);
      repeat(s, Buffer.alloc(16, 0x41), 20, 1000);
    }),
    // The client reads the Remaining Length as it arrives and ends the attempt at once, naming the size.
    cause: 'not-mqtt',
    says: /packet of 200000005 bytes exceeds our limit/,
  },
  {
    name: 'CONNACK then a SUBACK trickled a byte every 1.5 s',
    behaviour: afterConnack((s) => trickle(s, Buffer.from([0x90, 0x03, 0x00, 0x01, 0x01]), 1500)),
    cause: 'no-suback',
  },
  { name: 'silence (no CONNACK)', behaviour: 'silent', cause: 'no-connack' },
  { name: 'random bytes', behaviour: 'garbage', cause: 'not-mqtt' },
  { name: 'an HTTP server', behaviour: 'http', cause: 'not-mqtt', says: /HTTP server/ },
  {
    name: 'CONNACK cut mid-packet',
    behaviour: (s) => s.once('data', () => s.write(Buffer.from([0x20, 0x02, 0x00]))),
    cause: 'no-connack',
  },
];

describe('soak against hostile servers: never healthy, exit 4, a JUnit failure', () => {
  test.concurrent.each(CASES)(
    '$name',
    ({ behaviour, cause, says }) =>
      withServer(behaviour, async (server) => {
        const junit = join(tempDir('mqd-hostile-'), 'soak.xml');
        const r = await runInProcess([
          'soak',
          server.url,
          '-V',
          '3.1.1',
          '-d',
          '3s',
          '-n',
          '2',
          '--reconnect',
          'fixed:500ms',
          '--max-loss',
          '0%',
          '--max-reconnects',
          '0',
          '--junit',
          junit,
          '--json',
          '-q',
        ]);
        const report = JSON.parse(r.stdout) as Report<SoakData>;
        expect(report.verdict.status).toBe('failed');
        expect(r.code).toBe(4);
        const c = report.data.summary.connections;
        expect(c.connects).toBe(0);
        expect(c.uptimePct).toBe(0);
        expect(c.byCause[cause as keyof typeof c.byCause]).toBeGreaterThan(0);
        if (says) expect(JSON.stringify(report)).toMatch(says);
        const xml = readFileSync(junit, 'utf8');
        expect(xml).toMatch(/failures="[1-9]/);
        expect(xml).not.toContain('connections: connections');
      }),
    20_000,
  );

  test(
    'text report of a run where nothing connected never prints uptime 100%',
    () =>
      withServer(
        afterConnack(() => {}),
        async (server) => {
          const r = await runInProcess(['soak', server.url, '-V', '3.1.1', '-d', '2s', '-q']);
          expect(r.code).toBe(4);
          expect(r.stdout).not.toMatch(/uptime\s+100/);
          expect(r.stdout).toMatch(/no SUBACK/);
          expect(r.stdout).not.toMatch(/HEALTHY/i);
        },
      ),
    20_000,
  );

  test(
    'a SUBACK bound shorter than the run: the attempt fails, is retried, and fails again',
    () =>
      withServer(
        afterConnack(() => {}),
        async (server) => {
          const r = await runInProcess([
            'soak',
            server.url,
            '-V',
            '3.1.1',
            '-d',
            '3s',
            '--connect-timeout',
            '500ms',
            '--reconnect',
            'fixed:200ms',
            '--json',
            '-q',
          ]);
          const report = JSON.parse(r.stdout) as Report<SoakData>;
          expect(r.code).toBe(4);
          // 3 s run, 0.5 s bound + 0.2 s wait per attempt: at least 3 attempts, each its own no-suback failure.
          expect(report.data.summary.connections.byCause['no-suback']).toBeGreaterThanOrEqual(3);
          expect(server.connections).toBeGreaterThanOrEqual(3);
        },
      ),
    20_000,
  );
});
