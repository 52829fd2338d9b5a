import { describe, expect, test } from 'vitest';
import { recommend, retransmissionsFor, idleMarginS, bytesPerPing } from '../../src/analyze/keepalive/index.js';
import type { KeepaliveInputs, PowerMode } from '../../src/analyze/keepalive/index.js';
import { BROKERS, findBroker, serverDetectionMs } from '../../src/kb/brokers.js';
import { PROFILES, findProfile } from '../../src/kb/profiles.js';
import { CLIENT_LIBS, clientDetectionS } from '../../src/kb/clients.js';

function fromProfile(name: string, extra: Partial<KeepaliveInputs> = {}): KeepaliveInputs {
  const p = findProfile(name);
  if (!p) throw new Error(`no profile ${name}`);
  return {
    profileName: p.name,
    path: {
      source: 'profile',
      label: p.name,
      rttP50Ms: p.rttMs.typical,
      rttP99Ms: p.rttMs.max,
      jitterMs: p.jitterMs,
      lossPct: p.lossPct,
    },
    ...(p.natIdleS
      ? { idle: { source: 'profile' as const, label: p.name, lowMs: p.natIdleS * 1000, highMs: p.natIdleS * 1000 } }
      : {}),
    power: 'mains',
    transport: 'tcp',
    ...extra,
  };
}

describe('per profile (mains, no broker)', () => {
  // keepalive, ping timeout, connect timeout: one line per profile.
  test.each([
    ['lan', 60, 2, 10],
    ['broadband', 60, 2, 10],
    ['4g', 60, 2, 10],
    ['5g', 60, 2, 10],
    // p99 10 s (3GPP exception-report target) + retransmissions + radio wake-up: a long PINGRESP wait.
    ['nb-iot', 60, 15, 60],
    ['satellite-geo', 60, 2, 10],
    ['satellite-leo', 60, 2, 10],
    ['international', 60, 2, 10],
  ])('%s → K %i s, ping timeout %i s, connect timeout %i s', (name, k, pt, ct) => {
    const r = recommend(fromProfile(name));
    expect([r.keepaliveS, r.pingTimeoutS, r.connectTimeoutS]).toEqual([k, pt, ct]);
  });

  test.each([
    ['lan', 1200],
    ['broadband', 1200],
    ['4g', 240],
    ['5g', 240],
    ['nb-iot', 240],
    ['satellite-geo', 240], // no idle figure: assumes 300 s
    ['international', 240],
  ])('%s on battery → K %i s', (name, k) => {
    expect(recommend(fromProfile(name, { power: 'battery' })).keepaliveS).toBe(k);
  });

  test('every profile of kb/profiles is covered', () => {
    expect(PROFILES.map((p) => p.name).sort()).toEqual(
      ['4g', '5g', 'broadband', 'international', 'lan', 'nb-iot', 'satellite-geo', 'satellite-leo'].sort(),
    );
  });
});

describe('per broker (battery on broadband, so the broker maximum binds)', () => {
  test.each([
    ['aws-iot', 1200, 1800],
    ['azure-iot-hub', 1177, 1766], // ceil(1.5 × 1177),
    ['mosquitto', 1200, 1805],
    ['emqx', 1200, 1830],
    ['hivemq', 1200, 1800],
  ])('%s → K %i s, server detection %i s', (name, k, serverS) => {
    const r = recommend(fromProfile('broadband', { power: 'battery', broker: { limits: findBroker(name)! } }));
    expect(r.keepaliveS).toBe(k);
    expect(r.detection.serverS).toBe(serverS);
  });

  test('AWS minimum: an idle timeout of 20 s forces K below 30 s and says what AWS does with it', () => {
    const r = recommend({
      ...fromProfile('4g'),
      idle: { source: 'flag', label: '--nat-idle', lowMs: 20_000, highMs: 20_000 },
      broker: { limits: findBroker('aws-iot')! },
    });
    expect(r.keepaliveS).toBeLessThan(30);
    expect(r.detection.serverS).toBe(45); // 1.5 × 30
    expect(r.warnings.join(' ')).toMatch(/treats keepalive below 30 s as 30 s/);
  });

  test('a live broker maximum (Server Keep Alive) beats the documented one', () => {
    const r = recommend(
      fromProfile('lan', {
        power: 'battery',
        broker: { limits: findBroker('mosquitto')!, maxAcceptedS: 100, maxAcceptedHow: 'Server Keep Alive 100 s' },
      }),
    );
    expect(r.keepaliveS).toBe(100);
    expect(r.why.find((w) => w.id === 'keepalive.preference')?.inputs).toMatch(/Server Keep Alive 100 s/);
  });

  test.each([
    ['mosquitto-like lag: K 4 s cut after 10 s → 1.5 × 60 + 4', 4, 10_000, 94],
    ['exact 1.5 × K', 2, 3000, 90],
    ['a broker that cuts early scales by its factor', 10, 12_000, 72],
  ])('measured cut replaces the documented detection: %s', (_name, kv, cutMs, serverS) => {
    const r = recommend(
      fromProfile('lan', { broker: { limits: findBroker('emqx')!, measured: { keepaliveS: kv, cutAfterMs: cutMs } } }),
    );
    expect(r.keepaliveS).toBe(60);
    expect(r.detection.serverS).toBe(serverS);
    expect(r.detection.serverBasis).toMatch(/measured/);
  });
});

