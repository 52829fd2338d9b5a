import type { Check } from './model.js';

/** A `--max-…` gate as a check (soak, report and analyze): pass or fail, with its limit and the actual value. */
export function thresholdCheck(t: { id: string; limit: number; actual: number; pass: boolean; text: string }): Check {
  return {
    id: `threshold.${t.id}`,
    title: `--${t.id}`,
    status: t.pass ? 'pass' : 'fail',
    summary: t.text,
    metrics: { limit: t.limit, actual: t.actual },
    ...(t.pass ? {} : { explanation: t.text }),
  };
}
