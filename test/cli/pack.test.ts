/**
 * The package works when installed from its own tarball, as `npx mqtt-doctor` users get it: npm pack,
 * install the tarball into an empty folder, run --version and a probe against the embedded broker. The tarball
 * is packed once for both tests (its file list is what npm pack --dry-run printed, each npm start 2-4 s here).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, test } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'mqd-pack-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const npm = (args: string[], cwd: string) =>
  execFileSync('npm', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 150_000 });

let packed: { filename: string; files: string[] };
beforeAll(() => {
  // --ignore-scripts: `prepare` would rebuild dist/ in place while other test files run the CLI from it (npm test
  // built it just before).
  const out = JSON.parse(npm(['pack', '--json', '--ignore-scripts', '--pack-destination', work], root)) as Array<{
    filename: string;
    files: Array<{ path: string }>;
  }>;
  packed = { filename: out[0]!.filename, files: out[0]!.files.map((f) => f.path) };
}, 90_000);

test('the package ships no source maps (they would point at src/, which it does not ship), and nothing cites one', () => {
  const { files } = packed;
  expect(files.filter((f) => f.endsWith('.map'))).toEqual([]);
  expect(files.filter((f) => f.startsWith('dist/') && !f.endsWith('.js'))).toEqual([]);
  const cli = readFileSync(join(root, 'dist', 'cli.js'), 'utf8');
  expect(cli).not.toMatch(/sourceMappingURL/);
});

test('npm pack → npm install → mqtt-doctor --version and probe --embedded', { timeout: 180_000 }, () => {
  const { files } = packed;
  expect(files).toContain('bin/mqtt-doctor.js');
  expect(files).toContain('dist/cli.js');
  expect(files.some((f) => f.startsWith('src/') || f.startsWith('test/'))).toBe(false);
  const app = join(work, 'app');
  mkdirSync(app, { recursive: true });
  // What `npm init -y` writes that npm install needs (one npm start fewer).
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', version: '1.0.0', private: true }));
  npm(['install', '--prefer-offline', '--no-audit', '--no-fund', join(work, packed.filename)], app);
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
