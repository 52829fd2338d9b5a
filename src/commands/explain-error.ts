/**
 * `mqtt-doctor explain-error <text…>` (or stdin, or `--file log`): from a code, a message or a whole log to
 * the layer, the likely causes, a confirming mqtt-doctor command and the fix. input → explain / log timeline
 * → report. Exit 0 explained, 1 unknown input, 2 usage.
 */
import { CLIENT_IDS, type ClientId } from '../kb/entry.js';
import { UsageError } from '../errors.js';
import { VERSION } from '../version.js';
import { defineCommand } from './context.js';

/** Refuse to read more than this from stdin or a file: explain-error is for logs, not disks. */
const MAX_INPUT_BYTES = 64 * 1024 * 1024;

export const explainErrorCommand = defineCommand({
  command: 'explain-error [text..]',
  describe: 'Explain an error code, message or log: layer, likely causes, how to confirm, how to fix',
  builder: (y) =>
    y
      .positional('text', { type: 'string', array: true, describe: 'Code, name or error line (default: read stdin)' })
      .option('file', { alias: 'f', type: 'string', describe: 'Read a log file and analyse it line by line (log mode)' })
      .option('client', { type: 'string', choices: [...CLIENT_IDS], describe: 'Client library that produced the error (ranks readings, names its setting)' })
      .option('mqtt-version', { alias: 'V', type: 'string', choices: ['3.1.1', '4', '5'], describe: 'MQTT version in use (decides 3.1.1 vs MQTT 5 code readings)' })
      .example('$0 explain-error 5', 'A bare number: every reading, ranked')
      .example('$0 explain-error 113 --client esp32', 'ECONNABORTED on ESP32, not Linux EHOSTUNREACH')
      .example('$0 explain-error "connect ECONNREFUSED 127.0.0.1:1883"', 'A Node/MQTT.js error line')
      .example('$0 explain-error 0x87 --client mqttjs', 'An MQTT 5 reason code with the MQTT.js setting to change')
      .example('$0 explain-error --file /var/log/mosquitto/mosquitto.log', 'Group a broker log by cause and read its timeline')
      .example('journalctl -u mosquitto | $0 explain-error', 'Log mode from stdin'),
  run: async (args, ctx) => {
    const { explainText } = await import('../analyze/explain.js');
    const { analyzeLog, parseTimestampMs } = await import('../analyze/log-timeline.js');
    const { buildExplainReport, buildExplainLogReport } = await import('../report/build-explain.js');
    const startedAt = new Date();
    const client = args.client as ClientId | undefined;
    const mqttVersion = args['mqtt-version'] === undefined ? undefined : args['mqtt-version'] === '5' ? 5 : 4;
    const common = { version: VERSION, startedAt, ...(client ? { client } : {}), ...(mqttVersion ? { mqttVersion: mqttVersion as 4 | 5 } : {}) };

    // Words after `--` (text that starts with a dash, e.g. `-- -4078`) land in argv._ after the command name.
    // (cli.ts hands run() yargs' argv, which carries `_`; GlobalArgs does not declare it.)
    const afterDashes = ((args as { _?: unknown[] })._ ?? []).slice(1);
    const words = [...(args.text ?? []), ...afterDashes].map(String);
    if (args.file !== undefined && words.length > 0) throw new UsageError('give either text or --file, not both');
    let text: string;
    let source: string;
    let forceLog = false;
    if (args.file !== undefined) {
      text = await readFileBounded(args.file);
      source = args.file;
      forceLog = true;
    } else if (words.length > 0) {
      text = words.join(' ');
      source = 'arguments';
    } else {
      if (ctx.stdin.isTTY) throw new UsageError('nothing to explain', 'e.g. mqtt-doctor explain-error ECONNRESET, or pipe a log into it');
      text = await readStream(ctx.stdin, ctx.signal);
      source = 'stdin';
    }
    if (!text.trim()) throw new UsageError(`nothing to explain: ${source} is empty`);

    const lines = text.split(/\r?\n/).filter((l) => l.trim());
    const stamped = lines.filter((l) => parseTimestampMs(l) !== undefined).length;
    const logMode = forceLog || stamped >= 2 || lines.length >= 5;
    const report = logMode
      ? buildExplainLogReport(analyzeLog(text, { ...(client ? { client } : {}), ...(mqttVersion ? { mqttVersion: mqttVersion as 4 | 5 } : {}) }), source, { ...common, finishedAt: new Date() })
      : buildExplainReport(explainText(text, { ...(client ? { client } : {}), ...(mqttVersion ? { mqttVersion: mqttVersion as 4 | 5 } : {}) }), { ...common, finishedAt: new Date() });
    ctx.out.emit(report);
    return report.verdict.exitCode;
  },
});

async function readFileBounded(path: string): Promise<string> {
  const { readFile, stat } = await import('node:fs/promises');
  try {
    const st = await stat(path);
    if (!st.isFile()) throw new UsageError(`--file ${path} is not a file`);
    if (st.size > MAX_INPUT_BYTES) throw new UsageError(`--file ${path} is larger than 64 MB`, 'cut the interesting part out with grep or tail');
    return await readFile(path, 'utf8');
  } catch (err) {
    if (err instanceof UsageError) throw err;
    throw new UsageError(`cannot read --file ${path}: ${(err as Error).message}`);
  }
}

function readStream(stream: NodeJS.ReadableStream, signal: AbortSignal): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const done = () => {
      signal.removeEventListener('abort', done);
      resolve(Buffer.concat(chunks).toString('utf8'));
    };
    signal.addEventListener('abort', done, { once: true });
    stream.on('data', (d: Buffer | string) => {
      const b = typeof d === 'string' ? Buffer.from(d) : d;
      size += b.length;
      if (size > MAX_INPUT_BYTES) {
        signal.removeEventListener('abort', done);
        reject(new UsageError('stdin is larger than 64 MB', 'cut the interesting part out with grep or tail'));
        return;
      }
      chunks.push(b);
    });
    stream.once('end', done);
    stream.once('error', reject);
  });
}
