/**
 * Entry point and the single error funnel. Builds yargs, registers the commands, catches every error a
 * user can cause (DoctorError) and prints one line plus a hint, sets process.exitCode. Nothing else calls
 * process.exit.
 */
import { createRequire } from 'node:module';
import type { Argv } from 'yargs';
import { ExitCode, UsageError, isDoctorError } from './errors.js';
import { didYouMean } from './config/suggest.js';
import {
  FLAG_CONFLICTS,
  GLOBAL_OPTION_KEYS,
  LISTEN_OPTIONS,
  OUTPUT_FILE_OPTIONS,
  groupOptionsForHelp,
  tightenOptions,
} from './commands/options.js';
import { checkOutputPath, wildcardBindWarning } from './config/local-checks.js';
import { defaultsFor, loadConfigFile, type ConfigFile } from './config/defaults.js';
import { VERSION } from './version.js';
import { createOutput, detectTerminal, type Output } from './ui/output.js';
import { isCommandName, loadCommands } from './commands/registry.js';
import type { CompletionSpec } from './commands/completion.js';
import type { CommandContext, DoctorCommand, GlobalArgs } from './commands/context.js';

// yargs' ESM build wraps help text at a fixed column, cutting words in half; its CommonJS build wraps at word
// boundaries (wrap-ansi). Same package, same API. `yargs/yargs` is the factory without the singleton that the
// package's main entry builds from process.argv as it loads (https://github.com/yargs/yargs#readme, "yargs/yargs").
const yargs = createRequire(import.meta.url)('yargs/yargs') as typeof import('yargs/yargs');

export const EXIT_CODE_EPILOG = `Exit codes:
  0   healthy: every check passed
  1   finding: a threshold failed or a problem was found (named in the report)
  2   usage: bad option or input
  3   unreachable: DNS, TCP, TLS or WebSocket failed before MQTT
  4   refused: the broker refused the CONNECT or broke the protocol
  70  internal error in mqtt-doctor (please report it, with --verbose)
  130 interrupted (Ctrl-C / SIGTERM) after writing the report gathered so far

Durations: 500ms, 30s, 5m, 1h, 1m30s; a bare number is seconds, refused where milliseconds are usual
(latency, jitter, RTT limits); at most 24d where one timer waits. Colour follows NO_COLOR, FORCE_COLOR and --no-color.
--json prints one document on stdout (schemaVersion 1); progress always goes to stderr.
Defaults: any option from MQTT_DOCTOR_<OPTION> (MQTT_DOCTOR_URL, MQTT_DOCTOR_CONNECT_TIMEOUT) or from
~/.config/mqtt-doctor/config.json (--config); flags win over the environment, the environment over the file.`;

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
    .option('verbose', {
      type: 'boolean',
      default: false,
      describe: 'More detail on stderr, and stack traces on errors',
    })
    .option('quiet', { alias: 'q', type: 'boolean', default: false, describe: 'No per-event progress lines on stderr' })
    .option('config', {
      type: 'string',
      describe: 'JSON file of option defaults (default ~/.config/mqtt-doctor/config.json)',
    }) as Argv<GlobalArgs>;
}

