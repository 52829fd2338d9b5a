/**
 * Notes and progress on stderr fit a terminal of 80 columns (issue 13: impair's setup line, soak's connection
 * budget, keepalive-tune's idle-search rounds were cut mid-word by the terminal); piped, each stays one line
 * for grep. src/ui/output.ts createOutput, with stream stand-ins for a terminal and a pipe.
 */
import { PassThrough } from 'node:stream';
import { expect, test } from 'vitest';
import { createOutput } from '../../src/ui/output.js';

const IMPAIR =
  'impair: 127.0.0.1:1884 → mqtt://localhost:40783  satellite-geo+azure-lb: latency 300.0 ms ±25.0 ms each way, nat-idle 4m 00s (drop)';
const HINTED =
  'mqtt-doctor: --local-address 10.0.0.9: not an address of this host (EADDRNOTAVAIL)\n  hint: list them with `ip -brief address` (on Linux every 127.x.y.z is on loopback)';

async function stderrOf(tty: boolean, columns: number, lines: string[], secret?: string): Promise<string> {
  const err = Object.assign(new PassThrough(), { isTTY: tty, columns });
  let text = '';
  err.on('data', (d: Buffer) => (text += d.toString()));
  const out = await createOutput({
    json: false,
    verbose: false,
    colorLevel: 0,
    interactive: false,
    stdout: new PassThrough(),
    stderr: err,
  });
  out.addSecret(secret);
  for (const l of lines) out.note(l);
  return text;
}

test.each([40, 80])(
  'a terminal of %d columns: every note line fits, words whole, continuations indented',
  async (cols) => {
    const text = await stderrOf(true, cols, [IMPAIR, HINTED]);
    const lines = text.trimEnd().split('\n');
    for (const l of lines) expect(l.length, l).toBeLessThan(cols);
    expect(lines.length).toBeGreaterThan(3);
    expect(lines[1]).toMatch(/^ {2}\S/); // under "impair:"
    const hintAt = lines.findIndex((l) => l.startsWith('  hint:'));
    expect(lines[hintAt + 1]).toMatch(/^ {4}\S/); // under the hint's own indent
    const joined = text.replace(/\n +/g, ' ');
    expect(joined).toContain(IMPAIR);
    expect(joined).toContain('hint: list them with `ip -brief address` (on Linux every 127.x.y.z is on loopback)');
  },
);

test('piped: each note is one line as given', async () => {
  expect(await stderrOf(false, 80, [IMPAIR, HINTED])).toBe(`${IMPAIR}\n${HINTED}\n`);
});

test('a secret is masked before the line is wrapped, so no break can split it', async () => {
  const secret = 'correct horse battery staple';
  const text = await stderrOf(true, 30, [`connecting as user with password ${secret} to the broker now`], secret);
  expect(text).not.toMatch(/horse|battery|staple/);
  expect(text).toContain('***');
});
