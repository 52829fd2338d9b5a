/**
 * Entry point and the single error funnel. Builds yargs, registers the commands, catches every error a
 * user can cause (DoctorError) and prints one line plus a hint, sets process.exitCode. Nothing else calls
 * process.exit.
 */
import { createRequire } from 'node:module';
import type { Argv } from 'yargs';
import { ExitCode, UsageError, isDoctorError } from './errors.js';
import { VERSION } from './version.js';
import { createOutput, detectTerminal, type Output } from './ui/output.js';
import { COMMANDS } from './commands/registry.js';
import type { CommandContext, GlobalArgs } from './commands/context.js';

// yargs' ESM build wraps help text at a fixed column, cutting words in half; its CommonJS build wraps at word
// boundaries (wrap-ansi). Same package, same API.
const yargs = createRequire(import.meta.url)('yargs') as typeof import('yargs').default;

export const EXIT_CODE_EPILOG = `Exit codes:
  0   healthy: every check passed
  1   finding: a threshold failed or a problem was found (named in the report)
  2   usage: bad option or input
  3   unreachable: DNS, TCP, TLS or WebSocket failed before MQTT
  4   refused: the broker refused the CONNECT or broke the protocol
  70  internal error in mqtt-doctor (please report it, with --verbose)
  130 interrupted (Ctrl-C / SIGTERM) after writing the report gathered so far

Durations: 500ms, 30s, 5m, 1h, 1m30s. Colour follows NO_COLOR, FORCE_COLOR and --no-color.
--json prints one document on stdout (schemaVersion 1); progress always goes to stderr.`;

interface MainIO {
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
  stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  env: NodeJS.ProcessEnv;
}

function globalOptions(y: Argv): Argv<GlobalArgs> {
  return y
    .option('json', { type: 'boolean', default: false, describe: 'Print the result as one JSON document on stdout' })
    .option('color', { type: 'boolean', describe: 'Colour output (--no-color to turn it off; NO_COLOR is honoured)' })
    .option('verbose', { type: 'boolean', default: false, describe: 'More detail on stderr, and stack traces on errors' })
    .option('quiet', { alias: 'q', type: 'boolean', default: false, describe: 'No per-event progress lines on stderr' }) as Argv<GlobalArgs>;
}

/** Run the CLI; resolves when the command finished and process.exitCode is set. */
export async function main(argv: string[], io: MainIO = process): Promise<number> {
  const abort = new AbortController();
  let signals = 0;
  const onSignal = (sig: NodeJS.Signals) => {
    signals += 1;
    if (signals > 1) {
      // A second Ctrl-C means "now": the report was given its chance on the first.
      process.exit(ExitCode.interrupted);
    }
    abort.abort(new Error(sig));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  let out: Output | undefined;
  let exitCode: number = ExitCode.ok;
  let stopEndsRun = false;
  const makeOutput = (args: GlobalArgs): Output => {
    const term = detectTerminal(io.env, Boolean(io.stdout.isTTY), Boolean(io.stderr.isTTY), { color: args.color, json: args.json });
    const columns = (io.stdout as { columns?: number }).columns;
    return createOutput({
      ...term,
      json: args.json,
      verbose: args.verbose,
      quiet: args.quiet,
      stdout: io.stdout,
      stderr: io.stderr,
      ...(io.stdout.isTTY && columns ? { width: columns } : {}),
    });
  };

  let parser = globalOptions(yargs())
    .scriptName('mqtt-doctor')
    .usage('$0 <command> [options]\n\nWhy MQTT connections drop, how bad the link is, and what to set.')
    .version(VERSION)
    .help()
    .alias('help', 'h')
    .strict()
    .recommendCommands()
    .demandCommand(1, 'name a command, e.g. `mqtt-doctor probe --embedded`')
    .wrap(Math.min(110, (io.stdout as { columns?: number }).columns ?? 100))
    .epilog(EXIT_CODE_EPILOG)
    .fail((msg, err) => {
      if (err) throw err;
      throw new UsageError(msg ?? 'invalid command line', 'see mqtt-doctor --help');
    });

  for (const cmd of COMMANDS) {
    parser = parser.command(
      cmd.command,
      cmd.describe,
      (y) => cmd.builder(y as Argv<GlobalArgs>),
      async (args) => {
        out = makeOutput(args as unknown as GlobalArgs);
        const ctx: CommandContext = { out, env: io.env, signal: abort.signal, stdin: io.stdin };
        exitCode = await cmd.run(args as never, ctx);
        stopEndsRun = ctx.stopEndsRun === true;
      },
    );
  }

  try {
    await parser.parseAsync(argv);
  } catch (err) {
    exitCode = reportError(err, out ?? makeOutput(fallbackGlobals(argv)), argv.includes('--verbose'));
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  if (abort.signal.aborted && exitCode === ExitCode.ok && !stopEndsRun) exitCode = ExitCode.interrupted;
  process.exitCode = exitCode;
  return exitCode;
}

function fallbackGlobals(argv: string[]): GlobalArgs {
  return {
    json: argv.includes('--json'),
    color: argv.includes('--no-color') ? false : undefined,
    verbose: argv.includes('--verbose'),
    quiet: false,
  };
}

/** One line (plus a hint line) on stderr; the stack only with --verbose. Returns the exit code. */
export function reportError(err: unknown, out: Output, verbose: boolean): number {
  if (isDoctorError(err)) {
    out.note(`mqtt-doctor: ${err.message}`);
    if (err.hint) out.note(`  hint: ${err.hint}`);
    if (verbose && err.stack) out.note(err.stack);
    return err.exitCode;
  }
  const e = err instanceof Error ? err : new Error(String(err));
  out.note(`mqtt-doctor: internal error: ${e.message}`);
  out.note('  hint: this is a bug in mqtt-doctor; rerun with --verbose and report the output');
  if (verbose && e.stack) out.note(e.stack);
  return ExitCode.internal;
}
