/**
 * A clean soak report prints only rows that carry information (issue 13: "time to reconnect —", "attempts per
 * outage —", "connected periods —", "in flight 0" on a run without a single outage), while the JSON keeps every
 * field. The same rows come back as soon as there is something to show.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startMosquitto, cleanup, type Mosquitto } from '../helpers/mosquitto.js';
import { runMain } from '../helpers/cli.js';
import type { Report } from '../../src/report/model.js';
import type { SoakData } from '../../src/report/build-soak.js';
import { renderText } from '../../src/report/render-text.js';
import type { ConnectionTimeline } from '../../src/analyze/soak/connection.js';
import { CLEAN_VERDICT_LINE, IDLE_RUN_INFO, oneClientSummary, reportOf } from './helpers.js';

/** Rows that describe outages, reconnects or messages caught by a disconnect: nothing to say on a clean run. */
const OUTAGE_ROWS =
  /time to reconnect|attempts per outage|connected periods|short outages|in flight at disconnect|longest outage|sessions lost|skipped while offline|most for one client/;

let broker: Mosquitto;
beforeAll(async () => {
  broker = await startMosquitto({ globalConfig: ['set_tcp_nodelay true'] });
});
afterAll(async () => {
  await broker.stop();
  cleanup(broker);
});

describe('a clean run prints no empty rows', () => {
  test('text: no outage rows and no dash for a missing figure; JSON: every field, null when empty', async () => {
    const args = ['soak', broker.url, '-V', '3.1.1', '-d', '1500ms', '--rate', '5/s', '-q'];
    const text = await runMain(args);
    const out = text.stdout;
    expect({ code: text.code, out }).toMatchObject({ code: 0 });
    expect(out).toMatch(CLEAN_VERDICT_LINE);
    expect(out).not.toMatch(OUTAGE_ROWS);
    expect(out).not.toMatch(/ —\s*$/m);
    // What a clean run does show: the answer.
    expect(out).toMatch(/uptime\s+100\.000%/);
    expect(out).toMatch(/latency\s+p50 /);

    const json = await runMain([...args, '--json']);
    const c = (JSON.parse(json.stdout) as Report<SoakData>).data.summary.connections;
    expect(c).toMatchObject({
      timeToReconnectMs: null,
      attemptsPerOutage: null,
      connectedMs: null,
      longestOutage: null,
    });
    expect(c).toHaveProperty('flaps', 0);
    expect(c).toHaveProperty('sessionsLost', 0);
  }, 30_000);
});

describe('the rows come back when there is something to show', () => {
  const report = (script: (tl: ConnectionTimeline) => void, clean = true) => {
    const summary = oneClientSummary(script);
    const r = reportOf(summary, { info: { ...IDLE_RUN_INFO, clean } });
    return renderText(r, { colorLevel: 0 });
  };

  test('an outage: longest outage, time to reconnect, attempts, connected periods, short outages', () => {
    const text = report((tl) => {
      tl.connect(10, false, false);
      tl.disconnect(1000, 'reset');
      tl.connectFailed(1500, 'refused');
      tl.connect(2000, false, false);
    });
    for (const row of ['longest outage', 'time to reconnect', 'attempts per outage', 'connected periods'])
      expect(text).toMatch(new RegExp(`${row}\\s+\\S`));
    expect(text).toMatch(/short outages\s+1 under 10(\.0)? s/);
    expect(text).toMatch(/attempts per outage\s+p50 2, max 2/);
  });

  test('--no-clean: sessions lost is an answer even at 0', () => {
    expect(report((tl) => tl.connect(10, false, false), false)).toMatch(/sessions lost\s+0/);
    expect(report((tl) => tl.connect(10, false, false), true)).not.toMatch(/sessions lost/);
  });
});
