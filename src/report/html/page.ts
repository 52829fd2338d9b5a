/**
 * The page shell: one self-contained HTML document (inline CSS, inline SVG, no script, no request to any
 * network), readable on screen, in dark mode (prefers-color-scheme:
 * https://developer.mozilla.org/en-US/docs/Web/CSS/@media/prefers-color-scheme) and printed (@media print).
 * Hover values come from SVG <title> children, which browsers show as tooltips without any script.
 */
import type { CheckStatus, VerdictStatus } from '../model.js';
import type { CAUSES } from '../../analyze/soak/causes.js';
import { esc } from './svg.js';

/** One colour per disconnect cause (and for the time before a client's first connect). */
export const CAUSE_COLOR: Record<(typeof CAUSES)[number] | 'initial', string> = {
  'keepalive-timeout': '#d62728',
  'broker-closed': '#ff7f0e',
  reset: '#e377c2',
  'disconnect-packet': '#bcbd22',
  'session-taken-over': '#9467bd',
  tls: '#8c564b',
  dns: '#17becf',
  refused: '#c49c94',
  'connack-refused': '#7f3b08',
  'connect-timeout': '#f7b6d2',
  'no-connack': '#e7969c',
  'not-mqtt': '#843c39',
  'no-suback': '#ad494a',
  timeout: '#dbdb8d',
  unreachable: '#393b79',
  'run-ended': '#c7c7c7',
  unknown: '#7f7f7f',
  initial: '#b0b0b0',
};

const causeCss = Object.entries(CAUSE_COLOR)
  .map(([k, v]) => `.c-${k}{fill:${v};background:${v}}`)
  .join('');

const CSS = `
:root{--bg:#fff;--fg:#1b1f24;--muted:#5b6470;--grid:#d8dde3;--panel:#f5f7f9;--up:#3a9d5d;--p50:#1f5fa8;--p90:#7fa9dc;--p99:#c6d8ef;
--lost:#d62728;--dup:#ff7f0e;--ooo:#9467bd;--bar:#4c78a8;--pass:#2e7d32;--warn:#b26a00;--fail:#c62828;--info:#1f5fa8;--skip:#777}
@media (prefers-color-scheme:dark){:root{--bg:#14171b;--fg:#e6e9ed;--muted:#9aa4af;--grid:#39414a;--panel:#1d2228;--up:#4fbf77;
--p50:#8cbcff;--p90:#3f6ea8;--p99:#27405f;--bar:#6d9ed6;--pass:#66bb6a;--warn:#ffb74d;--fail:#ef5350;--info:#8cbcff;--skip:#999}}
*{box-sizing:border-box}body{margin:0 auto;max-width:1100px;padding:16px 20px;background:var(--bg);color:var(--fg);
font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
h1{font-size:20px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid var(--grid);padding-bottom:4px}
h3{font-size:14px;margin:0}.muted{color:var(--muted)}code{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:12.5px}
.verdict{display:inline-block;padding:2px 10px;border-radius:10px;font-weight:600;color:var(--bg)}
.v-healthy,.v-ok{background:var(--pass)}.v-degraded,.v-interrupted{background:var(--warn)}.v-failed{background:var(--fail)}
table.kv{border-collapse:collapse;margin:6px 0}table.kv td{padding:2px 14px 2px 0;vertical-align:top}table.kv td:first-child{color:var(--muted);white-space:nowrap}
figure.chart{margin:14px 0;padding:10px 12px;background:var(--panel);border-radius:6px;break-inside:avoid;page-break-inside:avoid}
figure.chart svg{width:100%;height:auto;display:block;margin-top:6px}
p.alt{margin:6px 0 0;color:var(--muted);font-size:12.5px}
ul.legend{list-style:none;margin:4px 0 0;padding:0;display:flex;flex-wrap:wrap;gap:4px 14px;font-size:12.5px}
.sw{display:inline-block;width:11px;height:11px;border-radius:2px;margin-right:5px;vertical-align:-1px}
svg text{fill:var(--muted);font-size:11px;font-family:system-ui,sans-serif}
.grid line{stroke:var(--grid);stroke-width:1}.axis path,.axis line{stroke:var(--muted)}
.up{fill:var(--up);background:var(--up)}.p50{stroke:var(--p50);fill:none;stroke-width:1.6}.p50s{background:var(--p50)}
.p90{fill:var(--p90);background:var(--p90)}.p99{fill:var(--p99);background:var(--p99)}
.lost{fill:var(--lost);background:var(--lost)}.dup{fill:var(--dup);background:var(--dup)}.ooo{fill:var(--ooo);background:var(--ooo)}
.bar{fill:var(--bar);background:var(--bar)}.conn{fill:var(--up);opacity:.35}.connline{stroke:var(--up);fill:none;stroke-width:1.4}
.mark-disconnect{fill:var(--fg)}.mark-failed{fill:var(--muted)}.mark-reconnect{stroke:var(--fg);stroke-width:1.5;opacity:.7}
.mark-lost{fill:var(--lost)}.mark-reconnect-sw{background:var(--fg);opacity:.55}.phase{fill:var(--bar)}.rtt{stroke:var(--p50);fill:none;stroke-width:1.4}.rttdot{fill:var(--p50)}.lane-bg{fill:var(--grid);opacity:.35}
${causeCss}
ol.findings{padding-left:20px}ol.findings li{margin:6px 0}.st{font-weight:600;text-transform:uppercase;font-size:11.5px}
.s-pass{color:var(--pass)}.s-warn{color:var(--warn)}.s-fail{color:var(--fail)}.s-info{color:var(--info)}.s-skip{color:var(--skip)}
footer{margin-top:30px;color:var(--muted);font-size:12px}
@media print{body{max-width:none;padding:0;font-size:11pt;background:#fff;color:#000}figure.chart{background:none;border:1px solid #ccc}
.verdict{border:1px solid #000;color:#000;background:none}h2{break-after:avoid}}
`;

