/**
 * `mqtt-doctor report soak.jsonl`: render the summary of a soak from its JSONL file, also of a run that was
 * killed (connection history is complete up to the kill; message counts come from the last checkpoint).
 * Thresholds can be applied after the fact, so CI can gate on a file a field run produced.
 */
import { readFileSync } from 'node:fs';
import { parseSoakThresholds } from '../config/soak.js';
import { UsageError } from '../errors.js';
import { VERSION } from '../version.js';
import { defineCommand } from './context.js';
import { checkJunitPath, withSoakThresholdOptions, writeJunit } from './soak-options.js';
import { withHtmlOption, writeSoakHtmlFromText } from './html-option.js';

export const reportCommand = defineCommand({
  command: 'report <file>',
  describe: 'Summarise a soak run from its --out JSONL file (also a killed run)',
  builder: (y) =>
    withHtmlOption(
      withSoakThresholdOptions(
        y.positional('file', { type: 'string', demandOption: true, describe: 'JSONL file written by `soak --out`' }),
      ),
    )
      .example('$0 report soak.jsonl', 'Summary table of a finished or killed soak')
      .example('$0 report soak.jsonl --max-loss 0% --max-reconnects 3 --junit soak.xml', 'Gate CI on a recorded run')
      .example('$0 report soak.jsonl --json | jq .data.summary.connections', 'Connection accounting as JSON'),
  run: async (args, ctx) => {
    const thresholds = parseSoakThresholds(args);
    checkJunitPath(args.junit);
    let text: string;
    try {
      text = readFileSync(args.file, 'utf8');
    } catch (err) {
      throw new UsageError(
        `${args.file}: cannot read (${(err as NodeJS.ErrnoException).code ?? 'error'})`,
        'give the file written by `mqtt-doctor soak --out FILE`',
      );
    }
    const { buildSoakFromFile } = await import('../report/build-soak.js');
    const { renderJunit } = await import('../report/render-junit.js');
    const report = buildSoakFromFile(text, args.file, thresholds, VERSION);
    ctx.out.emit(report);
    writeJunit(args.junit, report, renderJunit);
    await writeSoakHtmlFromText(args.html, report, text, ctx.out);
    return report.verdict.exitCode;
  },
});