describe('single rules', () => {
  test.each([
    [0, 1],
    [1, 2],
    [5, 3],
    [20, 6],
    [60, 6],
  ])('loss %f%% → %i retransmissions budgeted', (loss, n) => {
    expect(retransmissionsFor(loss)).toBe(n);
  });

  test.each([
    [7, 1.75],
    [30, 7.5],
    [60, 15],
    [350, 70],
    [7440, 1488],
  ])('idle %i s → margin %f s', (t, m) => {
    expect(idleMarginS(t)).toBeCloseTo(m);
  });

  test.each([
    ['tcp', 160],
    ['tls', 204],
    ['ws', 168],
    ['wss', 212],
  ] as const)('%s ping exchange costs %i bytes', (t, b) => {
    expect(bytesPerPing(t)).toBe(b);
  });

  test('nat-idle 7 s gives K 5 s (the e2e test relies on it)', () => {
    const r = recommend({
      idle: { source: 'discovered', label: 'x', lowMs: 6800, highMs: 7300 },
      power: 'mains',
      transport: 'tcp',
      path: { source: 'measured', label: 'lo', rttP50Ms: 0.2, rttP99Ms: 1, jitterMs: 0.1, lossPct: 0 },
    });
    expect(r.keepaliveS).toBe(5);
    expect(r.pingTimeoutS).toBe(2);
  });

  test('GEO with 5 % loss needs a longer ping timeout and a longer keepalive for MQTT.js', () => {
    const p = { name: 'satellite-geo' };
    const r = recommend({
      ...fromProfile('satellite-geo'),
      path: { source: 'profile', label: p.name, rttP50Ms: 600, rttP99Ms: 700, jitterMs: 25, lossPct: 5 },
    });
    expect(r.pingTimeoutS).toBe(7); // 700 + 3 × RTO 800 ms doubling (5.6 s) = 6.3 s
    expect(r.keepaliveS).toBeGreaterThanOrEqual(2 * r.pingTimeoutS);
  });

  test('session expiry caps the backoff', () => {
    expect(recommend(fromProfile('lan', { sessionExpiryS: 40 })).backoff.maxS).toBe(20);
  });

  test('field guides: the 4G 45–60 s row disagrees with a 7 s NAT and says why', () => {
    const r = recommend({
      ...fromProfile('4g'),
      idle: { source: 'flag', label: '--nat-idle', lowMs: 7000, highMs: 7000 },
    });
    const row = r.fieldGuide.find((f) => f.claim.startsWith('4G mobile'));
    expect(row?.agrees).toBe(false);
    expect(row?.why).toMatch(/idle timeout is 7 s/);
    expect(r.fieldGuide.find((f) => f.claim.includes('3 × heartbeat'))?.agrees).toBe(false);
  });

  test('field guides: the satellite 120 s row is explained by the ping timeout', () => {
    const r = recommend(fromProfile('satellite-geo'));
    expect(r.fieldGuide.find((f) => f.claim.startsWith('high-latency satellite'))?.why).toMatch(/ping timeout/);
  });
});

