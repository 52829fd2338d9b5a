/**
 * Option groups of `soak` and `report` (the thresholds they share, soak's own run options) and the JUnit
 * file both write. Declared once, composed by both commands.
 */
import { accessSync, constants, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Argv } from 'yargs';
import { DEFAULT_RECONNECT } from '../config/reconnect.js';
import type { SoakThresholdArgs } from '../config/soak.js';
import { UsageError } from '../errors.js';
import type { Report } from '../report/model.js';

/** Thresholds and CI output shared by `soak` and `report`. */
export function withSoakThresholdOptions<T>(y: Argv<T>): Argv<T & SoakThresholdArgs> {
  return y
    .option('max-reconnects', {
      type: 'number',
      describe: 'Fail (exit 1) when a client reconnected more often than this',
    })
    .option('max-loss', { type: 'string', describe: 'Fail (exit 1) when message loss is above this, e.g. 0.1%' })
    .option('max-downtime', {
      type: 'string',
      describe: 'Fail (exit 1) when a client was down longer than this in total, e.g. 30s',
    })
    .option('max-p99', {
      type: 'string',
      describe: 'Fail (exit 1) when end-to-end latency p99 is above this, e.g. 500ms',
    })
    .option('junit', {
      type: 'string',
      describe: 'Also write a JUnit XML file (one test case per check) for CI',
    }) as unknown as Argv<T & SoakThresholdArgs>;
}

/** soak's own options (traffic, sessions, reconnect policy, files, metrics, shards), as named option sets. */
export function withSoakRunOptions<T>(y: Argv<T>) {
  return withSoakFleetOptions(
    withSoakMetricsOptions(withSoakFileOptions(withSoakSessionOptions(withSoakTrafficOptions(y)))),
  );
}

/** How much soak sends: duration, fleet size, ramp, message rate, QoS and payload. */
function withSoakTrafficOptions<T>(y: Argv<T>) {
  return y
    .option('duration', {
      alias: 'd',
      type: 'string',
      describe: 'Stop after this long (default: until Ctrl-C / SIGTERM)',
    })
    .option('clients', {
      alias: 'n',
      type: 'number',
      default: 1,
      describe: 'Number of clients (with --shard: of the whole fleet)',
    })
    .option('ramp', { type: 'string', default: '100/s', describe: 'Start clients at this rate (0 = all at once)' })
    .option('rate', {
      type: 'string',
      default: '1/s',
      describe: 'Messages per second per client (0 = idle: connections only)',
    })
    .option('qos', {
      type: 'number',
      choices: [0, 1, 2],
      default: 1,
      describe: 'QoS of the soak messages and subscription',
    })
    .option('payload-size', {
      type: 'string',
      default: '64',
      describe: 'Pad messages to this size (a JSON message needs about 80 B, binary 30 B)',
    })
    .option('payload-format', {
      type: 'string',
      choices: ['json', 'binary'],
      default: 'json',
      describe: 'json (readable) or binary (compact)',
    });
}

/** The session and reconnect behaviour under test. */
function withSoakSessionOptions<T>(y: Argv<T>) {
  return y
    .option('clean', {
      type: 'boolean',
      default: true,
      describe: 'Clean session / clean start (--no-clean keeps the session across reconnects)',
    })
    .option('publish-offline', {
      type: 'boolean',
      default: false,
      describe:
        'Keep publishing while disconnected (QoS ≥ 1: MQTT.js queues and sends after the reconnect); shows whether those arrive',
    })
    .option('session-expiry', { type: 'string', default: '1h', describe: 'MQTT 5 session expiry sent with --no-clean' })
    .option('reconnect', {
      type: 'string',
      default: DEFAULT_RECONNECT,
      describe: 'Reconnect policy under test: fixed:1s, exp:1s..120s[+jitter], schedule:1,3,5,10,30,60,300',
    })
    .option('retry-refused', {
      type: 'boolean',
      default: false,
      describe:
        'Keep retrying when the broker refuses every attempt for good (bad credentials, not authorised, banned); default: stop after 3 with exit 4',
    });
}

