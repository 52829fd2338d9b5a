/**
 * keepalive-tune against real brokers and the impair proxy: the idle search finds an injected NAT timeout,
 * the advice it produces keeps an MQTT.js connection alive through that NAT while the 60 s default loses it,
 * and --verify-broker measures mosquitto's real keepalive factor and sees the Will fire.
 * The tests run concurrently (describe.concurrent): each waits out seconds of injected silence on its own proxy,
 * client ids and topics, and every bound comes from the injected NAT or mosquitto's check period, not from
 * how busy this process is. Run one after the other, the file took the sum of those waits (81 s; now 35 s).
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import mqtt from 'mqtt';
import { randomBytes } from 'node:crypto';
import { parseImpairSpec } from '../../src/config/impair.js';
import { resolveConnection } from '../../src/config/connection.js';
import { startImpairProxy } from '../../src/lab/impair/proxy.js';
import { discoverIdleTimeout } from '../../src/measure/idle-discovery.js';
import { recommend } from '../../src/analyze/keepalive/index.js';
import { runCli, runMain } from '../helpers/cli.js';
import { startMosquitto, type Mosquitto } from '../helpers/mosquitto.js';
import { freePort } from '../helpers/ports.js';

const NAT_IDLE_MS = 7000;

let mosq: Mosquitto;
let capped: Mosquitto;
let authed: Mosquitto;
beforeAll(async () => {
  [mosq, capped, authed] = await Promise.all([
    startMosquitto(),
    startMosquitto({ listenerConfig: ['max_keepalive 100'] }),
    startMosquitto({ users: { dev: 'secret-pw' } }),
  ]);
});
afterAll(async () => {
  await Promise.all([mosq?.stop(), capped?.stop(), authed?.stop()]);
});

function connFor(port: number) {
  return resolveConnection(
    {
      url: `mqtt://127.0.0.1:${port}`,
      embedded: false,
      mqttVersion: '5',
      clientId: undefined,
      keepalive: '60s',
      username: undefined,
      password: undefined,
      passwordFile: undefined,
      connectTimeout: '5s',
      wsPath: undefined,
      ca: undefined,
      cert: undefined,
      key: undefined,
      servername: undefined,
      alpn: undefined,
      insecure: false,
    },
    {},
  );
}

/** An MQTT.js subscriber through the proxy for `ms`; a message is published directly to the broker late in the run. */
async function soak(
  port: number,
  keepalive: number,
  topic: string,
  ms: number,
): Promise<{ closes: number; received: number }> {
  const c = mqtt.connect(`mqtt://127.0.0.1:${port}`, {
    keepalive,
    reconnectPeriod: 1000,
    connectTimeout: 5000,
    clientId: `soak-${keepalive}-${randomBytes(3).toString('hex')}`,
  });
  let closes = 0;
  let received = 0;
  c.on('close', () => (closes += 1));
  c.on('message', () => (received += 1));
  c.on('error', () => undefined);
  await new Promise<void>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('no CONNACK through the proxy')), 5000);
    c.once('connect', () => {
      clearTimeout(t);
      c.subscribe(topic, { qos: 0 }, () => resolve());
    });
  });
  await new Promise((r) => setTimeout(r, ms));
  const seen = { closes, received }; // before end(), which closes too
  await c.endAsync(true);
  return seen;
}

async function publishOnce(topic: string): Promise<void> {
  const p = await mqtt.connectAsync(mosq.url, { reconnectPeriod: 0 });
  await p.publishAsync(topic, 'late');
  await p.endAsync();
}

