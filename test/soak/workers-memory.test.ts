/**
 * What a soak worker does to hold less memory per idle connection, each checked against its ground truth:
 *  - MQTT.js's connect called with the URL's fields as options (mqtt-options.ts connectByOptions) builds the same
 *    client as connect(url, opts): the options MQTT.js derives from the URL and ours, compared field by field on
 *    real clients (manualConnect: no socket);
 *  - a worker of an idle fleet runs with V8 flags that keep its young generation small (workers.ts): a Node
 *    started with them keeps new space at most twice the semi-space cap while it allocates, one without them
 *    grows it (V8's own heap statistics, same test);
 *  - the parent of `soak --workers K` loads neither the runner nor MQTT.js (commands/soak.ts imports the runner
 *    only to run clients itself): every module its loader resolves is recorded by a resolve hook (Node docs,
 *    module.register), and the same hook sees both in a single-process soak.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect, type IClientOptions, type MqttClient } from 'mqtt';
import { describe, expect, test } from 'vitest';
import { connectByOptions, urlOptions } from '../../src/measure/soak/mqtt-options.js';
import { IDLE_WORKER_V8_FLAGS, workerExecArgv } from '../../src/measure/soak/workers.js';
import { reportVerdict, runCli } from '../helpers/cli.js';
import { tempDir } from './helpers.js';

/** The options MQTT.js acts on (what its stream builders and CONNECT read). */
const seen = (c: MqttClient) => {
  const o = c.options as IClientOptions & { hostname?: string; path?: string; defaultProtocol?: string };
  return {
    protocol: o.protocol,
    defaultProtocol: o.defaultProtocol,
    host: o.host,
    hostname: o.hostname,
    port: o.port,
    path: o.path,
    clientId: o.clientId,
    username: o.username,
    password: o.password === undefined ? undefined : String(o.password),
    keepalive: o.keepalive,
  };
};

describe('connect by options', () => {
  test.each([
    'mqtt://127.0.0.1:1883',
    'mqtt://broker.local',
    'mqtts://broker.local:8883',
    'mqtt://[::1]:1884',
    'ws://broker.local:8080/mqtt',
    'wss://broker.local/mqtt?x=1',
    'ws://broker.local:80',
    'wss://broker.local:443/mqtt',
    'mqtt://127.0.0.1:1883?clientId=from-url',
    'mqtt://user:p%40ss@127.0.0.1:1883',
  ])('%s: the same client options as connect(url, opts)', (url) => {
    const opts: IClientOptions = { manualConnect: true, keepalive: 30, clientId: 'soak-1', reconnectPeriod: 0 };
    const byUrl = connect(url, { ...opts });
    const byOptions = connectByOptions(connect)(url, { ...opts });
    expect(seen(byOptions)).toEqual(seen(byUrl));
    expect(seen(byOptions).clientId).toBe(url.includes('clientId=') ? 'from-url' : 'soak-1');
  });

  test('the URL is read once per URL, not per connection', () => {
    const calls: IClientOptions[] = [];
    const c = connectByOptions((o: IClientOptions) => calls.push(o));
    c('mqtt://h:1', { clientId: 'a' });
    c('mqtt://h:1', { clientId: 'b' });
    c('mqtt://g:2', { clientId: 'c' });
    expect(calls.map((o) => [o.host, o.port, o.clientId])).toEqual([
      ['h', 1, 'a'],
      ['h', 1, 'b'],
      ['g', 2, 'c'],
    ]);
    // No `path` for a plain MQTT URL: MQTT.js deletes it, which turns its options object into a dictionary.
    expect('path' in calls[0]!).toBe(false);
    expect(urlOptions('ws://h:1/mqtt?a=b').path).toBe('/mqtt?a=b');
  });
});

