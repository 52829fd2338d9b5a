/**
 * A reader that goes away never costs the report: `probe … 2>&1 >report.txt | head -1` closes the pipe that
 * stderr writes to after the first progress line (EPIPE on the next write); the report still reaches its file
 * and the exit code is the verdict's. Runs the built CLI under bash, as a user would.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { BIN } from '../helpers/cli.js';

function sh(script: string) {
  const r = spawnSync('bash', ['-c', script], {
    encoding: 'utf8',
    timeout: 30_000,
    env: { ...process.env, NO_COLOR: '1', CI: 'true', BIN, NODE: process.execPath },
  });
  return r;
}

test.each([[[]], [['--json']]])('stderr reader gone (%j): report written, exit 0, no EPIPE', (extra) => {
  const dir = mkdtempSync(join(tmpdir(), 'mqd-pipe-'));
  const report = join(dir, 'report.txt');
  const r = sh(
    `"$NODE" "$BIN" probe --embedded -c 4 -i 50ms ${extra.join(' ')} 2>&1 >"${report}" | head -1; echo "rc=\${PIPESTATUS[0]}"`,
  );
  expect(r.stdout).toMatch(/rc=0/);
  expect(r.stdout).not.toMatch(/EPIPE|Error/);
  const text = readFileSync(report, 'utf8');
  if (extra.length) expect(JSON.parse(text)).toMatchObject({ command: 'probe', verdict: { status: 'healthy' } });
  else expect(text).toMatch(/HEALTHY/);
});

test('stdout reader gone (probe --json | head -1): the process ends with its verdict, not a crash', () => {
  const r = sh(
    `"$NODE" "$BIN" probe --embedded -c 2 -i 50ms --json 2>/dev/null | head -1; echo "rc=\${PIPESTATUS[0]}"`,
  );
  expect(r.stdout).toMatch(/^\{\nrc=0/);
});
