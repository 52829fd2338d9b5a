import { expect, test } from 'vitest';
import { runCli } from '../helpers/cli.js';

test('--client mosquitto (explain-error spelling) prints the same snippet as --client mosquitto-cli', async () => {
  const [a, b] = await Promise.all([
    runCli(['keepalive-tune', '--profile', 'lan', '--client', 'mosquitto', '--json']),
    runCli(['keepalive-tune', '--profile', 'lan', '--client', 'mosquitto-cli', '--json']),
  ]);
  expect([a.code, b.code]).toEqual([0, 0]);
  const snippets = (out: string) => JSON.stringify((JSON.parse(out) as { data: { clients: unknown } }).data.clients);
  expect(snippets(a.stdout)).toBe(snippets(b.stdout));
  expect(snippets(a.stdout)).toContain('mosquitto_sub');
});