describe('worker V8 flags', () => {
  test('only a worker of an idle fleet gets them, after the parent’s own', () => {
    expect(workerExecArgv(0, ['--enable-source-maps'])).toEqual(['--enable-source-maps', ...IDLE_WORKER_V8_FLAGS]);
    expect(workerExecArgv(10, ['--enable-source-maps'])).toEqual(['--enable-source-maps']);
  });

  test('with them, new space stays small while the process allocates; without them it grows', () => {
    // Keeps a window of recent objects alive (as connections being set up are), so scavenges see survivors and
    // V8 grows new space when it may.
    const script = `
      const v8 = require('node:v8');
      const keep = new Array(20000);
      let maxNew = 0;
      for (let i = 0; i < 400000; i++) {
        keep[i % keep.length] = { i, s: 'x'.repeat(i % 64), a: [i, i + 1] };
        if (i % 1000 === 0) {
          const n = v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space');
          maxNew = Math.max(maxNew, n.space_size);
        }
      }
      process.stdout.write(String(maxNew / 1048576));
    `;
    const maxNewMb = (flags: readonly string[]) =>
      Number(execFileSync(process.execPath, [...flags, '-e', script], { encoding: 'utf8', timeout: 60_000 }));
    const capMb = Number(/--max-semi-space-size=(\d+)/.exec(IDLE_WORKER_V8_FLAGS.join(' '))![1]);
    const withFlags = maxNewMb(IDLE_WORKER_V8_FLAGS);
    const without = maxNewMb([]);
    // New space is two semi-spaces (V8 flag help: "the new space consists of two semi-spaces").
    expect(withFlags).toBeLessThanOrEqual(2 * capMb + 0.5);
    expect(without).toBeGreaterThan(2 * capMb + 0.5);
  });
});

/** A resolve hook that appends every module URL the loader resolves to the file named by `initialize`. */
const HOOKS = `
import { appendFileSync } from 'node:fs';
let file;
export function initialize(f) { file = f; }
export async function resolve(specifier, context, next) {
  const r = await next(specifier, context);
  appendFileSync(file, r.url + '\\n');
  return r;
}
`;
/** Preloaded in every process of the run; registers the hook in the process that has no parent (the CLI's). */
const PRELOAD = `
import { register } from 'node:module';
if (!process.channel) register('data:text/javascript,' + encodeURIComponent(${JSON.stringify(HOOKS)}), import.meta.url, { data: process.env.MQD_TEST_MODULES });
`;

describe("what the workers' parent loads", () => {
  test('--workers 2: neither the runner nor MQTT.js in the parent; one process (--workers 1) loads both', async () => {
    const dir = tempDir('mqd-wmods-');
    const loaded = async (workers: number, seconds = 1): Promise<string[]> => {
      const file = join(dir, `modules-${workers}-${seconds}.txt`);
      const r = await runCli(
        // --local-address: the parent checks each address is this host's (a bind probe) and connects nothing.
        [
          ...['soak', '--embedded', '-n', '2', '--workers', String(workers), '--rate', '0', '-d', `${seconds}s`],
          ...['--json', '--local-address', '127.0.0.2,127.0.0.3'],
        ],
        {
          env: { NODE_OPTIONS: `--import=data:text/javascript,${encodeURIComponent(PRELOAD)}`, MQD_TEST_MODULES: file },
          timeoutMs: 60_000,
        },
      );
      const rep = JSON.parse(r.stdout) as { data: { summary: { connections: { connects: number } } } };
      // Both clients connected, so the run went the whole way. On a loaded machine 1 s may end before the workers
      // are up (once, 1 of 2): soak reports that itself; this test runs once more, four times as long.
      if (rep.data.summary.connections.connects < 2 && seconds === 1) return loaded(workers, 4);
      expect(rep.data.summary.connections.connects, reportVerdict(r.stdout)).toBe(2);
      return readFileSync(file, 'utf8').split('\n');
    };
    const runner = (urls: string[]) => urls.some((u) => u.endsWith('/measure/soak/runner.js'));
    const mqtt = (urls: string[]) => urls.some((u) => /\/node_modules\/mqtt\//.test(u));
    const parent = await loaded(2);
    const single = await loaded(1);
    expect(parent.some((u) => u.endsWith('/measure/soak/workers.js'))).toBe(true);
    expect([runner(parent), mqtt(parent)]).toEqual([false, false]);
    expect([runner(single), mqtt(single)]).toEqual([true, true]);
    // Two soak processes, each perhaps run again for 4 s, on a loaded machine (30 s was missed once).
  }, 90_000);
});