/** --out and what its lines hold: checkpoints, the short-outage and loss-grace bounds. */
function withSoakFileOptions<T>(y: Argv<T>) {
  return y
    .option('out', {
      alias: 'o',
      type: 'string',
      describe:
        'Write events and checkpoints as JSONL (read it back with `mqtt-doctor report`); {shard} is replaced by the shard index',
    })
    .option('checkpoint', { type: 'string', default: '30s', describe: 'Write a summary line to --out this often' })
    .option('flap-threshold', {
      type: 'string',
      default: '10s',
      describe: 'Outages shorter than this count as short outages ("false offline")',
    })
    .option('loss-grace', {
      type: 'string',
      default: '10s',
      describe: 'A message not back after this long counts as lost in live figures',
    });
}

/** Prometheus /metrics. */
function withSoakMetricsOptions<T>(y: Argv<T>) {
  return y
    .option('metrics-port', { type: 'number', describe: 'Serve Prometheus metrics on this port (/metrics)' })
    .option('metrics-host', { type: 'string', default: '127.0.0.1', describe: 'Address for --metrics-port' });
}

/** A fleet split over shards or machines: the shard, the run id, a common start, one shared client id. */
function withSoakFleetOptions<T>(y: Argv<T>) {
  return y
    .option('shard', {
      type: 'string',
      describe:
        'Run shard I of N (0-based) of a fleet of -n clients: clients floor(n·I/N) to floor(n·(I+1)/N) − 1 (also MQTT_DOCTOR_SHARD_COUNT=N with JOB_COMPLETION_INDEX=I)',
    })
    .option('run-id', {
      type: 'string',
      describe:
        'Id of the run, in client ids, topics and --out (default: random); every shard of one run gives the same',
    })
    .option('start-at', {
      type: 'string',
      describe: 'Wait until this time before the first connect (ISO 8601 like 2026-12-02T08:00:00Z, or epoch ms)',
    })
    .option('same-client-id', {
      type: 'boolean',
      default: false,
      describe: 'Every client uses exactly --client-id (reproduce a fleet with a duplicated id: watch the takeovers)',
    });
}

/** Refuse a --junit path whose directory cannot be written, before the run rather than after it. */
export function checkJunitPath(path: string | undefined): void {
  if (path === undefined) return;
  try {
    accessSync(dirname(path), constants.W_OK);
  } catch (err) {
    throw new UsageError(
      `--junit ${path}: cannot write (${(err as NodeJS.ErrnoException).code ?? 'error'})`,
      'check the directory exists and is writable',
    );
  }
}

export function writeJunit(path: string | undefined, report: Report, render: (r: Report) => string): void {
  if (path === undefined) return;
  try {
    writeFileSync(path, render(report));
  } catch (err) {
    throw new UsageError(
      `--junit ${path}: cannot write (${(err as NodeJS.ErrnoException).code ?? 'error'})`,
      'check the directory exists and is writable',
    );
  }
}

/** Options of `soak --workers` / `--local-address` (scaling on one machine), kept apart for merging. */
export function withSoakScaleOptions<T>(y: Argv<T>) {
  return y
    .option('local-address', {
      type: 'string',
      describe:
        'Spread connections over these source addresses (round robin), e.g. 127.0.0.2,127.0.0.3 or 10.0.0.0/29: each gives its own ephemeral ports',
    })
    .option('broker-max-connections', {
      type: 'number',
      describe: 'The broker’s connection limit, when known (e.g. mosquitto max_connections): counted in the budget',
    });
}

/** `--workers K`, beside --local-address (scaling on one machine). */
export function withSoakWorkersOption<T>(y: Argv<T>) {
  return y.option('workers', {
    type: 'number',
    describe:
      'Run the clients in K worker processes, merged into one status line, one --out file and one report (default: 1, or one per core from -n 2000)',
  });
}
