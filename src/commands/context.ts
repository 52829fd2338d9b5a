import type { Argv } from 'yargs';
import type { Output } from '../ui/output.js';

/** What every command receives besides its arguments: the terminal, the environment and the stop signal. */
export interface CommandContext {
  out: Output;
  env: NodeJS.ProcessEnv;
  /** Aborted on the first Ctrl-C / SIGTERM: finish promptly and emit the report gathered so far. */
  signal: AbortSignal;
  /** Standard input (explain-error reads a log from it). */
  stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  /** Set by a command for which Ctrl-C is the normal end (probe -c 0, like ping): its exit code then stands. */
  stopEndsRun?: boolean;
}

export interface GlobalArgs {
  json: boolean;
  color: boolean | undefined;
  verbose: boolean;
  quiet: boolean;
  config?: string | undefined;
}

/**
 * A command: yargs metadata plus `run`, which returns the exit code. cli.ts adapts it to yargs and is the only
 * place that turns errors into output and exit codes.
 */
export interface DoctorCommand<A = object> {
  command: string | string[];
  describe: string;
  builder: (y: Argv<GlobalArgs>) => Argv<A & GlobalArgs>;
  run: (args: A & GlobalArgs, ctx: CommandContext) => Promise<number>;
}

/** Helps TypeScript infer A from the builder. */
export function defineCommand<A>(cmd: DoctorCommand<A>): DoctorCommand<A> {
  return cmd;
}
