import type { Report } from './model.js';

/** The JSON document: everything but the human-only `view`. */
export function renderJson(report: Report): string {
  const { view: _view, ...doc } = report;
  return JSON.stringify(doc, null, 2) + '\n';
}
