import { describe, expect, test } from 'vitest';
import { analyzeLog, isRegular, parseTimestampMs } from '../../src/analyze/log-timeline.js';

/** A mosquitto-style log: `epoch: text` lines. */
const mosq = (events: Array<[number, string]>) => events.map(([t, s]) => `${1_700_000_000 + t}: ${s}`).join('\n');

/** A client reconnecting at once after every cut, the cut `lifeS` after each connect. */
function cutEvery(lifeS: number, n: number, cut: string, id = 'dev-1', k = 60): string {
  const ev: Array<[number, string]> = [];
  for (let i = 0; i < n; i++) {
    ev.push([i * lifeS, `New client connected from 10.0.0.2:5000${i} as ${id} (p2, c1, k${k}).`]);
    ev.push([(i + 1) * lifeS, cut.replace('ID', id)]);
  }
  return mosq(ev);
}

describe('parseTimestampMs', () => {
  test.each([
    ['1700000000: New connection', 1_700_000_000_000],
    ['1700000000.250: x', 1_700_000_000_250],
    ['2026-11-22T10:00:00Z x', Date.UTC(2026, 10, 22, 10, 0, 0)],
    ['2026-11-22 10:00:00,500 x', Date.UTC(2026, 10, 22, 10, 0, 0, 500)],
    ['2026-11-22T10:00:00+0100 x', Date.UTC(2026, 10, 22, 9, 0, 0)],
    ['[2026-11-22T10:00:00.000Z] x', Date.UTC(2026, 10, 22, 10, 0, 0)],
    // A time of day alone (lager console, Tasmota, ESPHome): milliseconds since midnight.
    ['03:01:36.070 [warning] x', (3 * 3600 + 96) * 1000 + 70],
    ['00:40:54 MQT: x', 2454 * 1000],
    ['[12:22:00][W][mqtt.client:257]: x', (12 * 3600 + 22 * 60) * 1000],
    ['no time here', undefined],
    ['3 of 5 done', undefined],
  ] as const)('%s', (line, ms) => expect(parseTimestampMs(line)).toBe(ms));
});

describe('isRegular', () => {
  test.each([
    [[350, 351, 349], true],
    [[6, 6], true],
    [[6, 30, 2], false],
    [[10], false],
    [[60, 61, 59, 200], true],
  ] as const)('%j → %s', (iv, want) => expect(isRegular([...iv])).toBe(want));
});

describe('regular disconnects name the suspect interval (ground truth injected)', () => {
  test.each([
    [350, 'Client ID closed its connection.', /AWS NAT gateway/],
    [240, 'Client ID closed its connection.', /Azure Load Balancer/],
    [1200, 'Socket error on client ID, disconnecting.', /GCP Cloud NAT/],
    [60, 'Client ID closed its connection.', /AWS ALB/],
  ] as const)('cut every %i s', (life, cut, suspect) => {
    const f = analyzeLog(cutEvery(life, 4, cut)).findings.find((x) => x.kind === 'regular-disconnects');
    expect(f?.lifetimeS).toBe(life);
    expect(f?.intervalS).toBe(life);
    expect(f?.suspects.join(' ')).toMatch(suspect);
    expect(f?.hint).toContain(`~${life} s`);
  });
  test('keepalive timeouts with the keepalive the broker logged', () => {
    const f = analyzeLog(cutEvery(95, 3, 'Client ID has exceeded timeout, disconnecting.', 'pump-3', 60)).findings[0];
    expect(f).toMatchObject({ kind: 'regular-disconnects', clientId: 'pump-3', keepaliveS: 60, lifetimeS: 95 });
    expect(f?.hint).toMatch(/1\.5 × its keepalive \(60 s\)/);
  });
  test('irregular disconnects are not a finding', () => {
    const log = mosq([
      [0, 'New client connected from 1.2.3.4:1 as a (p2, c1, k60).'],
      [30, 'Client a closed its connection.'],
      [31, 'New client connected from 1.2.3.4:2 as a (p2, c1, k60).'],
      [400, 'Client a closed its connection.'],
      [401, 'New client connected from 1.2.3.4:3 as a (p2, c1, k60).'],
      [410, 'Client a closed its connection.'],
    ]);
    expect(analyzeLog(log).findings).toEqual([]);
  });
  test('clean DISCONNECTs are not a finding', () => {
    expect(analyzeLog(cutEvery(60, 4, 'Client ID disconnected.')).findings).toEqual([]);
  });
});

