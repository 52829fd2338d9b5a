/**
 * Put an in-process impair proxy in front of a target, for `probe --impair` and `soak --impair`: the
 * measurement then crosses a link whose badness we chose (a profile like `4g`, or fault flags).
 */
import type { Target } from '../config/target.js';
import { parseImpairSpec } from '../config/impair.js';
import { startImpairProxy, type ImpairProxy } from './impair/proxy.js';

export async function startImpairFor(target: Target, spec: string): Promise<ImpairProxy> {
  const faults = parseImpairSpec(spec);
  return startImpairProxy({ listenHost: '127.0.0.1', listenPort: 0, targetHost: target.host, targetPort: target.port, faults });
}