describe.concurrent('--discover-idle', () => {
  test('drop mode: brackets a 7 s NAT idle timeout within ±1 s, bounded in time', async () => {
    const proxy = await startImpairProxy({
      targetHost: '127.0.0.1',
      targetPort: mosq.port,
      faults: parseImpairSpec('nat-idle=7s,nat-mode=drop'),
    });
    try {
      const warnings: Error[] = [];
      const onWarning = (w: Error) => warnings.push(w);
      process.on('warning', onWarning);
      const d = await discoverIdleTimeout({
        conn: connFor(proxy.port),
        maxIdleMs: 20_000,
        pingTimeoutMs: 2000,
        // More connections a round than Node's default of 10 listeners on one signal.
        parallel: 12,
        signal: new AbortController().signal,
      }).finally(() => process.off('warning', onWarning));
      // A round's connections each listen on the round's signal while they wait and ping: no listener warning on
      // the user's stderr.
      expect(warnings.map((w) => w.name)).not.toContain('MaxListenersExceededWarning');
      expect(d.aboveMax).toBe(false);
      expect(d.lowMs).toBeGreaterThanOrEqual(NAT_IDLE_MS - 1000);
      expect(d.highMs).toBeLessThanOrEqual(NAT_IDLE_MS + 1000);
      expect(d.lowMs).toBeLessThanOrEqual(d.highMs);
      expect(d.deadHow.timeout).toBeGreaterThan(0); // silent drop: PINGREQ unanswered, no RST
      // Each round lasts at most its longest useful silence plus the ping timeout: 2 rounds ≤ 2 × (7.5 + 2) s.
      expect(d.tookMs).toBeLessThan(2 * 9500 + 3000);

      // Silent drop is the nasty case: the 60 s default never notices, it just stops receiving.
      const k = recommend({
        idle: { source: 'discovered', label: 'test', lowMs: d.lowMs, highMs: d.highMs },
        power: 'mains',
        transport: 'tcp',
      }).keepaliveS;
      const topic = `ka/drop/${randomBytes(3).toString('hex')}`;
      const publisher = setTimeout(() => void publishOnce(topic), 9500);
      const [tuned, dflt] = await Promise.all([
        soak(proxy.port, k, topic, 11_000),
        soak(proxy.port, 60, topic, 11_000),
      ]);
      clearTimeout(publisher);
      expect(tuned).toEqual({ closes: 0, received: 1 });
      expect(dflt).toEqual({ closes: 0, received: 0 }); // still "connected", message lost
    } finally {
      await proxy.close();
    }
  }, 50_000);

  test('reset mode via the CLI: finds 7 s, and its keepalive keeps MQTT.js connected where 60 s reconnects', async () => {
    const proxy = await startImpairProxy({
      targetHost: '127.0.0.1',
      targetPort: mosq.port,
      faults: parseImpairSpec('nat-idle=7s,nat-mode=reset'),
    });
    try {
      const r = await runCli(
        [
          'keepalive-tune',
          `mqtt://127.0.0.1:${proxy.port}`,
          '--discover-idle',
          '--max-idle',
          '20s',
          '--samples',
          '3',
          '--client',
          'mqttjs',
          '--json',
        ],
        { timeoutMs: 40_000 },
      );
      expect(r.code).toBe(0);
      expect(r.stderr).toMatch(/idle search round 1/); // progress on stderr
      const data = JSON.parse(r.stdout).data;
      const d = data.measured.discovery;
      expect(Math.abs((d.lowMs + d.highMs) / 2 - NAT_IDLE_MS)).toBeLessThanOrEqual(1000);
      expect(d.deadHow.closed).toBeGreaterThan(0);
      const k: number = data.recommendation.keepaliveS;
      expect(k).toBeLessThan(NAT_IDLE_MS / 1000);
      expect(data.fieldGuide.some((f: { agrees: boolean }) => !f.agrees)).toBe(true);

      // The advice, end to end: both clients idle through the same NAT for 11 s; a publish arrives at 9.5 s.
      const topic = `ka/e2e/${randomBytes(3).toString('hex')}`;
      const publisher = setTimeout(() => void publishOnce(topic), 9500);
      const [tuned, dflt] = await Promise.all([
        soak(proxy.port, k, topic, 11_000),
        soak(proxy.port, 60, topic, 11_000),
      ]);
      clearTimeout(publisher);
      expect(tuned).toEqual({ closes: 0, received: 1 });
      expect(dflt.closes).toBeGreaterThanOrEqual(1); // the NAT reset it after 7 s of silence
    } finally {
      await proxy.close();
    }
  }, 70_000);
});

