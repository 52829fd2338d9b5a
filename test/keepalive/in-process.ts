/**
 * Run the CLI in this process through main(argv, io): the same funnel, parser and renderers as the binary,
 * without a process start (stdout, stderr and the exit code captured).
 */
import { PassThrough } from 'node:stream';
import { main } from '../../src/cli.js';

export interface InProcessResult {
  code: number;
  stdout: string;
  stderr: string;
}

export async function runMain(argv: string[], env: NodeJS.ProcessEnv = {}): Promise<InProcessResult> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (d: Buffer) => (out += d.toString()));
  stderr.on('data', (d: Buffer) => (err += d.toString()));
  const stdin = new PassThrough();
  stdin.end();
  const saved = process.exitCode;
  try {
    const code = await main(argv, { stdout, stderr, stdin, env: { NO_COLOR: '1', CI: 'true', ...env } });
    return { code, stdout: out, stderr: err };
  } finally {
    process.exitCode = saved;
  }
}