/** Run the CLI; resolves when the command finished and process.exitCode is set. */
export async function main(argv: string[], io: MainIO = process): Promise<number> {
  // The completion module is read only when the first word names no command (it is then loaded with all of them).
  const completion =
    argv[0] !== undefined && !isCommandName(argv[0]) ? await import('./commands/completion.js') : undefined;
  if (completion && argv[0] === completion.COMPLETE_ARG) {
    // Asked by the completion script on every Tab: candidates, one per line, nothing else.
    io.stdout.write(
      completion
        .completeWords(argv.slice(1), completionSpecs(await loadCommands()), [...GLOBAL_OPTION_KEYS])
        .map((c) => `${c}\n`)
        .join(''),
    );
    return ExitCode.ok;
  }
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
  const makeOutput = (args: GlobalArgs): Promise<Output> => {
    const term = detectTerminal(io.env, Boolean(io.stdout.isTTY), Boolean(io.stderr.isTTY), {
      color: args.color,
      json: args.json,
    });
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

  // Filled in by the builder of the command being parsed: its option names (for "did you mean") and examples.
  let known: string[] = [...GLOBAL_OPTION_KEYS];
  let examples: Array<[string, string]> = [];
  let coerced: UsageError | undefined;
  const config = readConfig(argv, io.env);
  let urlDefault: unknown;
  // `--help | less` has no stdout width: take the terminal's from stderr (or $COLUMNS) so examples still fit it.
  const width = Math.min(
    110,
    (io.stdout as { columns?: number }).columns ??
      (io.stderr as { columns?: number }).columns ??
      (Number(io.env.COLUMNS) || 100),
  );

  let parser = globalOptions(yargs())
    .scriptName('mqtt-doctor')
    .usage('$0 <command> [options]\n\nWhy MQTT connections drop, how bad the link is, and what to set.')
    .version(VERSION)
    .help()
    .alias('help', 'h')
    .strict()
    .recommendCommands()
    .demandCommand(1, 'name a command, e.g. `mqtt-doctor probe --embedded`')
    .wrap(width)
    .epilog(EXIT_CODE_EPILOG)
    .fail((msg, err) => {
      if (err) throw err;
      throw usageFromYargs(msg ?? 'invalid command line', known);
    });

  for (const cmd of await loadCommands(argv)) {
    const name = (Array.isArray(cmd.command) ? cmd.command[0] : cmd.command)?.split(' ')[0] ?? '';
    const positionals = positionalNames(cmd.command);
    parser = parser.command(
      cmd.command,
      cmd.describe,
      (y) => {
        examples = [];
        // Examples are printed by printHelp, one copyable line each, not in yargs' wrapped two-column table.
        const collecting = Object.assign(y, {
          example: (command: string, description: string) => {
            examples.push([command, description]);
            return collecting;
          },
        });
        const built = cmd.builder(collecting as Argv<GlobalArgs>);
        known = tightenOptions(built, positionals, (e) => (coerced = e));
        // Defaults from MQTT_DOCTOR_* and the config file: yargs ranks a config object below the command line.
        const booleans = new Set((built as unknown as { getOptions(): { boolean: string[] } }).getOptions().boolean);
        const defaults = config.ok ? defaultsFor(name, [...known, ...positionals], booleans, config.file, io.env) : {};
        if (Object.keys(defaults).length) built.config(defaults);
        urlDefault = defaults.url;
        groupOptionsForHelp(built, name, positionals);
        return built;
      },
      async (args) => {
        out = await makeOutput(args as unknown as GlobalArgs);
        if (!config.ok) throw config.error;
        if (config.file) out.debug(`option defaults from ${config.file.path}`);
        checkConflicts(argv);
        // A typed --embedded beats a URL that only came from MQTT_DOCTOR_URL or the config file.
        if (
          args.embedded === true &&
          args.url !== undefined &&
          args.url === urlDefault &&
          !argv.includes(String(args.url))
        )
          args.url = undefined;
        checkLocalOptions(args, out);
        const ctx: CommandContext = { out, env: io.env, signal: abort.signal, stdin: io.stdin };
        exitCode = await cmd.run(args as never, ctx);
        stopEndsRun = ctx.stopEndsRun === true;
      },
    );
  }

  skipHelpCaching(parser);
  try {
    // With a callback, yargs hands --help / --version text back instead of printing it and exiting.
    let shown = '';
    await parser.parseAsync(argv, {}, (_err, _args, output) => {
      shown = output;
    });
    if (shown) io.stdout.write(withExamples(shown, examples, width) + '\n');
  } catch (caught) {
    // yargs' own parse errors (and our coerce errors, rewrapped by yargs) arrive as YError.
    const yargsError = caught instanceof Error && caught.name === 'YError';
    const err = !yargsError
      ? caught
      : coerced?.message === caught.message
        ? coerced
        : usageFromYargs(caught.message, known);
    exitCode = reportError(err, out ?? (await makeOutput(fallbackGlobals(argv))), argv.includes('--verbose'));
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  if (abort.signal.aborted && exitCode === ExitCode.ok && !stopEndsRun) exitCode = ExitCode.interrupted;
  process.exitCode = exitCode;
  return exitCode;
}

/**
 * yargs formats a command's whole help screen right after starting its handler (usage.cacheHelpMessage), for a
 * help screen printed after the run, which this CLI never shows: its fail handler prints one line. That is
 * cliui, wrap-ansi and string-width over every option on every run (about 15 ms of a one-line explain-error).
 * Skipped the way Angular CLI skips it (https://github.com/angular/angular-cli/pull/34087); `--help` builds its
 * text before any handler runs and is unchanged. Internal API: left alone where it is not there.
 */
function skipHelpCaching(parser: Argv<GlobalArgs>): void {
  type Usage = { cacheHelpMessage?: unknown };
  const internal = (parser as unknown as { getInternalMethods?: () => { getUsageInstance?: () => Usage } })
    .getInternalMethods?.()
    .getUsageInstance?.();
  if (internal && typeof internal.cacheHelpMessage === 'function') internal.cacheHelpMessage = () => {};
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

function readConfig(
  argv: string[],
  env: NodeJS.ProcessEnv,
): { ok: true; file: ConfigFile | undefined } | { ok: false; error: unknown } {
  try {
    return { ok: true, file: loadConfigFile(argv, env) };
  } catch (error) {
    return { ok: false, error };
  }
}

/** Two flags that contradict each other, both typed on the command line. */
function checkConflicts(argv: string[]): void {
  const typed = new Set(argv.filter((a) => a.startsWith('-')).map((a) => a.replace(/^--?/, '').split('=')[0] ?? ''));
  for (const [a, b] of FLAG_CONFLICTS) {
    if (a.some((n) => typed.has(n)) && b.some((n) => typed.has(n))) {
      throw new UsageError(`--${a[0]} and --${b[0]} contradict each other`, `keep one of them`);
    }
  }
}

/** Before any command runs: files it will write can be written, and a wildcard listening address is named. */
function checkLocalOptions(args: Record<string, unknown>, out: Output): void {
  for (const key of OUTPUT_FILE_OPTIONS) {
    const value = args[key];
    if (typeof value === 'string') checkOutputPath(value, key);
  }
  for (const key of LISTEN_OPTIONS) {
    const value = args[key];
    const warning = typeof value === 'string' ? wildcardBindWarning(key, value) : undefined;
    if (warning) out.note(`mqtt-doctor: ${warning}`);
  }
}

/** Each command's options, read from its own builder, for shell completion. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
function completionSpecs(commands: ReadonlyArray<DoctorCommand<any>>): CompletionSpec[] {
  return commands.map((cmd) => {
    const name = (Array.isArray(cmd.command) ? cmd.command[0] : cmd.command)?.split(' ')[0] ?? '';
    const positionals = positionalNames(cmd.command);
    const built = cmd.builder(yargs() as unknown as Argv<GlobalArgs>) as unknown as {
      getOptions(): {
        key: Record<string, unknown>;
        boolean: string[];
        choices: Record<string, unknown[]>;
        alias: Record<string, string[]>;
      };
    };
    const opts = built.getOptions();
    const options = new Map<string, { takesValue: boolean; values: readonly string[] }>();
    for (const key of Object.keys(opts.key)) {
      if (positionals.includes(key) || (GLOBAL_OPTION_KEYS as readonly string[]).includes(key)) continue;
      options.set(key, { takesValue: !opts.boolean.includes(key), values: (opts.choices[key] ?? []).map(String) });
    }
    // -V is --mqtt-version: same values.
    for (const [key, aliases] of Object.entries(opts.alias)) {
      const spec = options.get(key);
      if (spec) for (const a of aliases) options.set(a, spec);
    }
    return { name, options, takesUrl: positionals.includes('url') };
  });
}

/** `probe [url]` → ['url']. */
function positionalNames(command: string | string[]): string[] {
  const text = Array.isArray(command) ? command.join(' ') : command;
  return [...text.matchAll(/[<[]([\w-]+)(?:\.\.)?[>\]]/g)].map((m) => m[1] ?? '');
}

const flag = (name: string) => (name.length === 1 ? `-${name}` : `--${name}`);

/** yargs' own messages, made one line with a hint (and a "did you mean" for a misspelt option). */
export function usageFromYargs(msg: string, known: readonly string[]): UsageError {
  const missing = /^Not enough arguments following: (\S+)$/.exec(msg);
  if (missing) {
    const key = missing[1] ?? '';
    return new UsageError(`${flag(key)} needs a value`, `write it as ${flag(key)} VALUE (see --help for the form)`);
  }
  const choice = /^Invalid values:\s*Argument: (\S+), Given: (.*), Choices: (.*)$/s.exec(msg.trim());
  if (choice) {
    const choices = (choice[3] ?? '').replace(/"/g, '');
    return new UsageError(
      `--${choice[1]}: ${choice[2]} is not one of ${choices}`,
      `e.g. --${choice[1]} ${choices.split(',')[0]?.trim()}`,
    );
  }
  const implied = /^(?:Missing dependent arguments|Implications failed):\s*(\S+) -> (\S+)/.exec(msg.trim());
  if (implied)
    return new UsageError(`--${implied[1]} needs --${implied[2]}`, `add --${implied[2]}, or drop --${implied[1]}`);
  const unknown = /^Unknown arguments?: (.*)$/.exec(msg);
  if (unknown) {
    const names = (unknown[1] ?? '').split(', ').filter(Boolean);
    const guesses = names
      .map((n) =>
        didYouMean(
          n,
          known.filter((k) => k.length > 1),
          '--',
        ),
      )
      .filter(Boolean);
    return new UsageError(
      `unknown option${names.length > 1 ? 's' : ''} ${names.map(flag).join(', ')}`,
      guesses.length ? guesses.join('; ') : 'see mqtt-doctor <command> --help',
    );
  }
  return new UsageError(msg.replace(/\s*\n\s*/g, '; '), 'see mqtt-doctor --help');
}

/**
 * Put the examples in the help text, each on one line that can be copied whole (yargs' two-column table
 * splits long commands); the description follows as a shell comment when it fits, else on the line above.
 */
export function withExamples(help: string, list: ReadonlyArray<[string, string]>, width: number): string {
  if (list.length === 0) return help;
  const lines = list.flatMap(([command, description]) => {
    const cmd = command.replace(/\$0/g, 'mqtt-doctor');
    const inline = `  ${cmd}  # ${description}`;
    return inline.length <= width ? [inline] : [`  # ${description}`, `  ${cmd}`];
  });
  const block = `Examples:\n${lines.join('\n')}\n\n`;
  const at = help.indexOf('Exit codes:');
  return at >= 0 ? help.slice(0, at) + block + help.slice(at) : `${help}\n\n${block.trimEnd()}`;
}
