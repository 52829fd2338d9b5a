/**
 * keepalive-tune's options → a validated plan (pure). Everything the user typed is checked here, before any
 * connection: durations, counts, the idle timeout source, the client libraries, whether the run is live.
 */
import type { IdleInput, KeepaliveInputs, PowerMode } from '../analyze/keepalive/types.js';
import { UsageError } from '../errors.js';
import { findBroker, type BrokerLimits } from '../kb/brokers.js';
import { CLIENT_LIBS, type ClientLibId } from '../kb/clients.js';
import { findMiddlebox, findProfile, MIDDLEBOXES, PROFILES, type NetworkProfile } from '../kb/profiles.js';
import { parseDurationMs } from './units.js';

/** explain-error spells the mosquitto tools `--client mosquitto`; keepalive-tune accepts that spelling too. */
const CLIENT_ALIASES: Record<string, ClientLibId> = { mosquitto: 'mosquitto-cli' };
export const CLIENT_CHOICES = ['all', ...CLIENT_LIBS.map((lib) => lib.id), ...Object.keys(CLIENT_ALIASES)];

export interface KeepaliveTuneArgs {
  url: string | undefined;
  embedded: boolean;
  impair: string | undefined;
  profile: string | undefined;
  samples: number;
  'sample-interval': string;
  'nat-idle': string | undefined;
  'discover-idle': boolean;
  'max-idle': string;
  'idle-probes': number;
  broker: string | undefined;
  'verify-broker': boolean;
  'verify-keepalive': string;
  power: string;
  'session-expiry': string | undefined;
  client: string;
  explain?: boolean | undefined;
}

export interface KeepalivePlan {
  /** A URL, --embedded, --discover-idle or --verify-broker: something is measured on the wire. */
  live: boolean;
  profile?: NetworkProfile;
  broker?: BrokerLimits;
  /** The idle timeout from --nat-idle or the profile; a live --discover-idle may replace it. */
  idle?: IdleInput;
  /** Offline inputs; a live run refines path, idle and broker. */
  inputs: KeepaliveInputs;
  samples: number;
  sampleIntervalMs: number;
  discoverIdle: { maxIdleMs: number; parallel: number } | undefined;
  verifyBroker: { keepaliveS: number } | undefined;
  clients: ClientLibId[];
  /** The inputs as the user spelled them, for the report. */
  given: { profile?: string; broker?: string; natIdle?: string };
  explain: boolean;
}

/** `--nat-idle 350s` or a middlebox name from kb/profiles (`aws-nat`, `azure-lb`, …). */
export function parseNatIdle(text: string): IdleInput {
  const box = findMiddlebox(text);
  if (box)
    return {
      source: 'middlebox',
      label: `${box.name} (${box.title})`,
      lowMs: box.idleS * 1000,
      highMs: box.idleS * 1000,
    };
  let ms: number;
  try {
    ms = parseDurationMs(text, 'nat-idle');
  } catch {
    throw new UsageError(
      `--nat-idle ${text} is neither a duration nor a known middlebox`,
      `e.g. --nat-idle 350s, or one of ${MIDDLEBOXES.map((m) => m.name).join(', ')}`,
    );
  }
  if (ms < 2000) throw new UsageError(`--nat-idle ${text} is too short to keep anything alive`, 'give at least 2s');
  return { source: 'flag', label: `--nat-idle ${text}`, lowMs: ms, highMs: ms };
}

/** The profile called `name`; kb answers "unknown" (undefined), the command makes it a usage error. */
export function profileByName(name: string): NetworkProfile {
  const profile = findProfile(name);
  if (profile) return profile;
  throw new UsageError(
    `unknown network profile "${name}"`,
    `valid profiles: ${PROFILES.map((p) => p.name).join(', ')} (see mqtt-doctor impair --list-profiles)`,
  );
}

function wholeInRange(value: number, min: number, max: number, what: string, example: string): number {
  if (!Number.isInteger(value) || value < min || value > max)
    throw new UsageError(`${what} must be ${min} to ${max}`, `e.g. ${example}`);
  return value;
}

function discoverIdlePlan(args: KeepaliveTuneArgs): KeepalivePlan['discoverIdle'] {
  const maxIdleMs = parseDurationMs(args['max-idle'], 'max-idle');
  if (maxIdleMs < 3000 || maxIdleMs > 4 * 3_600_000)
    throw new UsageError(`--max-idle ${args['max-idle']} must be between 3s and 4h`, 'e.g. --max-idle 30m');
  const parallel = wholeInRange(args['idle-probes'], 2, 64, '--idle-probes', '--idle-probes 8');
  return args['discover-idle'] ? { maxIdleMs, parallel } : undefined;
}

