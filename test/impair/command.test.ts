/**
 * The `impair` command end to end: the built CLI as a user runs it, real sockets on 127.0.0.1. What needs no
 * process of its own (the profile list, usage errors) runs in this process through main(argv, io).
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { runCli, runMain } from '../helpers/cli.js';
import { directSpread, interleavedRtts, openClient, spawnImpair, startEcho, type EchoServer } from './net.js';

let echo: EchoServer;
beforeAll(async () => {
  echo = await startEcho();
});
afterAll(async () => {
  await echo.close();
});

describe('mqtt-doctor impair', () => {
  test('--list-profiles --json lists every profile with its source', async () => {
    const r = await runMain(['impair', '--list-profiles', '--json']);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout) as {
      data: { profiles: Array<{ name: string; source: string }>; middleboxes: unknown[] };
    };
    expect(doc.data.profiles.map((p) => p.name)).toContain('satellite-geo');
    expect(doc.data.profiles.every((p) => p.source.length > 0)).toBe(true);
    expect(doc.data.middleboxes.length).toBeGreaterThan(0);
  });

  test.each([
    [['impair'], 'impair needs --target'],
    [['impair', '--target', '127.0.0.1:1', '--profile', 'moon'], 'unknown network profile "moon"'],
    [['impair', '--target', '127.0.0.1:1', '--latency', 'soon'], '--latency: "soon" is not a duration'],
    [['impair', '--target', '127.0.0.1:1', '--listen', 'nowhere'], '--listen: "nowhere" is not HOST:PORT'],
  ])('%j → exit 2 with one line', async (args, message) => {
    const r = await runMain(args);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(message);
  });

  test('forwards with the injected latency, prints JSON lines, stops cleanly on SIGINT with counters', async () => {
    const run = spawnImpair([
      '--listen',
      '127.0.0.1:0',
      '--target',
      `127.0.0.1:${echo.port}`,
      '--latency',
      '15ms',
      '--json',
    ]);
    let rtts: { direct: number[]; via: number[] };
    try {
      const client = await openClient(await run.port());
      const direct = await openClient(echo.port);
      rtts = await interleavedRtts(direct, client, 10);
      direct.socket.end();
      client.socket.end();
      await run.until(() => run.stdout().includes('"closed"'), 'the closed event');
      run.kill('SIGINT');
      expect(await run.exited).toBe(130);
    } finally {
      run.kill('SIGKILL');
    }
    const lines = run.stdout().trimEnd().split('\n');
    const events = lines.filter((l) => l.startsWith('{"type"')).map((l) => JSON.parse(l) as { type: string });
    expect(events.map((e) => e.type)).toEqual(['opened', 'closed']);
    const report = JSON.parse(lines.slice(events.length).join('\n')) as {
      command: string;
      data: { counters: Record<string, number>; stoppedBy: string; timerLateness?: { maxMs: number } };
      verdict: { exitCode: number };
    };
    expect(report.command).toBe('impair');
    expect(report.data.stoppedBy).toBe('signal');
    expect(report.data.counters).toMatchObject({ opened: 1, closed: 1, bytesUp: 20, bytesDown: 20 });
    expect(report.verdict.exitCode).toBe(130);
    // The latency was injected: never faster than 2L. Above it by at most the accuracy bound plus the noise seen
    // in this run: the child's worst timer lateness in each direction (from its report; a fresh process on a busy
    // machine releases its first chunks late) and this process's spread on the direct path.
    expect(rtts.via).toHaveLength(10);
    expect(rtts.via[0]).toBeGreaterThanOrEqual(30 - 0.5);
    const added = (rtts.via[0] ?? 0) - (rtts.direct[0] ?? 0);
    expect(added).toBeLessThanOrEqual(
      30 + 1 + 0.05 * 30 + 2 * (report.data.timerLateness?.maxMs ?? 0) + directSpread(rtts),
    );
  });

  test('--duration stops by itself with exit 0 and a text summary', async () => {
    const r = await runCli([
      'impair',
      '--listen',
      '127.0.0.1:0',
      '--target',
      `127.0.0.1:${echo.port}`,
      '--profile',
      '4g',
      '--duration',
      '300ms',
    ]);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(
      /impair: 127\.0\.0\.1:\d+ → mqtt:\/\/127\.0\.0\.1:\d+ {2}4g: latency 30\.0 ms ±15\.0 ms each way/,
    );
    expect(r.stdout).toContain('OK  proxied 0 connections');
  });
});