describe.concurrent('--verify-broker against mosquitto', () => {
  test("a silent client with keepalive 4 s is cut after 1.5 × K within mosquitto's check period, and the Will fires", async () => {
    const k = 4;
    const r = await runCli(
      [
        'keepalive-tune',
        mosq.url,
        '--verify-broker',
        '--verify-keepalive',
        `${k}s`,
        '--samples',
        '3',
        '--client',
        'paho-go',
        '--json',
      ],
      { timeoutMs: 30_000 },
    );
    expect(r.code).toBe(0);
    const data = JSON.parse(r.stdout).data;
    const v = data.measured.verifyBroker;
    expect(v.outcome).toBe('cut');
    // Ground truth (mosquitto src/keepalive.c, https://github.com/eclipse/mosquitto/blob/v2.0.11/src/keepalive.c): disconnect once now − last_msg_in > K × 3/2
    // (integer seconds), tested when last_check + 5 < now, i.e. every 6 whole seconds. So the cut lands
    // after more than 1.5 K s and before 1.5 K + 1 s (clock rounding) + 6 s (check period), plus slack.
    expect(v.cutAfterMs).toBeGreaterThan(Math.floor(1.5 * k) * 1000 - 200);
    expect(v.cutAfterMs).toBeLessThan((Math.floor(1.5 * k) + 1 + 6) * 1000 + 500);
    expect(v.factor).toBeCloseTo(v.cutAfterMs / 1000 / k, 5);
    expect(v.willFired).toBe(true);
    expect(data.recommendation.detection.serverBasis).toMatch(/^measured: 1.5 × K \+ \d+\.\d s check lag/);
  }, 40_000);
});

// What needs no process of its own (offline advice, usage errors, a closed port) runs in-process: main(argv, io).
describe.concurrent('broker limits and offline use', () => {
  test('MQTT 5 Server Keep Alive (max_keepalive 100) caps the battery recommendation', async () => {
    const r = await runCli(['keepalive-tune', capped.url, '--samples', '2', '--power', 'battery', '--json'], {
      timeoutMs: 15_000,
    });
    expect(r.code).toBe(0);
    const data = JSON.parse(r.stdout).data;
    expect(data.measured.limits.maxAcceptedS).toBe(100);
    expect(data.recommendation.keepaliveS).toBe(100);
  });

  test('offline: profile and broker only, JSON shape', async () => {
    const r = await runMain([
      'keepalive-tune',
      '--profile',
      '4g',
      '--broker',
      'aws-iot',
      '--nat-idle',
      'aws-nat',
      '--json',
    ]);
    expect(r.code).toBe(0);
    const data = JSON.parse(r.stdout).data;
    expect(data.recommendation).toMatchObject({ keepaliveS: 60, pingTimeoutS: 2, connectTimeoutS: 10 });
    expect(data.clients.map((c: { id: string }) => c.id)).toEqual([
      'mqttjs',
      'paho-python',
      'paho-go',
      'paho-java',
      'umqtt',
      'mosquitto-cli',
    ]);
    expect(data.why.length).toBeGreaterThan(5);
  });

  test('a refused CONNECT exits 4 and never prints the password', async () => {
    const r = await runCli(['keepalive-tune', authed.url, '-u', 'dev', '--samples', '1'], {
      env: { MQTT_DOCTOR_PASSWORD: 'wrong-pw' },
    });
    expect(r.code).toBe(4);
    expect(r.stderr + r.stdout).not.toContain('wrong-pw');
  });

  test('nobody listening exits 3', async () => {
    const r = await runMain(['keepalive-tune', `mqtt://127.0.0.1:${await freePort()}`, '--samples', '1']);
    expect(r.code).toBe(3);
  });

  test('nothing to tune from is a usage error (exit 2)', async () => {
    const r = await runMain(['keepalive-tune']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/nothing to tune from/);
  });
});
