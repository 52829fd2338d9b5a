/**
 * The option machinery every command shares (src/commands/options.ts `tightenOptions`, src/cli.ts): values
 * are required, numbers name what was typed, repeats are refused, misspellings get a suggestion, yargs'
 * messages become one line. Runs in-process through main(argv, io): nothing here needs a network.
 */
import { describe, expect, test } from 'vitest';
import { runMain } from '../helpers/cli.js';

async function usage(args: string[]) {
  const r = await runMain(args);
  const lines = r.stderr.trim().split('\n');
  return { ...r, first: lines[0] ?? '', lines };
}

describe('every value-taking option requires its value, in every command', () => {
  test.each([
    [['probe', '--count', '--json'], /--count needs a value/],
    [['probe', '-c'], /-c needs a value|--count needs a value/],
    [['probe', '-i'], /needs a value/],
    [['probe', 'mqtts://h', '--ca'], /--ca needs a value/],
    [['soak', '--clients', '--json'], /--clients needs a value/],
    [['keepalive-tune', '--connect-timeout'], /--connect-timeout needs a value/],
    [['probe', '-c', 'abc'], /--count: "abc" is not a number/],
    [['soak', '-n', '5x'], /--clients: "5x" is not a number/],
    [['probe', '-V', '3'], /^mqtt-doctor: --mqtt-version: "3" is not one of 3\.1\.1, 4, 5$/],
    [['probe', '-P', 'x', '-P', 'y', '-u', 'a'], /--password was given 2 times/],
    [['probe', '--countt', '3'], /unknown option --countt/],
    [['probe', 'mqtts://h', '--key', 'k.pem'], /^mqtt-doctor: --key needs --cert$/],
    [['probe', '-i', '-1s'], /--interval: "-1s" is negative/],
    [['probe', '--connect-timeout', '30d'], /--connect-timeout: 30d is longer than a timer can wait/],
    [['probe', '-W', '30d'], /--timeout: 30d is longer than a timer can wait/],
    [['probe', '-i', '30d'], /--interval: 30d is longer than a timer can wait/],
    [['soak', '--checkpoint', '30d'], /--checkpoint: 30d is longer than a timer can wait/],
    [['impair', '--target', '127.0.0.1:1', '--duration', '30d'], /--duration: 30d is longer than a timer can wait/],
    [['probe', '--embedded', '--impair', 'latency=50'], /--latency: a bare "50" is ambiguous/],
    [['probe', '--embedded', '--impair', '4h'], /unknown network profile "4h": did you mean 4g\?/],
  ])('mqtt-doctor %j → exit 2, one line', async (args, msg) => {
    const r = await usage(args);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.first).toMatch(msg);
    expect(r.lines.length).toBeLessThanOrEqual(2);
    expect(r.stderr).not.toMatch(/NaN|\n\s+at /);
  });

  test.each([
    [['probe', '--countt', '3'], /did you mean --count\?/],
    [['soak', '--durration', '1s'], /did you mean --duration\?/],
    [['probe', '--embeded'], /did you mean --embedded\?/],
  ])('a misspelt option %j gets a "did you mean"', async (args, hint) => {
    const r = await usage(args);
    expect(r.code).toBe(2);
    expect(r.lines[1]).toMatch(hint);
  });

  test('an option value that looks like a negative number is read as the value', async () => {
    const r = await usage(['probe', '-W', '-2s']);
    expect(r.first).toMatch(/--timeout: "-2s" is negative/);
  });
});

describe('--help', () => {
  test.each([80, 102])('at %d columns every example is one line that starts with the command', async (columns) => {
    for (const cmd of ['probe', 'soak', 'keepalive-tune', 'impair', 'explain-error', 'report']) {
      const r = await runMain([cmd, '--help'], { columns });
      expect(r.code).toBe(0);
      const ex = r.stdout.slice(r.stdout.indexOf('Examples:'));
      const lines = ex.split('\n').slice(1, ex.split('\n').indexOf(''));
      expect(lines.length).toBeGreaterThan(0);
      for (const line of lines) expect(line).toMatch(/^ {2}(# |(\S.* )?mqtt-doctor [a-z])/);
    }
  });

  test('piped (`--help | less`) it wraps to the terminal width read from stderr or $COLUMNS', async () => {
    for (const opts of [{ errColumns: 80 }, { env: { COLUMNS: '80' } }]) {
      const r = await runMain(['probe', '--help'], opts);
      const ex = r.stdout.slice(r.stdout.indexOf('Examples:')).split('\n');
      // at the 100 columns assumed before, "command  # description" pairs ran past 80 and the terminal cut them
      for (const line of ex)
        if (line.includes('mqtt-doctor') && line.includes('#')) expect(line.length).toBeLessThanOrEqual(80);
      expect(ex.some((l) => l.startsWith('  # Try it with no broker'))).toBe(true);
    }
  });

  test("the command's own options come first, global options last", async () => {
    const r = await runMain(['probe', '--help'], { columns: 80 });
    const at = (s: string) => r.stdout.indexOf(s);
    expect(at('probe options:')).toBeGreaterThan(0);
    expect(at('probe options:')).toBeLessThan(at('Connection options:'));
    expect(at('Connection options:')).toBeLessThan(at('TLS options:'));
    expect(at('TLS options:')).toBeLessThan(at('Global options:'));
    expect(r.stdout.slice(at('probe options:'), at('Connection options:'))).toMatch(/--count/);
    expect(r.stdout).toMatch(/^Global options: --json, --no-color, --verbose/m);
    // 68–115 lines before; the budget grew by --brief and --html (the -c 0 example lives in --count's text).
    expect(r.stdout.split('\n').length).toBeLessThanOrEqual(75);
    // each option once
    expect(r.stdout.match(/--count\b/g)?.length).toBe(1);
  });
});
