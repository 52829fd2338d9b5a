/**
 * Every command, in the order `--help` lists them. Command modules are light: they import their heavy
 * parts (mqtt, aedes, tls) inside `run`, so start-up stays fast.
 */
import type { DoctorCommand } from './context.js';
import { probeCommand } from './probe.js';
import { impairCommand } from './impair.js';
import { soakCommand } from './soak.js';
import { reportCommand } from './report.js';
import { keepaliveTuneCommand } from './keepalive-tune.js';
import { explainErrorCommand } from './explain-error.js';
import { analyzeCommand } from './analyze.js';
import { completionCommand } from './completion.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const COMMANDS: Array<DoctorCommand<any>> = [
  probeCommand,
  soakCommand,
  reportCommand,
  keepaliveTuneCommand,
  impairCommand,
  explainErrorCommand,
  analyzeCommand,
  completionCommand,
];
