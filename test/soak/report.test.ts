import { describe, expect, test } from 'vitest';
import { classifyDisconnect } from '../../src/analyze/soak/causes.js';
import {
  ConnectionTimeline as ConnectionTimelineOf,
  type ConnectionTimeline,
} from '../../src/analyze/soak/connection.js';
import type { SoakRunInfo } from '../../src/analyze/soak/events.js';
import { summarizeConnections, type SoakSummary } from '../../src/analyze/soak/summary.js';
import { checkThresholds, soakFindings } from '../../src/analyze/soak/thresholds.js';
import { buildSoakFromFile, buildSoakReport, withTarget, type SoakEnd } from '../../src/report/build-soak.js';
import { renderJunit } from '../../src/report/render-junit.js';
import { renderText } from '../../src/report/render-text.js';
import { IDLE_RUN_INFO, oneClientSummary, reportOf } from './helpers.js';
import { UsageError } from '../../src/errors.js';

// An idle run (--rate 0): these tests are about the connection verdict; message verdicts are below.
const info: SoakRunInfo = IDLE_RUN_INFO;

const summary = oneClientSummary;

function build(s: SoakSummary, end: SoakEnd = 'duration', maxReconnects?: number) {
  return reportOf(s, { info, end, thresholds: checkThresholds(s, { maxReconnects }) });
}

const upDownUp = (tl: ConnectionTimeline) => {
  tl.connect(10, false, false);
  tl.disconnect(1000, 'reset');
  tl.connect(2000, false, false);
};

