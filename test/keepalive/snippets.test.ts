/**
 * The MQTT.js snippet is runnable code: run it with node against mosquitto, directly and through a proxy that
 * resets every connection, and check it connects, keeps the recommended keepalive and backs off on its own.
 * (The other libraries are not installed here; their snippets are checked for the settings they must carry.)
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { recommend } from '../../src/analyze/keepalive/index.js';
import { parseImpairSpec } from '../../src/config/impair.js';
import { startImpairProxy, type ImpairEvent } from '../../src/lab/impair/proxy.js';
import { clientAdvice } from '../../src/report/build-keepalive.js';
import { startMosquitto, type Mosquitto } from '../helpers/mosquitto.js';

const MQTT_URL = pathToFileURL(createRequire(import.meta.url).resolve('mqtt')).href;
const rec = recommend({
  idle: { source: 'flag', label: 'test', lowMs: 60_000, highMs: 60_000 },
  power: 'mains',
  transport: 'tcp',
});

let mosq: Mosquitto;
let dir: string;
beforeAll(async () => {
  mosq = await startMosquitto();
  dir = mkdtempSync(join(tmpdir(), 'mqd-snippet-'));
});
afterAll(async () => {
  await mosq?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/**
 * Run the generated MQTT.js snippet until its `connects`-th CONNACK plus `settleMs` (or `boundMs` in all),
 * counting CONNACKs; returns what it printed. The clock starts at the snippet's first line, after node and
 * mqtt have loaded, which takes seconds on a busy machine.
 */
function runSnippet(
  port: number,
  { connects: want, settleMs, boundMs }: { connects: number; settleMs: number; boundMs: number },
): Promise<{ code: number | null; out: string }> {
  const [advice] = clientAdvice(rec, ['mqttjs'], { host: '127.0.0.1', port, secure: false });
  const code =
    advice!.snippet.replace("from 'mqtt'", `from '${MQTT_URL}'`) +
    `\nlet connects = 0;\nconst t0 = Date.now();\n` +
    `let stopped = false;\n` +
    `const stop = () => { if (stopped) return; stopped = true; console.log('CONNECTS ' + connects); client.end(true, () => process.exit(0)); };\n` +
    `client.on('connect', () => { connects++; console.log('CONNECTED keepalive=' + client.options.keepalive + ' at=' + (Date.now() - t0));` +
    ` if (connects === ${want}) setTimeout(stop, ${settleMs}); });\n` +
    `setTimeout(stop, ${boundMs});\n`;
  const file = join(dir, `snippet-${port}.mjs`);
  writeFileSync(file, code);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [file], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const kill = setTimeout(() => child.kill('SIGKILL'), boundMs + 10_000);
    child.once('error', reject);
    child.once('exit', (c) => {
      clearTimeout(kill);
      resolve({ code: c, out });
    });
  });
}

describe('MQTT.js snippet', () => {
  test('connects with the recommended keepalive and exits cleanly after end()', async () => {
    // One CONNACK, then a second in which no reconnect may happen.
    const r = await runSnippet(mosq.port, { connects: 1, settleMs: 1000, boundMs: 10_000 });
    expect(r.out).toContain(`CONNECTED keepalive=${rec.keepaliveS}`);
    expect(r.out).toContain('CONNECTS 1');
    expect(r.code).toBe(0);
  });

  test('backs off by itself when every connection is reset after 500 ms', async () => {
    const events: ImpairEvent[] = [];
    const proxy = await startImpairProxy({
      targetHost: '127.0.0.1',
      targetPort: mosq.port,
      faults: parseImpairSpec('reset-after=500ms'),
      onEvent: (e) => events.push(e),
    });
    try {
      const r = await runSnippet(proxy.port, { connects: 3, settleMs: 0, boundMs: 10_000 });
      expect([...r.out.matchAll(/at=(\d+)/g)].length).toBeGreaterThanOrEqual(3);
      // The wait before each reconnect, on the proxy's clock: from its reset of one connection to its accept of the
      // next. The snippet waits 1 s, then 2 s (±25 % jitter): 750–1250 ms, then 1500–2500 ms; MQTT.js's own fixed
      // 1 s would give ~1000 ms both times. A busy CPU only makes a wait longer, so the floors are exact; the
      // ceilings allow 750 ms of lateness.
      const resets = events.filter((e) => e.type === 'reset' && e.reason === 'reset-after');
      const opens = events.filter((e) => e.type === 'opened');
      expect(opens.length).toBeGreaterThanOrEqual(3);
      const waits = [0, 1].map((k) => opens[k + 1]!.atMs - resets[k]!.atMs);
      expect(waits[0]).toBeGreaterThanOrEqual(750 - 5);
      expect(waits[0]).toBeLessThanOrEqual(1250 + 750);
      expect(waits[1]).toBeGreaterThanOrEqual(1500 - 5);
      expect(waits[1]).toBeLessThanOrEqual(2500 + 750);
    } finally {
      await proxy.close();
    }
  }, 25_000);
});

describe('other snippets carry the numbers in their own terms', () => {
  const all = clientAdvice(rec, ['paho-python', 'paho-go', 'paho-java', 'umqtt', 'mosquitto-cli'], {
    host: 'h',
    port: 8883,
    secure: true,
  });
  const by = Object.fromEntries(all.map((a) => [a.id, a.snippet]));
  test.each([
    ['paho-python', `keepalive=${rec.keepaliveS}`],
    ['paho-python', `max_delay=${rec.backoff.maxS}`],
    ['paho-go', `SetPingTimeout(${rec.pingTimeoutS} * time.Second)`],
    ['paho-go', `SetKeepAlive(${rec.keepaliveS} * time.Second)`],
    ['paho-java', `setKeepAliveInterval(${rec.keepaliveS})`],
    ['umqtt', 'c.ping()'],
    ['umqtt', `keepalive=${rec.keepaliveS}`],
    ['mosquitto-cli', `-k ${rec.keepaliveS}`],
  ])('%s contains %s', (id, text) => {
    expect(by[id]).toContain(text);
  });
});
