/**
 * `mqtt-doctor report FILE…|DIR`: render the summary of a soak from its JSONL file, also of a run that was
 * killed (connection history is complete up to the kill; message counts come from the last checkpoint).
 * Several files, or a folder of them, are the shards of one run and are merged into one report.
 * Thresholds can be applied after the fact, so CI can gate on a file a field run produced.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseSoakThresholds } from '../config/soak.js';
import { UsageError } from '../errors.js';
import type { SoakFileText } from '../report/build-soak.js';
import { VERSION } from '../version.js';
import { defineCommand } from './context.js';
import { checkJunitPath, withSoakThresholdOptions, writeJunit } from './soak-options.js';
import { withHtmlOption, writeSoakHtmlFromEvents } from './html-option.js';

const cannot = (path: string, err: unknown, hint: string): UsageError =>
  new UsageError(`${path}: cannot read (${(err as NodeJS.ErrnoException).code ?? 'error'})`, hint);

/** The files named, a folder as every *.jsonl in it (sorted, so the order never depends on the disk). */
function readSoakFiles(paths: readonly string[]): SoakFileText[] {
  const hint = 'give the file(s) written by `mqtt-doctor soak --out FILE`, or a folder of them';
  const files: string[] = [];
  for (const p of paths) {
    let dir: boolean;
    try {
      dir = statSync(p).isDirectory();
    } catch (err) {
      throw cannot(p, err, hint);
    }
    if (!dir) {
      files.push(p);
      continue;
    }
    let names: string[];
    try {
      names = readdirSync(p).filter((n) => n.endsWith('.jsonl'));
    } catch (err) {
      throw cannot(p, err, hint);
    }
    if (names.length === 0) throw new UsageError(`${p}: no *.jsonl file in this folder`, hint);
    files.push(...names.sort().map((n) => join(p, n)));
  }
  return files.map((file) => {
    try {
      return { file, text: readFileSync(file, 'utf8') };
    } catch (err) {
      throw cannot(file, err, hint);
    }
  });
}

export const reportCommand = defineCommand({
  command: 'report <files..>',
  describe: 'Summarise a soak run from its --out JSONL file(s) (also a killed run; shards merged into one)',
  builder: (y) =>
    withHtmlOption(
      withSoakThresholdOptions(
        y.positional('files', {
          type: 'string',
          array: true,
          demandOption: true,
          describe: 'JSONL file(s) written by `soak --out`, or a folder of them (the shards of one run)',
        }),
      ),
    )
      .example('$0 report soak.jsonl', 'Summary table of a finished or killed soak')
      .example('$0 report soak.jsonl --max-loss 0% --max-reconnects 3 --junit soak.xml', 'Gate CI on a recorded run')
      .example('$0 report soak.jsonl --json | jq .data.summary.connections', 'Connection accounting as JSON')
      .example('$0 report results/ --max-loss 0%', 'Merge the shards of one run (every *.jsonl in results/)'),
  run: async (args, ctx) => {
    const thresholds = parseSoakThresholds(args);
    checkJunitPath(args.junit);
    const files = readSoakFiles((args.files as Array<string | number>).map(String));
    const { buildSoakFromFiles } = await import('../report/build-soak.js');
    const { renderJunit } = await import('../report/render-junit.js');
    const { report, events } = buildSoakFromFiles(files, thresholds, VERSION);
    ctx.out.emit(report);
    writeJunit(args.junit, report, renderJunit);
    await writeSoakHtmlFromEvents(args.html, report, events, ctx.out);
    return report.verdict.exitCode;
  },
});
