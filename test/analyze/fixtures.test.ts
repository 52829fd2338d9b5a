/**
 * Regression on the small captures in fixtures/captures/ (recorded by test/analyze/faults*.test.ts with
 * tcpdump, mosquitto 2.0.11 and the impair proxy): no port given, so the flows are found by their CONNECT.
 * These are also the README's examples. analyze runs in-process through main(argv, io): what is checked is what
 * it reads in each capture (test/analyze/cli.test.ts runs it as a process).
 */
import { describe, expect, test } from 'vitest';
import { analyzeInProcess as analyze } from './record.js';

const F = (name: string): string => new URL(`../../fixtures/captures/${name}`, import.meta.url).pathname;

describe('analyze fixtures/captures', () => {
  test.each([
    ['keepalive-cut.pcap', [['never-pings', 'keepalive-cut', 'server', 'fin']]],
    [
      'nat-idle-reset.pcap',
      [
        ['nat-reset', 'idle-reset', 'server', 'rst'],
        ['nat-reset', 'idle-reset', 'client', 'rst'],
      ],
    ],
    ['blackhole.pcap', [['blackholed', 'blackhole', 'client', 'fin']]],
    [
      'takeover.pcap',
      [
        ['twin', 'takeover', 'server', 'fin'],
        ['twin', 'clean-disconnect', 'client', 'fin'],
      ],
    ],
    [
      'takeover.pcap.gz',
      [
        ['twin', 'takeover', 'server', 'fin'],
        ['twin', 'clean-disconnect', 'client', 'fin'],
      ],
    ],
  ])('%s', async (name, expected) => {
    const { code, json } = await analyze(F(name));
    expect(code).toBe(1);
    expect(json.data.connections.map((c) => [c.clientId, c.cause, c.endedBy, c.how])).toEqual(expected);
  });

  test('the NAT reset fixture: 1.5 s idle on both legs, and no middlebox in the knowledge base has that timeout', async () => {
    const { json } = await analyze(F('nat-idle-reset.pcap'));
    for (const c of json.data.connections) {
      expect(c.idleMs!).toBeGreaterThanOrEqual(1495);
      expect(c.idleMs!).toBeLessThan(1700);
      expect(c.explanation).toContain('matches no documented timeout');
    }
  });

  test.each([
    [['--client-id', 'twin'], 1, 2],
    [['--client-id', 'nobody'], 1, 0],
    [['--address', '127.0.0.1'], 1, 2],
    [['--address', '10.0.0.1'], 1, 0],
  ])('takeover.pcap %j → exit %i, %i connections shown', async (args, exit, n) => {
    const { code, json } = await analyze(F('takeover.pcap'), args);
    expect(code).toBe(exit);
    expect(json.data.connections).toHaveLength(n);
    if (n === 0) expect(json.verdict.summary).toMatch(/no MQTT connection matches/);
  });

  test.each([
    ['keepalive-cut.pcap', /^1 finding; first: Broker keepalive cut/],
    ['takeover.pcap', /^2 findings; first: Session taken over/],
  ])('%s: the verdict counts its findings in words', async (name, summary) => {
    const { json } = await analyze(F(name));
    expect(json.verdict.summary).toMatch(summary);
  });
});
