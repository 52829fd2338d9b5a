/**
 * Every command, in the order `--help` lists them. Command modules are light: they import their heavy
 * parts (mqtt, aedes, tls) inside `run`, so start-up stays fast. A command line that names one command loads
 * only that command's module (`mqtt-doctor explain-error "…"` does not load soak's options and checks); the
 * top-level help, a misspelt command and shell completion load them all.
 */
import type { DoctorCommand } from './context.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyCommand = DoctorCommand<any>;

/** The name each module registers (the first word of its `command`), checked by test/cli/registry.test.ts. */
export const COMMAND_MODULES: ReadonlyArray<{ name: string; load: () => Promise<AnyCommand> }> = [
  { name: 'probe', load: async () => (await import('./probe.js')).probeCommand },
  { name: 'soak', load: async () => (await import('./soak.js')).soakCommand },
  { name: 'report', load: async () => (await import('./report.js')).reportCommand },
  { name: 'keepalive-tune', load: async () => (await import('./keepalive-tune.js')).keepaliveTuneCommand },
  { name: 'impair', load: async () => (await import('./impair.js')).impairCommand },
  { name: 'explain-error', load: async () => (await import('./explain-error.js')).explainErrorCommand },
  { name: 'analyze', load: async () => (await import('./analyze.js')).analyzeCommand },
  { name: 'completion', load: async () => (await import('./completion.js')).completionCommand },
];

/** Whether the word is a command's name (the first word of a command line that runs one). */
export function isCommandName(word: string): boolean {
  return COMMAND_MODULES.some((c) => c.name === word);
}

/** The command `argv` names, alone; every command when it names none (help, a typo, completion). */
export async function loadCommands(argv: readonly string[] = []): Promise<AnyCommand[]> {
  const first = argv[0];
  const named = COMMAND_MODULES.find((c) => c.name === first);
  if (named) return [await named.load()];
  return Promise.all(COMMAND_MODULES.map((c) => c.load()));
}
