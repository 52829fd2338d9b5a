/**
 * JUnit XML for CI (`--junit file.xml`): one testsuite per report, one testcase per check; failed checks
 * become <failure>, skipped ones <skipped/>. Pure string building.
 */
import type { Report } from './model.js';

const esc = (s: string): string =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');

export function renderJunit(report: Report): string {
  const name = `mqtt-doctor ${report.command}${report.target ? ` ${report.target.url}` : ''}`;
  const failures = report.checks.filter((c) => c.status === 'fail').length;
  const skipped = report.checks.filter((c) => c.status === 'skip').length;
  const seconds = Math.max(0, (Date.parse(report.finishedAt) - Date.parse(report.startedAt)) / 1000) || 0;
  const cases = report.checks.map((c) => {
    // The check's id goes into the class name (stable, unique), its title is the readable test name.
    const open = `    <testcase classname="${esc(`mqtt-doctor.${report.command}.${c.id}`)}" name="${esc(c.title)}"${c.durationMs !== undefined ? ` time="${(c.durationMs / 1000).toFixed(3)}"` : ''}>`;
    const body: string[] = [];
    if (c.status === 'fail') {
      body.push(
        `      <failure message="${esc(c.summary ?? c.title)}">${esc([c.explanation, c.hint].filter(Boolean).join('\n'))}</failure>`,
      );
    } else if (c.status === 'skip') {
      body.push('      <skipped/>');
    }
    if (c.summary) body.push(`      <system-out>${esc(c.summary)}</system-out>`);
    return [open, ...body, '    </testcase>'].join('\n');
  });
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="mqtt-doctor" tests="${report.checks.length}" failures="${failures}">`,
    `  <testsuite name="${esc(name)}" tests="${report.checks.length}" failures="${failures}" skipped="${skipped}" errors="0" time="${seconds.toFixed(3)}" timestamp="${esc(report.startedAt)}">`,
    `    <properties><property name="verdict" value="${esc(`${report.verdict.status}: ${report.verdict.summary}`)}"/></properties>`,
    ...cases,
    '  </testsuite>',
    '</testsuites>',
    '',
  ].join('\n');
}