function verifyBrokerPlan(args: KeepaliveTuneArgs): KeepalivePlan['verifyBroker'] {
  const keepaliveS = parseDurationMs(args['verify-keepalive'], 'verify-keepalive') / 1000;
  if (!Number.isInteger(keepaliveS) || keepaliveS < 1 || keepaliveS > 600) {
    throw new UsageError(
      `--verify-keepalive ${args['verify-keepalive']} must be whole seconds from 1 to 600`,
      'e.g. --verify-keepalive 5s',
    );
  }
  return args['verify-broker'] ? { keepaliveS } : undefined;
}

function clientsOf(choice: string): ClientLibId[] {
  return choice === 'all' ? CLIENT_LIBS.map((lib) => lib.id) : [(CLIENT_ALIASES[choice] ?? choice) as ClientLibId];
}

/** The user's profile (RTT, loss, idle) and broker as offline inputs: what the rules use without a live target. */
function offlineInputs(
  power: PowerMode,
  profile: NetworkProfile | undefined,
  broker: BrokerLimits | undefined,
  sessionExpiryS: number | undefined,
): KeepaliveInputs {
  return {
    ...(profile ? { profileName: profile.name } : {}),
    power,
    // Offline, snippets and byte counts assume TLS for brokers that speak only TLS, plain MQTT otherwise.
    transport: broker?.tlsOnly ? 'tls' : 'tcp',
    ...(sessionExpiryS !== undefined ? { sessionExpiryS } : {}),
    ...(profile
      ? {
          path: {
            source: 'profile',
            label: profile.name,
            rttP50Ms: profile.rttMs.typical,
            rttP99Ms: profile.rttMs.max,
            jitterMs: profile.jitterMs,
            lossPct: profile.lossPct,
          },
        }
      : {}),
    ...(broker ? { broker: { limits: broker } } : {}),
  };
}

function idleOf(natIdle: string | undefined, profile: NetworkProfile | undefined): IdleInput | undefined {
  if (natIdle !== undefined) return parseNatIdle(natIdle);
  if (profile?.natIdleS === undefined) return undefined;
  return { source: 'profile', label: profile.name, lowMs: profile.natIdleS * 1000, highMs: profile.natIdleS * 1000 };
}

export function keepalivePlan(args: KeepaliveTuneArgs): KeepalivePlan {
  const power = args.power as PowerMode;
  const profile = args.profile !== undefined ? profileByName(args.profile) : undefined;
  const broker = args.broker !== undefined ? findBroker(args.broker) : undefined;
  if (args.broker !== undefined && !broker)
    throw new UsageError(`unknown broker "${args.broker}"`, 'see mqtt-doctor keepalive-tune --help for the list');
  if (args['nat-idle'] !== undefined && args['discover-idle']) {
    throw new UsageError(
      '--nat-idle and --discover-idle both set the idle timeout',
      'give the known value, or measure it, not both',
    );
  }
  const idle = idleOf(args['nat-idle'], profile);
  const sessionExpiryS =
    args['session-expiry'] !== undefined ? parseDurationMs(args['session-expiry'], 'session-expiry') / 1000 : undefined;
  const discoverIdle = discoverIdlePlan(args);
  const verifyBroker = verifyBrokerPlan(args);
  const samples = wholeInRange(args.samples, 1, 10_000, '--samples', '--samples 20');
  const sampleIntervalMs = parseDurationMs(args['sample-interval'], 'sample-interval', 'ms');
  const live = args.url !== undefined || args.embedded || args['discover-idle'] || args['verify-broker'];
  if (!live && args.impair !== undefined)
    throw new UsageError('--impair needs a target to measure', 'add a URL or --embedded');
  if (!live && !profile && args['nat-idle'] === undefined && !broker) {
    throw new UsageError(
      'nothing to tune from',
      'give --profile, --nat-idle or --broker, or a URL / --embedded to measure',
    );
  }
  return {
    live,
    ...(profile ? { profile } : {}),
    ...(broker ? { broker } : {}),
    ...(idle ? { idle } : {}),
    inputs: offlineInputs(power, profile, broker, sessionExpiryS),
    samples,
    sampleIntervalMs,
    discoverIdle,
    verifyBroker,
    clients: clientsOf(args.client),
    given: {
      ...(profile ? { profile: profile.name } : {}),
      ...(broker ? { broker: broker.name } : {}),
      ...(args['nat-idle'] !== undefined ? { natIdle: args['nat-idle'] } : {}),
    },
    explain: args.explain === true,
  };
}
