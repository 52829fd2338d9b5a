import { createRequire } from 'node:module';
import type { Report } from './model.js';

/** The JSON document: everything but the human-only `view`. */
export function renderJson(report: Report): string {
  const { view: _view, ...doc } = report;
  return JSON.stringify(doc, null, 2) + '\n';
}

/** Arrays longer than this are written element by element (analyze's connections of a 1 GB capture). */
const STREAM_ARRAY_MIN = 256;

/**
 * The same text as renderJson, in pieces: long arrays are stringified one element at a time, so the document
 * of a 10,000-connection capture never exists as one string (issue 14: memory flat with the input's size).
 * Pieces end between values, never inside a string, so the output's redactor still sees every secret whole.
 * Each element of a long array is its own piece, written and dropped before the next is built (no rope of many
 * elements is kept between writes; on a 1 GB capture this did not move the peak RSS beyond run-to-run noise).
 */
export function* renderJsonPieces(report: Report): Generator<string> {
  const { view: _view, ...doc } = report;
  // A random token no capture can guess stands in for each long array in the skeleton. Made at the first long
  // array: most reports have none, and node:crypto is then never loaded (it is a few ms of a short run).
  let token: string | undefined;
  const held: unknown[][] = [];
  const skeleton = JSON.stringify(
    doc,
    (_k, v: unknown) => {
      if (Array.isArray(v) && v.length >= STREAM_ARRAY_MIN) {
        held.push(v);
        token ??= `mqd-array-${randomHex(8)}-`;
        return `${token}${held.length - 1}`;
      }
      return v;
    },
    2,
  );
  if (token === undefined) {
    yield skeleton + '\n';
    return;
  }
  const marker = new RegExp(`"${token}(\\d+)"`, 'g');
  let at = 0;
  // An array's closing bracket opens the next piece, so every piece but the last ends after a whole element.
  let close = '';
  for (let m = marker.exec(skeleton); m; m = marker.exec(skeleton)) {
    const head = close + skeleton.slice(at, m.index);
    at = m.index + m[0].length;
    const lineStart = skeleton.lastIndexOf('\n', m.index) + 1;
    const indent = /^ */.exec(skeleton.slice(lineStart, m.index))![0];
    const inner = `${indent}  `;
    const arr = held[Number(m[1])]!;
    for (let i = 0; i < arr.length; i++) {
      // As JSON.stringify does inside an array: undefined and functions become null.
      const el = JSON.stringify(arr[i], null, 2) ?? 'null';
      yield `${i ? ',' : `${head}[`}\n${inner}${el.replace(/\n/g, `\n${inner}`)}`;
    }
    close = `\n${indent}]`;
  }
  yield close + skeleton.slice(at) + '\n';
}

/** `bytes` random bytes in hex, node:crypto read on first use. */
function randomHex(bytes: number): string {
  const { randomBytes } = createRequire(import.meta.url)('node:crypto') as typeof import('node:crypto');
  return randomBytes(bytes).toString('hex');
}