/** Deterministic PRNG (mulberry32) so a failing case can be replayed. */
function rng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('properties over generated inputs', () => {
  const rand = rng(20261122);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)] as T;
  const cases = Array.from({ length: 500 }, (_, i) => {
    const rttP50Ms = 0.1 + rand() * 900;
    const idleS = 6 + rand() * 8000;
    const inp: KeepaliveInputs = {
      ...(rand() < 0.3 ? { profileName: pick(PROFILES).name } : {}),
      path: {
        source: 'measured',
        label: `case ${i}`,
        rttP50Ms,
        rttP99Ms: rttP50Ms * (1 + rand() * 3),
        jitterMs: rand() * 100,
        lossPct: rand() < 0.5 ? 0 : rand() * 30,
      },
      ...(rand() < 0.8
        ? {
            idle: {
              source: 'discovered' as const,
              label: 'gen',
              lowMs: idleS * 1000,
              highMs: idleS * 1000 * (1 + rand() * 0.2),
            },
          }
        : {}),
      ...(rand() < 0.7
        ? {
            broker: {
              limits: pick(BROKERS),
              ...(rand() < 0.3 ? { maxAcceptedS: 10 + Math.floor(rand() * 2000) } : {}),
            },
          }
        : {}),
      power: pick(['mains', 'battery'] as PowerMode[]),
      ...(rand() < 0.3 ? { sessionExpiryS: Math.floor(rand() * 3600) } : {}),
      transport: pick(['tcp', 'tls', 'ws', 'wss'] as const),
    };
    return inp;
  });

  test.each(cases.map((c, i) => [i, c] as const))('case %i holds every property', (_i, inp) => {
    const r = recommend(inp);
    expect(Number.isInteger(r.keepaliveS) && r.keepaliveS >= 1 && r.keepaliveS <= 65535).toBe(true);
    // keepalive < idle timeout with a margin, and even paho.mqtt.golang's late ping stays inside it
    if (inp.idle) {
      const t = inp.idle.lowMs / 1000;
      expect(r.keepaliveS).toBeLessThanOrEqual(Math.max(1, t - idleMarginS(t)));
      if (r.keepaliveS > 1) expect(r.keepaliveS + (r.keepaliveS > 10 ? 5 : r.keepaliveS / 4)).toBeLessThan(t);
    }
    // within broker bounds (the minimum may only be undercut when the idle timeout forces it, with a warning)
    const lim = inp.broker?.limits;
    if (lim) {
      expect(r.keepaliveS).toBeLessThanOrEqual(lim.maxKeepaliveS);
      if (r.keepaliveS < lim.minKeepaliveS) expect(r.warnings.join(' ')).toMatch(/treats keepalive below/);
    }
    if (inp.broker?.maxAcceptedS !== undefined) expect(r.keepaliveS).toBeLessThanOrEqual(inp.broker.maxAcceptedS);
    // ping timeout > p99 RTT, and the client notices a dead link after K + ping timeout
    expect(r.pingTimeoutS * 1000).toBeGreaterThan(inp.path?.rttP99Ms ?? 0);
    expect(r.detection.clientS).toBe(r.keepaliveS + r.pingTimeoutS);
    expect(r.detection.serverS).toBeGreaterThanOrEqual(r.keepaliveS);
    // backoff cap below the session expiry (half of it) when one is given
    if (inp.sessionExpiryS && inp.sessionExpiryS / 2 >= r.backoff.minS)
      expect(r.backoff.maxS).toBeLessThanOrEqual(inp.sessionExpiryS / 2);
    expect(r.backoff.minS).toBeLessThanOrEqual(r.backoff.maxS);
    expect(r.backoff.resetAfterS).toBeGreaterThan(r.keepaliveS); // only a connection that answered a ping counts as stable
    // TCP keepalive idle never above the keepalive (so also below the idle timeout)
    expect(r.tcpKeepalive.idleS).toBeLessThanOrEqual(r.keepaliveS);
    expect(r.pingsPerDay).toBe(Math.ceil(86_400 / r.keepaliveS));
    // MQTT.js waits 0.5 × K: either that covers the ping timeout or the report warns
    if (r.keepaliveS / 2 < r.pingTimeoutS) expect(r.warnings.join(' ')).toMatch(/MQTT\.js would wait only/);
    expect(r.why.length).toBeGreaterThanOrEqual(6);
  });
});

describe('kb consistency', () => {
  test.each(BROKERS.map((b) => [b.name, b] as const))('%s: bounds ordered, source cited', (_n, b) => {
    expect(b.minKeepaliveS).toBeLessThanOrEqual(b.maxKeepaliveS);
    expect(b.source).toMatch(/https:\/\//);
    expect(serverDetectionMs(b, 60)).toBeGreaterThanOrEqual(60_000);
  });

  test.each([
    ['mqttjs', 60, 90],
    ['paho-python', 60, 120],
    ['paho-go', 60, 70 + 5],
    ['paho-java', 60, 120],
    ['mosquitto-cli', 60, 90],
  ])('%s with K %i s and a 10 s ping timeout notices a dead link after %i s', (id, k, s) => {
    const lib = CLIENT_LIBS.find((l) => l.id === id);
    expect(lib && clientDetectionS(lib, k, 10)).toBe(s);
  });
});

describe('an idle timeout no keepalive can beat', () => {
  // K is a whole number of seconds ≥ 1 (MQTT §3.1.2.10), so below ~1.25 s (with paho.mqtt.golang's K/4 lateness)
  // no setting keeps the mapping: the report must say so instead of presenting K = 1 s as a fix.
  test.each([
    [0, true],
    [900, true],
    [1200, true],
    [2000, false],
  ])('discovered idle timeout %i ms → warning %s', (lowMs, warn) => {
    const r = recommend({
      idle: { source: 'discovered', label: 'test', lowMs, highMs: lowMs + 300 },
      power: 'mains',
      transport: 'tcp',
    });
    expect(r.keepaliveS).toBe(1);
    expect(r.warnings.some((w) => /too short for any keepalive/.test(w))).toBe(warn);
  });
});