export interface PageHeader {
  title: string;
  subtitle: string;
  verdict: { status: VerdictStatus; summary: string };
  /** Label → value rows (target, settings…). */
  pairs: Array<[string, string]>;
  /** Failed thresholds, one line each (shown under the verdict). */
  failed: string[];
}

export interface PageSection {
  title: string;
  html: string;
}

export function kvTable(pairs: Array<[string, string]>): string {
  return `<table class="kv">${pairs.map(([k, v]) => `<tr><td>${esc(k)}</td><td>${esc(v)}</td></tr>`).join('')}</table>`;
}

export interface FindingItem {
  status: CheckStatus;
  title: string;
  summary?: string | undefined;
  explanation?: string | undefined;
  hint?: string | undefined;
}

export function findingsList(items: FindingItem[]): string {
  if (items.length === 0) return '<p class="muted">No findings.</p>';
  return `<ol class="findings">${items
    .map(
      (f) =>
        `<li><span class="st s-${f.status}">${esc(f.status)}</span> <strong>${esc(f.title)}</strong>${f.summary ? `: ${esc(f.summary)}` : ''}` +
        `${f.explanation && f.explanation !== f.summary ? `<br>${esc(f.explanation)}` : ''}${f.hint ? `<br><span class="muted">next: </span><code>${esc(f.hint)}</code>` : ''}</li>`,
    )
    .join('')}</ol>`;
}

/** The whole document. `generator` names the tool and version for the footer. */
export function page(h: PageHeader, sections: PageSection[], generator: string): string {
  const failed = h.failed.length ? `<ul>${h.failed.map((f) => `<li class="s-fail">${esc(f)}</li>`).join('')}</ul>` : '';
  return (
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">` +
    `<meta name="color-scheme" content="light dark"><title>${esc(h.title)}</title><style>${CSS}</style></head><body>` +
    `<header><h1>${esc(h.title)}</h1><p class="muted">${esc(h.subtitle)}</p>` +
    `<p><span class="verdict v-${h.verdict.status}">${esc(h.verdict.status)}</span> ${esc(h.verdict.summary)}</p>${failed}${kvTable(h.pairs)}</header>` +
    sections.map((s) => `<section><h2>${esc(s.title)}</h2>${s.html}</section>`).join('') +
    `<footer>${esc(generator)}. This file is self-contained: it loads nothing from any network.</footer></body></html>\n`
  );
}
