/**
 * keepalive-tune's default text leads with the answer in one screen: the settings, then one snippet (the chosen
 * --client, or the first library). The rule-by-rule "why", the field guides and every library's snippet come
 * with --explain. The JSON document carries everything either way.
 */
import { describe, expect, test } from 'vitest';
import { runMain } from '../helpers/cli.js';

const OFFLINE = ['keepalive-tune', '--profile', '4g', '--broker', 'aws-iot'];
/** One terminal screen at 80 columns, with room for the verdict. */
const SCREEN_LINES = 60;

describe('default text', () => {
  test('answer first, within one screen, no reasoning tables, no empty time column', async () => {
    const r = await runMain(OFFLINE);
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines.length).toBeLessThanOrEqual(SCREEN_LINES);
    const settings = r.stdout.indexOf('Recommended settings');
    const snippet = r.stdout.indexOf('MQTT.js');
    expect(settings).toBeGreaterThan(0);
    expect(snippet).toBeGreaterThan(settings);
    expect(r.stdout).not.toMatch(/^Why$/m);
    expect(r.stdout).not.toMatch(/Field guides/);
    expect(r.stdout).not.toMatch(/│ time │/);
    expect(r.stdout).toMatch(/--explain/);
    // TLS-only brokers: the snippet dials the TLS port.
    expect(r.stdout).toContain('mqtts://broker.example.com:8883');
  });

  test('--client picks the one snippet shown', async () => {
    const r = await runMain([...OFFLINE, '--client', 'paho-python']);
    expect(r.stdout).toMatch(/Paho/);
    expect(r.stdout).not.toMatch(/mqtt\.connect\(/);
  });

  test('--explain adds the why, the field guides and every snippet', async () => {
    const [short, long] = await Promise.all([runMain(OFFLINE), runMain([...OFFLINE, '--explain'])]);
    expect(long.stdout).toMatch(/^Why$/m);
    expect(long.stdout).toMatch(/^Field guides against this path$/m);
    expect(long.stdout).toMatch(/^Client libraries with these settings$/m);
    expect(long.stdout.split('\n').length).toBeGreaterThan(2 * short.stdout.split('\n').length);
  });

  test('JSON keeps the reasoning whatever the text shows', async () => {
    const r = await runMain([...OFFLINE, '--json']);
    const doc = JSON.parse(r.stdout) as {
      data: { why: unknown[]; fieldGuide: unknown[]; clients: unknown[]; recommendation: { keepaliveS: number } };
    };
    expect(doc.data.why.length).toBeGreaterThan(5);
    expect(doc.data.clients.length).toBeGreaterThan(3);
    expect(doc.data.recommendation.keepaliveS).toBeGreaterThan(0);
  });
});
