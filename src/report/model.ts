/**
 * One report model for every command. Commands build it with pure functions (report/build-*.ts); it is
 * rendered once at the edge, to text (render-text.ts) or JSON (render-json.ts). The JSON document is the
 * stable schema: fields are only ever added within a schemaVersion.
 */
import type { MaskedTarget } from '../config/target.js';

export const SCHEMA_VERSION = 1 as const;

export type CheckStatus = 'pass' | 'warn' | 'fail' | 'info' | 'skip';

export interface Check {
  /** Stable identifier, e.g. `dns`, `tcp`, `tls`, `ws`, `connack`, `rtt`, `threshold.max-loss`. */
  id: string;
  title: string;
  status: CheckStatus;
  /** One line for the table, e.g. "3 addresses, IPv4 127.0.0.1". */
  summary?: string;
  durationMs?: number;
  metrics?: Record<string, unknown>;
  /** Why this status, in a sentence; for failures, the most likely cause. */
  explanation?: string;
  /** What to do next (often an mqtt-doctor command). */
  hint?: string;
}

/**
 * healthy: the link/broker passed every check (probe, soak). ok: the command did its job and judges no health
 * (explain-error explained, keepalive-tune recommended, impair ran). degraded/failed/interrupted as named.
 */
export type VerdictStatus = 'healthy' | 'ok' | 'degraded' | 'failed' | 'interrupted';

export interface Verdict {
  status: VerdictStatus;
  exitCode: number;
  summary: string;
}

/** Human-only presentation blocks; JSON consumers read `data` instead. */
export type Section =
  /** `whole`: columns whose words are never cut (addresses); the other columns give way, long words broken. */
  | { kind: 'table'; title: string; head: string[]; rows: string[][]; whole?: number[] }
  | { kind: 'pairs'; title: string; pairs: Array<[string, string]> }
  /** `code`: lines a user copies as they are (a snippet), never wrapped; other lines wrap between words. */
  | { kind: 'lines'; title: string; lines: string[]; code?: boolean };

export interface ReportError {
  kind: string;
  phase?: string;
  code?: string;
  message: string;
  hint?: string;
}

/** What every report starts with; built by reportEnvelope, never by hand. */
export interface EnvelopeInput {
  command: string;
  version: string;
  startedAt: Date | string;
  finishedAt: Date | string;
  target?: MaskedTarget | undefined;
  insecure?: boolean | undefined;
}

type Envelope = Pick<Report, 'schemaVersion' | 'tool' | 'command' | 'startedAt' | 'finishedAt' | 'target' | 'insecure'>;

/** The report envelope (schema version, tool, command, times, masked target, --insecure), one way for all. */
export function reportEnvelope(i: EnvelopeInput): Envelope {
  const iso = (t: Date | string) => (typeof t === 'string' ? t : t.toISOString());
  return {
    schemaVersion: SCHEMA_VERSION,
    tool: { name: 'mqtt-doctor', version: i.version },
    command: i.command,
    startedAt: iso(i.startedAt),
    finishedAt: iso(i.finishedAt),
    ...(i.target ? { target: i.target } : {}),
    ...(i.insecure ? { insecure: true } : {}),
  };
}

export interface Report<D = unknown> {
  schemaVersion: typeof SCHEMA_VERSION;
  tool: { name: 'mqtt-doctor'; version: string };
  command: string;
  startedAt: string;
  finishedAt: string;
  target?: MaskedTarget;
  /** True when the user turned TLS verification off (--insecure): reports must say so. */
  insecure?: boolean;
  checks: Check[];
  /** Command-specific structured results (the JSON schema of each command documents it). */
  data: D;
  error?: ReportError;
  verdict: Verdict;
  /** Not serialised to JSON. */
  view?: Section[];
}
