/**
 * Inputs and outputs of the keepalive rule engine. Plain values only: the engine is pure, so every number in
 * a recommendation can be traced to an input and a rule (the "why" rows).
 */
import type { BrokerLimits } from '../../kb/brokers.js';

export type PowerMode = 'mains' | 'battery';
export type TransportKind = 'tcp' | 'tls' | 'ws' | 'wss';

/** Round-trip behaviour of the path, from a profile or from a live measurement. */
export interface PathInput {
  source: 'profile' | 'measured';
  /** Profile name, or the masked target for a measurement. */
  label: string;
  rttP50Ms: number;
  rttP99Ms: number;
  /** One-way jitter (profile) or mean consecutive difference (measurement), ms. */
  jitterMs: number;
  lossPct: number;
  samples?: number;
}

/** The middlebox idle timeout, exact (flag, profile, middlebox) or as a measured bracket. */
export interface IdleInput {
  source: 'flag' | 'discovered' | 'profile' | 'middlebox' | 'assumed';
  label: string;
  /** The idle timeout is above lowMs (the conservative end the rules use)… */
  lowMs: number;
  /** …and at most highMs (equal to lowMs when known exactly). */
  highMs: number;
}

export interface BrokerInput {
  /** Documented limits (`--broker`). */
  limits?: BrokerLimits;
  /** Largest keepalive the live broker accepted: Server Keep Alive for a 65535 request, or the 3.1.1 probe. */
  maxAcceptedS?: number;
  maxAcceptedHow?: string;
  /** What --verify-broker saw: a silent client with this keepalive was cut after cutAfterMs. */
  measured?: { keepaliveS: number; cutAfterMs: number };
}

export interface KeepaliveInputs {
  /** Profile name, when given (for cellular promotion delays and the field-guide tables). */
  profileName?: string;
  path?: PathInput;
  idle?: IdleInput;
  broker?: BrokerInput;
  power: PowerMode;
  /** Session expiry the application relies on (s); bounds the reconnect backoff cap. */
  sessionExpiryS?: number;
  transport: TransportKind;
}

export interface WhyRow {
  /** Stable id, e.g. `keepalive.idle-bound`. */
  id: string;
  rule: string;
  inputs: string;
  result: string;
}

export interface FieldGuideCheck {
  guide: string;
  claim: string;
  theirs: string;
  ours: string;
  agrees: boolean;
  why: string;
}

export interface Recommendation {
  keepaliveS: number;
  pingTimeoutS: number;
  connectTimeoutS: number;
  /** resetAfterS: go back to minS only after a connection stayed up this long (a flapping link keeps backing off). */
  backoff: { minS: number; maxS: number; factor: number; jitterPct: number; resetAfterS: number };
  tcpKeepalive: { idleS: number; intervalS: number; count: number };
  detection: { clientS: number; serverS: number; serverBasis: string };
  pingsPerDay: number;
  bytesPerDay: number;
  /** Upper bound the idle timeout puts on K (undefined when no idle input). */
  idleBoundS?: number;
  why: WhyRow[];
  fieldGuide: FieldGuideCheck[];
  warnings: string[];
}