describe('soak verdict', () => {
  test.each([
    ['healthy', (tl: ConnectionTimeline) => tl.connect(10, false, false), 'duration', undefined, 'healthy', 0],
    ['reconnects without thresholds: degraded, exit 0', upDownUp, 'duration', undefined, 'degraded', 0],
    ['threshold failed: exit 1', upDownUp, 'duration', 0, 'failed', 1],
    [
      'never connected, TCP refused: exit 3',
      (tl: ConnectionTimeline) => tl.connectFailed(5, 'refused'),
      'duration',
      undefined,
      'failed',
      3,
    ],
    [
      'never connected, CONNACK refused: exit 4',
      (tl: ConnectionTimeline) => tl.connectFailed(5, 'connack-refused'),
      'duration',
      undefined,
      'failed',
      4,
    ],
    ['stopped by a signal', upDownUp, 'signal', undefined, 'interrupted', 0],
    ['killed (report of a file without end line)', upDownUp, 'killed', undefined, 'interrupted', 0],
  ] as const)('%s', (_n, script, end, maxRe, status, exitCode) => {
    const r = build(summary(script), end, maxRe);
    expect(r.verdict).toMatchObject({ status, exitCode });
  });

  test('a failed threshold is named in the verdict and in the JUnit failure', () => {
    const r = build(summary(upDownUp), 'duration', 0);
    expect(r.verdict.summary).toMatch(/--max-reconnects \(reconnects 1 > 0/);
    const xml = renderJunit(r);
    expect(xml).toMatch(/failures="1"/);
    expect(xml).toMatch(
      /classname="mqtt-doctor\.soak\.threshold\.max-reconnects" name="--max-reconnects">\s*<failure message="reconnects 1 &gt; 0 \(worst client\)"/,
    );
  });

  test('JUnit escapes XML', () => {
    const r = build(summary(upDownUp));
    r.checks.push({ id: 'x', title: 'a <b> & "c"', status: 'fail', summary: "it's <bad>" });
    const xml = renderJunit(r);
    expect(xml).toContain('name="a &lt;b&gt; &amp; &quot;c&quot;"');
    expect(xml).toContain('message="it&apos;s &lt;bad&gt;"');
  });
});

describe('knowledge base links', () => {
  test.each([
    [{ phase: 'session', errorMessage: 'Keepalive timeout' }, 'mqttjs.keepalive-timeout'],
    [{ phase: 'session', errorCode: 'ECONNRESET', errorMessage: 'read ECONNRESET' }, 'errno.ECONNRESET'],
    [{ phase: 'connect', errorCode: 'ECONNREFUSED' }, 'errno.ECONNREFUSED'],
    [{ phase: 'session', disconnectPacket: true, reasonCode: 0x8e, mqttVersion: 5 }, 'mqtt5.0x8E'],
  ] as const)('%j → %s', (obs, kb) => {
    expect(classifyDisconnect(obs).kb).toBe(kb);
  });

  test('the text report shows the kb fix for a cause seen', () => {
    const s = summary(upDownUp);
    const r = buildSoakReport({
      command: 'soak',
      version: '0',
      startedAt: '',
      finishedAt: '',
      runId: 'r',
      info,
      end: 'duration',
      summary: s,
      thresholds: [],
      findings: [],
      recentDisconnects: [
        { type: 'disconnect', t: 1000, client: 0, cause: 'reset', detail: 'ECONNRESET', kb: 'errno.ECONNRESET' },
      ],
    });
    const text = renderText(r, { colorLevel: 0 });
    expect(text).toMatch(/connection reset: a TCP RST arrived/);
    expect(text).toMatch(/fix: /);
  });

  const t = { url: '', scheme: 'mqtts', host: 'broker.test', port: 8883, username: 'dev', passwordSet: true } as const;
  test.each([
    [
      'mqtt-doctor keepalive-tune mqtt://HOST:PORT --verify-broker',
      t,
      'mqtt-doctor keepalive-tune mqtts://dev@broker.test:8883 --verify-broker',
    ],
    [
      'pick a keepalive: mqtt-doctor keepalive-tune <url>',
      { ...t, username: undefined, scheme: 'mqtt', port: 1883 },
      'pick a keepalive: mqtt-doctor keepalive-tune mqtt://broker.test:1883',
    ],
    ['mqtt-doctor probe mqtt://USER@HOST:PORT', { ...t, host: '::1' }, 'mqtt-doctor probe mqtts://dev@[::1]:8883'],
    ['mqtt-doctor probe mqtt://HOST:PORT', undefined, 'mqtt-doctor probe mqtt://HOST:PORT'],
  ] as const)("a confirm command names the run's target: %s", (text, target, want) => {
    expect(withTarget(text, target)).toBe(want);
  });
});

describe('report from a file', () => {
  test.each(['', 'not json\n', '{"type":"checkpoint","t":1}\n'])('%j is not a soak file', (text) => {
    expect(() => buildSoakFromFile(text, 'x.jsonl', {}, '0')).toThrow(UsageError);
  });
});

describe('a failing finding fails the run', () => {
  // README exit codes: 1 for "no replies at all"; the JUnit file already carries the failure, so the exit
  // code must agree with it (a CI job reading either must see the same result).
  test.each([
    ['nothing came back: exit 1', 20, 0, 'duration', 'failed', 1],
    ['nothing came back, interrupted: still exit 1', 20, 0, 'signal', 'failed', 1],
    ['some came back: loss is degraded, exit 0', 20, 15, 'duration', 'degraded', 0],
  ] as const)('%s', (_n, sent, received, end, status, exitCode) => {
    const base = oneClientSummary((tl) => tl.connect(10, false, false));
    const s: SoakSummary = {
      ...base,
      messages: { ...base.messages, sent, received, lost: sent - received, lossPct: (100 * (sent - received)) / sent },
    };
    const r = buildSoakReport({
      command: 'soak',
      version: '0',
      startedAt: new Date(0).toISOString(),
      finishedAt: new Date(10_000).toISOString(),
      runId: 'r',
      info,
      end,
      summary: s,
      thresholds: [],
      findings: soakFindings(s),
      recentDisconnects: [],
    });
    expect(r.verdict).toMatchObject({ status, exitCode });
    expect(/failures="(\d+)"/.exec(renderJunit(r))?.[1] !== '0').toBe(exitCode !== 0);
  });
});

describe('clients that never connected', () => {
  /** Two clients: the first connected at 10 ms and stayed; the second never got as far as an attempt. */
  function halfConnected(): SoakSummary {
    const up = new ConnectionTimelineOf(0, 0);
    up.connect(10, false, false);
    const never = new ConnectionTimelineOf(1, 0);
    return {
      ...oneClientSummary(() => {}),
      clients: 2,
      connections: summarizeConnections([up, never], 10_000, 10_000),
    };
  }

  test.each(['duration', 'signal'] as const)('end by %s: "every client connected" is not passed', (end) => {
    const r = build(halfConnected(), end);
    const check = r.checks.find((c) => c.id === 'connections')!;
    expect(check.status).toBe('warn');
    expect(check.summary).toMatch(
      end === 'signal'
        ? /^1 of 2 clients connected \(1 never did before the run was interrupted\)/
        : /^1 of 2 clients connected \(1 never did\)/,
    );
    expect(r.verdict.status).not.toBe('healthy');
  });
});