describe('takeover loops and reconnect storms', () => {
  test('EMQX takenover and mosquitto takeover lines every 3 s', () => {
    const log = mosq(
      Array.from(
        { length: 6 },
        (_, i) => [i * 3, 'Client cam-9 already connected, closing old connection.'] as [number, string],
      ),
    );
    const f = analyzeLog(log).findings[0];
    expect(f).toMatchObject({ kind: 'takeover-loop', clientId: 'cam-9', count: 6, intervalS: 3 });
  });
  test('two takeovers are not a loop', () => {
    const log = mosq([
      [0, 'Client x already connected, closing old connection.'],
      [5, 'Client x already connected, closing old connection.'],
    ]);
    expect(analyzeLog(log).findings).toEqual([]);
  });
  test('restart followed by a burst of 20 connects within a second', () => {
    const ev: Array<[number, string]> = [[0, 'mosquitto version 2.0.18 starting']];
    ev.push([1, 'New client connected from 10.0.0.1:1 as early (p2, c1, k60).']);
    ev.push([100, 'mosquitto version 2.0.18 terminating'], [101, 'mosquitto version 2.0.18 starting']);
    for (let i = 0; i < 20; i++) ev.push([102, `New client connected from 10.0.0.${i}:1 as dev-${i} (p2, c1, k60).`]);
    const f = analyzeLog(mosq(ev)).findings.find((x) => x.kind === 'reconnect-storm');
    expect(f?.count).toBe(20);
  });
  test('clients coming back spread over 30 s are not a storm', () => {
    const ev: Array<[number, string]> = [
      [0, 'mosquitto version 2.0.18 starting'],
      [1, 'New client connected from 10.0.0.1:1 as early (p2, c1, k60).'],
      [50, 'mosquitto version 2.0.18 starting'],
    ];
    for (let i = 0; i < 10; i++)
      ev.push([51 + i * 3, `New client connected from 10.0.0.${i}:1 as dev-${i} (p2, c1, k60).`]);
    expect(analyzeLog(mosq(ev)).findings).toEqual([]);
  });
});

describe('grouping', () => {
  test('counts by cause, most frequent first, unknown lines sampled', () => {
    const a = analyzeLog(
      ['read ECONNRESET', 'read ECONNRESET', 'Keepalive timeout', 'something odd happened', ''].join('\n'),
    );
    expect(a.groups.map((g) => [g.entryId, g.count])).toEqual([
      ['errno.ECONNRESET', 2],
      ['mqttjs.keepalive-timeout', 1],
    ]);
    expect(a).toMatchObject({
      lines: 4,
      recognised: 3,
      unrecognised: 1,
      unrecognisedSamples: ['something odd happened'],
    });
  });
  test('CONNACK refusals mosquitto logs are read as codes', () => {
    const a = analyzeLog(
      mosq([
        [0, 'Sending CONNACK to 10.0.0.9 (0, 5)'],
        [1, 'Sending CONNACK to 10.0.0.9 (0, 134)'],
        [2, 'Sending CONNACK to c1 (0, 0)'],
      ]),
    );
    expect(a.groups.map((g) => g.entryId)).toEqual(['connack311.5', 'mqtt5.0x86']);
    expect(a.informational).toBe(1);
  });
});

