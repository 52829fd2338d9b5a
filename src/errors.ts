/**
 * Typed errors a user can cause. Each carries its exit code and a hint; src/cli.ts is the single funnel that
 * prints them as one line (stack only with --verbose) and sets process.exitCode.
 */

/** Exit codes, documented in README.md and in `--help`. */
export const ExitCode = {
  ok: 0,
  /** A threshold failed or the run found a problem (loss, reconnects, unknown error text…). */
  finding: 1,
  /** Bad command line or input. */
  usage: 2,
  /** DNS, TCP, TLS or WebSocket phase failed: the broker was never reached at the MQTT level. */
  unreachable: 3,
  /** The broker answered CONNACK with a refusal, or broke the MQTT protocol. */
  refused: 4,
  /** Bug in mqtt-doctor (EX_SOFTWARE from sysexits.h). */
  internal: 70,
  /** Interrupted by Ctrl-C / SIGTERM after the report was written (128 + SIGINT). */
  interrupted: 130,
} as const;
export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

export type ErrorKind = 'usage' | 'unreachable' | 'refused' | 'internal';

export class DoctorError extends Error {
  readonly kind: ErrorKind;
  readonly exitCode: ExitCodeValue;
  readonly hint: string | undefined;

  constructor(kind: ErrorKind, exitCode: ExitCodeValue, message: string, hint?: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
    this.kind = kind;
    this.exitCode = exitCode;
    this.hint = hint;
  }
}

export class UsageError extends DoctorError {
  constructor(message: string, hint?: string, options?: ErrorOptions) {
    super('usage', ExitCode.usage, message, hint, options);
  }
}

export class UnreachableError extends DoctorError {
  constructor(message: string, hint?: string, options?: ErrorOptions) {
    super('unreachable', ExitCode.unreachable, message, hint, options);
  }
}

export class RefusedError extends DoctorError {
  constructor(message: string, hint?: string, options?: ErrorOptions) {
    super('refused', ExitCode.refused, message, hint, options);
  }
}

export function isDoctorError(err: unknown): err is DoctorError {
  return err instanceof DoctorError;
}
