/**
 * Put an in-process impair proxy in front of a target, for `probe --impair` and `soak --impair`: the
 * measurement then crosses a link whose badness we chose (a profile like `4g`, or fault flags).
 */
import type { Target } from '../config/target.js';
import { parseImpairSpec, type ImpairFaults } from '../config/impair.js';
import { startImpairProxy, type ImpairProxy } from './impair/proxy.js';

/**
 * `faults` is a spec string (`4g`, `latency=50ms,…`) or faults already parsed with parseImpairSpec; parse
 * first when other side effects would run before this (so a bad spec fails before anything starts).
 */
export async function startImpairFor(target: Target, spec: string | ImpairFaults): Promise<ImpairProxy> {
  const faults = typeof spec === 'string' ? parseImpairSpec(spec) : spec;
  return startImpairProxy({ listenHost: '127.0.0.1', listenPort: 0, targetHost: target.host, targetPort: target.port, faults });
}
