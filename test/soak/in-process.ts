/**
 * Run the CLI in this process through `main(argv, io)` (no spawn, no dist/): stdout and stderr are
 * collected, the exit code comes back, and process.exitCode is restored so the test runner's own stays 0.
 */
import { PassThrough } from 'node:stream';
import { main } from '../../src/cli.js';

export interface InProcessResult {
  code: number;
  stdout: string;
  stderr: string;
}

export async function runInProcess(argv: string[], env: NodeJS.ProcessEnv = {}): Promise<InProcessResult> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const stdin = new PassThrough();
  stdin.end();
  let out = '';
  let err = '';
  stdout.on('data', (d: Buffer) => (out += d.toString()));
  stderr.on('data', (d: Buffer) => (err += d.toString()));
  const saved = process.exitCode;
  try {
    const code = await main(argv, { stdout, stderr, stdin, env: { NO_COLOR: '1', CI: 'true', ...env } });
    return { code, stdout: out, stderr: err };
  } finally {
    process.exitCode = saved;
  }
}