// journalctl / syslog lines ("Nov 22 00:10:40 host mosquitto[812]: …") carry no year; the timeline only needs
// differences, so the README's `journalctl -u mosquitto | mqtt-doctor explain-error` must still find the pattern.
describe('syslog / journalctl timestamps', () => {
  test.each([
    ['Nov 22 00:10:40 host mosquitto[812]: x', 'Nov 22 00:10:46 host mosquitto[812]: y', 6000],
    ['Jan  3 23:59:59 h m: x', 'Jan  4 00:00:01 h m: y', 2000],
    ['Feb 28 12:00:00 h m: x', 'Mar  1 12:00:00 h m: y', 2 * 86_400_000], // leap-year reference: 29 Feb exists
  ] as const)('%s → %s is %i ms later', (a, b, ms) => {
    const ta = parseTimestampMs(a);
    const tb = parseTimestampMs(b);
    expect(ta).toBeTypeOf('number');
    expect((tb ?? 0) - (ta ?? 0)).toBe(ms);
  });

  test('a journalctl copy of a keepalive-timeout log gives the same regular-disconnect finding', () => {
    const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
    const log = cutEvery(6, 6, 'Client ID has exceeded timeout, disconnecting.', 'sensor-7', 2)
      .split('\n')
      .map((l) => {
        const [epoch, ...rest] = l.split(': ');
        const d = new Date(Number(epoch) * 1000);
        const hms = d.toISOString().slice(11, 19);
        return `${months[d.getUTCMonth()]} ${String(d.getUTCDate()).padStart(2, ' ')} ${hms} host mosquitto[812]: ${rest.join(': ')}`;
      })
      .join('\n');
    const f = analyzeLog(log).findings.find((x) => x.kind === 'regular-disconnects');
    expect(f?.clientId).toBe('sensor-7');
    expect(f?.lifetimeS).toBe(6);
    expect(f?.keepaliveS).toBe(2);
  });
});

describe('ACL denials, queue drops and structured lines', () => {
  test('mosquitto Denied PUBLISH and dropped-queue lines become per-client findings', () => {
    const a = analyzeLog(
      mosq([
        [0, "Denied PUBLISH from cam-1 (d0, q0, r0, m0, 'secret/x', ... (5 bytes))"],
        [1, "Denied PUBLISH from cam-1 (d0, q0, r0, m0, 'secret/x', ... (5 bytes))"],
        [2, 'Outgoing messages are being dropped for client slow-1.'],
      ]),
    );
    expect(a.findings.find((f) => f.kind === 'acl-denials')).toMatchObject({ count: 2 });
    expect(a.findings.find((f) => f.kind === 'acl-denials')?.summary).toMatch(/cam-1 \(2\)/);
    expect(a.findings.find((f) => f.kind === 'queue-drops')).toMatchObject({ count: 1 });
  });
  test('JSON log lines are read by their message fields, client id and time', () => {
    const line = (t: number, id: string) =>
      JSON.stringify({
        time: 1_700_000_000_000 + t * 1000,
        level: 'warning',
        msg: `Client ${id} already connected, closing old connection.`,
        clientid: id,
      });
    const a = analyzeLog([0, 2, 4, 6].map((t) => line(t, 'twin')).join('\n'));
    expect(a.groups[0]).toMatchObject({ entryId: 'mosquitto.takeover', count: 4, clients: ['twin'] });
    expect(a.findings[0]).toMatchObject({ kind: 'takeover-loop', clientId: 'twin', intervalS: 2 });
  });
});

describe('periodic refusals and bare codes in log mode', () => {
  /** VerneMQ refusing one client at the given offsets (seconds). */
  const refusals = (at: number[]) =>
    at
      .map(
        (t) =>
          `03:01:${String(10 + t).padStart(2, '0')}.000 [warning] can't authenticate client {[],<<"cam-7">>} from 10.0.0.9:5${t} due to invalid_credentials`,
      )
      .join('\n');
  test('refused at a steady interval: a finding with the interval the client retries at', () => {
    const f = analyzeLog(refusals([0, 10, 20, 30])).findings.find((x) => x.kind === 'periodic-refusals');
    expect(f).toMatchObject({ clientId: 'cam-7', count: 4, intervalS: 10 });
  });
  test('refused at irregular times: no periodic finding', () => {
    expect(analyzeLog(refusals([0, 2, 30, 33])).findings.map((x) => x.kind)).not.toContain('periodic-refusals');
  });
  test('a number is read as a code only after a code word', () => {
    const a = analyzeLog(
      ['10:00:00 Device state 3 of 5', '10:00:01 queue 7 items', '10:00:02 Connect failed, return code 4'].join('\n'),
    );
    expect(a.recognised).toBe(1);
    expect(a.groups.map((g) => g.entryId)).toEqual(['connack311.4']);
  });
});
