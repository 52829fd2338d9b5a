/**
 * A run that ends while its clients are still on their first attempt says which step was pending and for how
 * long, and blames only what it saw: a step that had waited CUT_SHORT_EVIDENCE_MS (1 s) or more counts as not
 * answered (the connection: exit 3; its CONNACK: exit 4), a shorter wait blames no one ('run-ended', exit 1,
 * "run longer"). It used to read "TCP failed: connack timeout" (exit 3), or "no SUBACK" (exit 4) against a healthy
 * broker, for a run a few milliseconds long.
 */
import { describe, expect, test } from 'vitest';
import { startFakeServer } from '../helpers/fake-server.js';
import { startSynDropper } from '../helpers/syn-dropper.js';
import type { Report } from '../../src/report/model.js';
import type { SoakData } from '../../src/report/build-soak.js';
import { CUT_SHORT_EVIDENCE_MS } from '../../src/measure/soak/client.js';
import { runMain } from '../helpers/cli.js';

const soakJson = async (url: string, ...args: string[]) => {
  const from = performance.now();
  const r = await runMain(['soak', url, '-V', '3.1.1', '--json', '-q', ...args]);
  return { code: r.code, report: JSON.parse(r.stdout) as Report<SoakData>, spanMs: performance.now() - from };
};

const detailOf = (report: Report<SoakData>) =>
  report.data.recentDisconnects.find((e) => e.type === 'connect-failed')?.detail;

/**
 * A run short enough that no step can have waited the evidence bound: the whole in-process run, start to report,
 * took less (the attempt's wait lies inside it). A busy machine can stretch a 200 ms run past it: then it is run
 * again, at most three times.
 */
async function shortRun(url: string) {
  for (let i = 0; ; i += 1) {
    const r = await soakJson(url, '-d', '200ms', '--connect-timeout', '30s');
    if (r.spanMs < CUT_SHORT_EVIDENCE_MS || i === 2) return r;
  }
}

describe('the run ends while the first attempt is still connecting', () => {
  test('SYNs unanswered, a run too short to tell: no blame, exit 1, "run longer"', async () => {
    const dropper = await startSynDropper();
    try {
      const { code, report, spanMs } = await shortRun(`mqtt://127.0.0.1:${dropper.port}`);
      expect(spanMs).toBeLessThan(CUT_SHORT_EVIDENCE_MS);
      expect(code).toBe(1);
      expect(report.verdict.status).toBe('failed');
      expect(report.verdict.summary).toMatch(
        /^no client connected before the run ended \(1 attempt cut short; connection not up in the \d+ ms left of the run \(--connect-timeout 30\.0 s not reached\)\): run longer \(--duration\)/,
      );
      expect(report.data.summary.connections.byCause).toEqual({ 'run-ended': 1 });
      expect(report.checks.map((c) => c.summary)).toContain(
        "no client connected (1 attempt cut short by the run's end)",
      );
    } finally {
      dropper.close();
    }
  }, 20_000);

  test('a healthy broker and a run too short for its SUBACK or CONNACK: no blame, exit 1', async () => {
    const server = await startFakeServer((s) => {
      // Answers, but later than the run lasts: CONNACK after 2 s.
      s.once('data', () => setTimeout(() => s.writable && s.write(Buffer.from([0x20, 0x02, 0x00, 0x00])), 2000));
    });
    try {
      const { code, report, spanMs } = await shortRun(server.url);
      expect(spanMs).toBeLessThan(CUT_SHORT_EVIDENCE_MS);
      expect(code).toBe(1);
      expect(report.data.summary.connections.byCause).toEqual({ 'run-ended': 1 });
      expect(detailOf(report)).toMatch(/^connection up, no CONNACK in the \d+ ms left of the run/);
    } finally {
      await server.close();
    }
  }, 20_000);

  test.each([
    {
      why: 'for the 3 s the run had: the connection counts as not up',
      args: ['--connect-timeout', '30s'],
      detail: /^connection not up in the \d+ ms left of the run \(--connect-timeout 30\.0 s not reached\)$/,
    },
    {
      // The client was waiting to retry, not connecting, when the run ended: no cut-short attempt is added.
      why: 'past --connect-timeout inside the run: the timeout is the evidence',
      args: ['--connect-timeout', '1s', '--reconnect', 'fixed:5s'],
      detail: /connack timeout/,
    },
  ])(
    'SYNs unanswered $why, exit 3',
    async ({ args, detail }) => {
      const dropper = await startSynDropper();
      try {
        const { code, report } = await soakJson(`mqtt://127.0.0.1:${dropper.port}`, '-d', '3s', ...args);
        expect(code).toBe(3);
        expect(report.data.summary.connections.byCause).toEqual({ 'connect-timeout': 1 });
        expect(detailOf(report)).toMatch(detail);
        expect(report.verdict.summary).toMatch(/^no client ever connected: /);
      } finally {
        dropper.close();
      }
    },
    20_000,
  );

  test('connection accepted, no CONNACK for the 2 s the run had: the server did not serve it, exit 4', async () => {
    const server = await startFakeServer('silent');
    try {
      const { code, report } = await soakJson(server.url, '-d', '2s', '--connect-timeout', '30s');
      expect(code).toBe(4);
      expect(report.data.summary.connections.byCause).toEqual({ 'no-connack': 1 });
      expect(detailOf(report)).toMatch(
        /^connection up, no CONNACK in the \d+ ms left of the run \(--connect-timeout 30\.0 s not reached\)$/,
      );
    } finally {
      await server.close();
    }
  }, 20_000);
});
