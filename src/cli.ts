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
  if (await answerCompletion(argv, io)) return ExitCode.ok;
  const interrupt = listenForInterrupt();
  const run: RunState = {
    out: undefined,
    exitCode: ExitCode.ok,
    stopEndsRun: false,
    known: [...GLOBAL_OPTION_KEYS],
    examples: [],
    coerced: undefined,
    urlDefault: undefined,
  };
  const setup: ParseSetup = { argv, io, run, config: readConfig(argv, io.env), signal: interrupt.signal };
  const width = helpWidth(io);
  const parser = rootParser(run, width);
  for (const cmd of await loadCommands(argv)) registerCommand(parser, cmd, setup);

  skipHelpCaching(parser);
  try {
    await parseAndShowHelp(parser, setup, width);
  } catch (caught) {
    const out = run.out ?? (await makeOutput(io, fallbackGlobals(argv)));
    run.exitCode = reportError(parseFailure(caught, run), out, argv.includes('--verbose'));
  } finally {
    interrupt.release();
  }
  if (interrupt.signal.aborted && run.exitCode === ExitCode.ok && !run.stopEndsRun) run.exitCode = ExitCode.interrupted;
  process.exitCode = run.exitCode;
  return run.exitCode;
}

/** What one run learns as yargs goes: filled in by the builder and the handler of the command being parsed. */
interface RunState {
  out: Output | undefined;
  exitCode: number;
  /** Set by a command for which Ctrl-C is the normal end (CommandContext.stopEndsRun). */
  stopEndsRun: boolean;
  /** The parsed command's option names, for "did you mean". */
  known: string[];
  /** The parsed command's examples, printed by withExamples. */
  examples: Array<[string, string]>;
  /** The error our own coerce step raised, to tell it apart from yargs' rewrap of it. */
  coerced: UsageError | undefined;
  /** The URL that came from MQTT_DOCTOR_URL or the config file, not from the command line. */
  urlDefault: unknown;
}

/** What every command's builder and handler read. */
interface ParseSetup {
  argv: string[];
  io: MainIO;
  run: RunState;
  config: ReturnType<typeof readConfig>;
  signal: AbortSignal;
}

/**
 * The shell's Tab: answered (candidates, one per line, nothing else) when argv starts with the completion
 * argument. The completion module is read only when the first word names no command (it is then loaded with all
 * of them). Returns whether it answered.
 */
async function answerCompletion(argv: string[], io: MainIO): Promise<boolean> {
  const completion =
    argv[0] !== undefined && !isCommandName(argv[0]) ? await import('./commands/completion.js') : undefined;
  if (!completion || argv[0] !== completion.COMPLETE_ARG) return false;
  io.stdout.write(
    completion
      .completeWords(argv.slice(1), completionSpecs(await loadCommands()), [...GLOBAL_OPTION_KEYS])
      .map((candidate) => `${candidate}\n`)
      .join(''),
  );
  return true;
}

/** The first Ctrl-C / SIGTERM aborts the signal (the command writes its report); a second one exits at once. */
function listenForInterrupt(): { signal: AbortSignal; release: () => void } {
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
  return {
    signal: abort.signal,
    release: () => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}

function makeOutput(io: MainIO, args: GlobalArgs): Promise<Output> {
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
}

/** `--help | less` has no stdout width: take the terminal's from stderr (or $COLUMNS) so examples still fit it. */
function helpWidth(io: MainIO): number {
  return Math.min(
    110,
    (io.stdout as { columns?: number }).columns ??
      (io.stderr as { columns?: number }).columns ??
      (Number(io.env.COLUMNS) || 100),
  );
}

/** The program-wide parser: global options, usage, help, strictness and the one-line failure. */
function rootParser(run: RunState, width: number): Argv<GlobalArgs> {
  return globalOptions(yargs())
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
      throw usageFromYargs(msg ?? 'invalid command line', run.known);
    });
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
function registerCommand(parser: Argv<GlobalArgs>, cmd: DoctorCommand<any>, setup: ParseSetup): void {
  const name = commandName(cmd.command);
  const positionals = positionalNames(cmd.command);
  parser.command(
    cmd.command,
    cmd.describe,
    (y) => buildCommand(y, cmd, name, positionals, setup),
    (args) => runCommand(args, cmd, setup),
  );
}

/** The command's own options, tightened, with their defaults from the environment and the config file. */
function buildCommand(
  y: Argv<GlobalArgs>,
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  cmd: DoctorCommand<any>,
  name: string,
  positionals: string[],
  { run, config, io }: ParseSetup,
): Argv<GlobalArgs> {
  run.examples = [];
  // Examples are printed by printHelp, one copyable line each, not in yargs' wrapped two-column table.
  const collecting = Object.assign(y, {
    example: (command: string, description: string) => {
      run.examples.push([command, description]);
      return collecting;
    },
  });
  const built = cmd.builder(collecting as Argv<GlobalArgs>);
  run.known = tightenOptions(built, positionals, (e) => (run.coerced = e));
  // Defaults from MQTT_DOCTOR_* and the config file: yargs ranks a config object below the command line.
  const booleans = new Set((built as unknown as { getOptions(): { boolean: string[] } }).getOptions().boolean);
  const defaults = config.ok ? defaultsFor(name, [...run.known, ...positionals], booleans, config.file, io.env) : {};
  if (Object.keys(defaults).length) built.config(defaults);
  run.urlDefault = defaults.url;
  groupOptionsForHelp(built, name, positionals);
  return built;
}

/** Checks that need the parsed arguments, then the command itself; its exit code lands in the run state. */
async function runCommand(
  args: Record<string, unknown>,
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  cmd: DoctorCommand<any>,
  { argv, io, run, config, signal }: ParseSetup,
): Promise<void> {
  const out = await makeOutput(io, args as unknown as GlobalArgs);
  run.out = out;
  if (!config.ok) throw config.error;
  if (config.file) out.debug(`option defaults from ${config.file.path}`);
  checkConflicts(argv);
  // A typed --embedded beats a URL that only came from MQTT_DOCTOR_URL or the config file.
  if (
    args.embedded === true &&
    args.url !== undefined &&
    args.url === run.urlDefault &&
    !argv.includes(String(args.url))
  )
    args.url = undefined;
  checkLocalOptions(args, out);
  const ctx: CommandContext = { out, env: io.env, signal, stdin: io.stdin };
  run.exitCode = await cmd.run(args as never, ctx);
  run.stopEndsRun = ctx.stopEndsRun === true;
}

/** With a callback, yargs hands --help / --version text back instead of printing it and exiting. */
async function parseAndShowHelp(parser: Argv<GlobalArgs>, { argv, io, run }: ParseSetup, width: number) {
  let shown = '';
  await parser.parseAsync(argv, {}, (_err, _args, output) => {
    shown = output;
  });
  if (shown) io.stdout.write(withExamples(shown, run.examples, width) + '\n');
}

/** yargs' own parse errors (and our coerce errors, rewrapped by yargs) arrive as YError. */
function parseFailure(caught: unknown, run: RunState): unknown {
  const yargsError = caught instanceof Error && caught.name === 'YError';
  if (!yargsError) return caught;
  return run.coerced?.message === caught.message ? run.coerced : usageFromYargs(caught.message, run.known);
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
    const name = commandName(cmd.command);
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

/** `probe [url]` → 'probe'. */
function commandName(command: string | string[]): string {
  return (Array.isArray(command) ? command[0] : command)?.split(' ')[0] ?? '';
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
