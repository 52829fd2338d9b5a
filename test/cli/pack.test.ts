/**
 * The package works when installed from its own tarball, as `npx mqtt-doctor` users get it: npm pack,
 * install the tarball into an empty folder, run --version and a probe against the embedded broker.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, expect, test } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'mqd-pack-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

test(
  'the package ships no source maps (they would point at src/, which it does not ship), and nothing cites one',
  { timeout: 90_000 },
  () => {
    const out = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], {
      cwd: root,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 60_000,
    });
    const files = (JSON.parse(out) as Array<{ files: Array<{ path: string }> }>)[0]!.files.map((f) => f.path);
    expect(files.filter((f) => f.endsWith('.map'))).toEqual([]);
    expect(files.filter((f) => f.startsWith('dist/') && !f.endsWith('.js'))).toEqual([]);
    const cli = readFileSync(join(root, 'dist', 'cli.js'), 'utf8');
    expect(cli).not.toMatch(/sourceMappingURL/);
  },
);

test('npm pack → npm install → mqtt-doctor --version and probe --embedded', { timeout: 180_000 }, () => {
  const npm = (args: string[], cwd: string) =>
    execFileSync('npm', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 150_000 });
  // --ignore-scripts: `prepare` would rebuild dist/ in place while other test files run the CLI from it (npm test
  // built it just before).
  const packed = JSON.parse(npm(['pack', '--json', '--ignore-scripts', '--pack-destination', work], root)) as Array<{
    filename: string;
    files: Array<{ path: string }>;
  }>;
  const files = packed[0]!.files.map((f) => f.path);
  expect(files).toContain('bin/mqtt-doctor.js');
  expect(files).toContain('dist/cli.js');
  expect(files.some((f) => f.startsWith('src/') || f.startsWith('test/'))).toBe(false);
  const app = join(work, 'app');
  execFileSync('mkdir', ['-p', app]);
  npm(['init', '-y'], app);
  npm(['install', '--prefer-offline', '--no-audit', '--no-fund', join(work, packed[0]!.filename)], app);
  const bin = join(app, 'node_modules', '.bin', 'mqtt-doctor');
  const version = execFileSync(bin, ['--version'], { encoding: 'utf8', timeout: 20_000 }).trim();
  expect(version).toBe((JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }).version);
  const out = execFileSync(bin, ['probe', '--embedded', '-c', '2', '-i', '50ms', '--json'], {
    encoding: 'utf8',
    timeout: 20_000,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const doc = JSON.parse(out) as { verdict: { status: string; exitCode: number } };
  expect(doc.verdict).toMatchObject({ status: 'healthy', exitCode: 0 });
});
