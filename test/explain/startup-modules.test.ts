/**
 * Start-up is most of a one-line explain-error (issue 12: whole process ≤ 2× `node -e 0`), and most of start-up
 * is loading modules. The built CLI runs as a user runs it, with a module hook that lists every module it loads
 * (ESM through a load hook, https://nodejs.org/api/module.html#customization-hooks; CommonJS from require.cache
 * at exit), and each command line must leave unloaded what it does not use: the other commands, the other
 * output formats, the network and broker libraries, the spinner, and the table library when no table is drawn.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, test } from 'vitest';
import { BIN } from '../helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'mqd-startup-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// The hook writes one line per loaded module to fd 3 of the CLI's process, apart from its stdout and stderr.
writeFileSync(
  join(dir, 'hooks.mjs'),
  `import { writeSync } from 'node:fs';
export async function load(url, context, next) { writeSync(3, 'esm ' + url + '\\n'); return next(url, context); }
`,
);
writeFileSync(
  join(dir, 'register.mjs'),
  `import { register, createRequire } from 'node:module';
import { writeSync } from 'node:fs';
register('./hooks.mjs', import.meta.url);
const cache = createRequire(import.meta.url).cache;
process.on('exit', () => { for (const f of Object.keys(cache)) writeSync(3, 'cjs ' + f + '\\n'); });
`,
);

interface Run {
  code: number | null;
  stdout: string;
  modules: string[];
}

function run(args: string[]): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', pathToFileURL(join(dir, 'register.mjs')).href, BIN, ...args], {
      env: { ...process.env, NO_COLOR: '1', CI: 'true' },
      stdio: ['ignore', 'pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let listed = '';
    child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdio[3]?.on('data', (d: Buffer) => (listed += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`mqtt-doctor ${args.join(' ')} did not finish in 25 s; stderr: ${stderr}`));
    }, 25_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      if (stderr) return reject(new Error(`mqtt-doctor ${args.join(' ')} wrote to stderr: ${stderr}`));
      resolve({ code, stdout, modules: listed.split('\n').filter(Boolean) });
    });
  });
}

/** What a loaded-module line names: a package, or a file of ours (dist/…), or a builtin. */
const names = (modules: string[]) =>
  modules.map((m) => {
    const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(m);
    if (pkg) return `pkg:${pkg[1]}`;
    const ours = /\/dist\/(.*)$/.exec(m);
    return ours ? (ours[1] ?? m) : m.replace(/^esm |^cjs /, '');
  });

/** Never needed to explain one line: other commands, other formats, network, broker, spinner, HTML. */
const NEVER_FOR_A_LINE = [
  'pkg:mqtt',
  'pkg:mqtt-packet',
  'pkg:ws',
  'pkg:prom-client',
  'pkg:aedes',
  'pkg:ora',
  'pkg:d3-array',
  'pkg:d3-scale',
  'pkg:d3-shape',
  'commands/probe.js',
  'commands/soak.js',
  'commands/completion.js',
  'commands/analyze.js',
  'report/render-junit.js',
  'report/render-html.js',
  'transport/dial.js',
];

describe('an explain-error line loads only what it uses', () => {
  test('text, no table: no JSON or JUnit renderer, no cli-table3, nothing of the other commands', async () => {
    const r = await run(['explain-error', 'Connection refused']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Connection refused/);
    const loaded = names(r.modules);
    // The hook saw the modules this line does use (else the absences below would prove nothing).
    expect(loaded).toEqual(expect.arrayContaining(['kb/catalog.js', 'report/render-text.js', 'pkg:chalk']));
    const unwanted = [...NEVER_FOR_A_LINE, 'report/render-json.js', 'pkg:cli-table3', 'node:crypto'];
    expect(loaded.filter((m) => unwanted.includes(m))).toEqual([]);
  });

  test('--json: no text renderer, no chalk, no cli-table3', async () => {
    const r = await run(['explain-error', '--json', 'Connection refused']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ command: 'explain-error' });
    const loaded = names(r.modules);
    expect(loaded).toEqual(expect.arrayContaining(['kb/catalog.js', 'report/render-json.js']));
    const unwanted = [...NEVER_FOR_A_LINE, 'report/render-text.js', 'pkg:chalk', 'pkg:cli-table3'];
    expect(loaded.filter((m) => unwanted.includes(m))).toEqual([]);
  });

  test('a report with a table loads cli-table3 when it draws it', async () => {
    // PubSubClient's rc=-2 also reads in libmosquitto's numbering: an "Also matching" table.
    const r = await run(['explain-error', 'Attempting MQTT connection...failed, rc=-2 try again in 5 seconds']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Also matching\n┌/);
    const loaded = names(r.modules);
    expect(loaded).toContain('pkg:cli-table3');
    expect(loaded.filter((m) => NEVER_FOR_A_LINE.includes(m))).toEqual([]);
  });
});
