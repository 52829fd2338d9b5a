/**
 * One failure route: every measurement failure (a dial phase that failed, a server that never spoke MQTT, a
 * CONNACK refusal, a signal) is classified here into one kind, one exit code, one line and one hint, so that
 * probe, soak and keepalive-tune end the same way for the same server (README "Exit codes").
 *
 * Rules, in order:
 *  - the run was interrupted (SIGINT/SIGTERM, ABORT_ERR) → `interrupted`, exit 130;
 *  - DNS, TCP, TLS or WebSocket failed (including TLS refused just after the handshake, which TLS 1.3 reports
 *    during CONNECT) → `unreachable`, exit 3;
 *  - the broker answered CONNACK with a non-zero code → `refused`, exit 4;
 *  - anything else after TCP (or TLS/WS) was accepted: no CONNACK in time, bytes that are not MQTT, an HTTP or TLS
 *    answer to a plaintext CONNECT, a close before or in the middle of CONNACK → `not-mqtt` ("did not speak
 *    MQTT"), exit 4.
 *
 * Pure: values in, value out. The input is plain data (`MeasurementFailure`); probe's `ProbeFailure` already has
 * this shape. `failureOf(err)` reads the errors the transport and measure layers throw (PhaseError, WireError,
 * ConnackRefused) by shape, so this module imports nothing from below it.
 */
import { formatDuration } from '../config/units.js';
import { DoctorError, ExitCode } from '../errors.js';
import { classifyFailure } from '../kb/classify.js';
import { describeConnack } from '../kb/reason-codes.js';

export type FailurePhase = 'dns' | 'tcp' | 'tls' | 'ws' | 'mqtt';

/**
 * What a measurement learned about its failure. `code` is a Node/OpenSSL code (ECONNREFUSED, ENOTFOUND,
 * CERT_HAS_EXPIRED, ERR_SSL_…) or one of the session codes measure/probe.ts uses: CONNACK_TIMEOUT,
 * CLOSED_BEFORE_CONNACK, HTTP_SERVER, TLS_SERVER, MALFORMED_PACKET, CONNACK_REFUSED, ABORT_ERR.
 */
export interface MeasurementFailure {
  phase: FailurePhase;
  code?: string | undefined;
  message: string;
  /** CONNACK return code (3.1.1) or reason code (5) of a refusal. */
  reasonCode?: number | undefined;
  mqttVersion?: 4 | 5 | undefined;
  /** The first bytes the server sent, hex (for answers that are not MQTT). */
  firstBytes?: string | undefined;
  /** How long we waited for CONNACK, when it never came. */
  waitedMs?: number | undefined;
  /** A TLS handshake tried on the same port after a plaintext CONNECT was closed unanswered (measure/cross-check.ts). */
  crossCheck?: { tried: 'tls'; answered: boolean } | undefined;
}

export type FailureKind = 'interrupted' | 'unreachable' | 'refused' | 'not-mqtt';

export interface ClassifiedFailure {
  kind: FailureKind;
  exitCode: typeof ExitCode.unreachable | typeof ExitCode.refused | typeof ExitCode.interrupted;
  phase: FailurePhase;
  /** One line for a person, no trailing period: what happened, in the server's terms. */
  oneLine: string;
  /** What to try next. */
  hint: string;
}

export interface FailureContext {
  /** The signal of the run was aborted: whatever failed, it failed because we stopped. */
  aborted?: boolean;
  /** host:port the user named, for hints that suggest another URL. */
  hostPort?: string;
  /** The URL scheme the user named (ws:// suggests wss://, anything else mqtts://). */
  scheme?: string;
}

const PHASE_NAME: Record<FailurePhase, string> = { dns: 'DNS', tcp: 'TCP', tls: 'TLS', ws: 'WebSocket', mqtt: 'MQTT' };
const PROBE_HINT = 'mqtt-doctor probe shows each connection phase';
const NOT_MQTT = 'the server accepted the connection but did not speak MQTT';

export function classifyMeasurementFailure(failure: MeasurementFailure, ctx: FailureContext = {}): ClassifiedFailure {
  if (ctx.aborted || failure.code === 'ABORT_ERR') {
    return {
      kind: 'interrupted',
      exitCode: ExitCode.interrupted,
      phase: failure.phase,
      oneLine: 'interrupted',
      hint: 'the report shows what was gathered before the signal',
    };
  }
  const hostPort = ctx.hostPort ?? 'HOST:PORT';
  if (failure.phase !== 'mqtt' || isTlsCode(failure.code)) return unreachable(failure, hostPort);
  if (failure.code === 'CONNACK_REFUSED' && failure.reasonCode !== undefined)
    return refused(failure.reasonCode, failure.mqttVersion ?? (failure.reasonCode >= 0x80 ? 5 : 4), hostPort);
  if (failure.crossCheck?.answered && !failure.firstBytes && /^(CLOSED|ECONNRESET)/.test(failure.code ?? 'CLOSED'))
    return speaksTls(ctx.scheme === 'ws' ? `wss://${hostPort} (same path)` : `mqtts://${hostPort}`);
  return notMqtt(failure, hostPort);
}

/** TLS 1.3 completes the client's handshake before the server checks it; a refusal then arrives during CONNECT. */
function isTlsCode(code: string | undefined): boolean {
  return code !== undefined && /^ERR_(SSL|TLS)_/.test(code);
}

function unreachable(failure: MeasurementFailure, hostPort: string): ClassifiedFailure {
  const phase: FailurePhase = failure.phase === 'mqtt' ? 'tls' : failure.phase;
  const kb = classifyFailure({ phase, ...(failure.code ? { code: failure.code } : {}), message: failure.message });
  return {
    kind: 'unreachable',
    exitCode: ExitCode.unreachable,
    phase,
    oneLine: `${PHASE_NAME[phase]} failed: ${failure.message}`,
    hint: fillTarget(kb?.fix ?? PROBE_HINT, hostPort),
  };
}

/** Knowledge-base text keeps HOST:PORT placeholders; a known target fills them in. */
function fillTarget(text: string, hostPort: string): string {
  return text.replaceAll('HOST:PORT', hostPort);
}

function refused(reasonCode: number, version: 4 | 5, hostPort: string): ClassifiedFailure {
  const rc = describeConnack(reasonCode, version);
  const kb = classifyFailure({ phase: 'mqtt', reasonCode, mqttVersion: version });
  return {
    kind: 'refused',
    exitCode: ExitCode.refused,
    phase: 'mqtt',
    oneLine: `the broker refused the connection: ${rc.name} (${rc.hex})`,
    hint: fillTarget(kb?.fix ?? PROBE_HINT, hostPort),
  };
}

/**
 * What the first bytes say, whoever recorded them: "HTTP/" is an HTTP server; a TLS record header (content type
 * 0x15 alert or 0x16 handshake, then major version 3: RFC 8446 §5.1) is a TLS server.
 */
function codeFromBytes(failure: MeasurementFailure): string | undefined {
  const hex = failure.firstBytes?.toLowerCase() ?? '';
  if (hex.startsWith('485454502f')) return 'HTTP_SERVER';
  if (/^1[56]03/.test(hex)) return 'TLS_SERVER';
  return failure.code;
}

/** A plaintext CONNECT closed without an answer, and a TLS handshake on the same port succeeded. */
function speaksTls(url: string): ClassifiedFailure {
  return {
    kind: 'not-mqtt',
    exitCode: ExitCode.refused,
    phase: 'mqtt',
    oneLine: `this port speaks TLS: ${NOT_MQTT} in the clear (it closed a plaintext CONNECT, and a TLS handshake on the same port succeeded)`,
    hint: `use ${url}`,
  };
}

function notMqtt(failure: MeasurementFailure, hostPort: string): ClassifiedFailure {
  const base = { kind: 'not-mqtt' as const, exitCode: ExitCode.refused, phase: 'mqtt' as const };
  const bytes = failure.firstBytes ? ` (first bytes ${spacedHex(failure.firstBytes)})` : '';
  switch (codeFromBytes(failure)) {
    case 'HTTP_SERVER':
      return {
        ...base,
        oneLine: `an HTTP server answered, not an MQTT broker${bytes}`,
        hint: `for a WebSocket listener use ws://${hostPort}/mqtt (wss:// with TLS); plain MQTT is usually on port 1883, 8883 with TLS`,
      };
    case 'TLS_SERVER':
      return {
        ...base,
        oneLine: `a TLS server answered a plaintext CONNECT: ${NOT_MQTT} in the clear`,
        hint: `use mqtts://${hostPort}`,
      };
    case 'CONNACK_TIMEOUT':
      return {
        ...base,
        oneLine: `${NOT_MQTT}: no CONNACK ${failure.waitedMs !== undefined ? `within ${formatDuration(Math.round(failure.waitedMs / 100) * 100)}` : 'before the connect timeout'}`,
        hint: 'check the port (1883 mqtt, 8883 mqtts, 8083/8084 ws) and the broker log; raise --connect-timeout only if the broker is known to be slow',
      };
    case 'MALFORMED_PACKET':
      return {
        ...base,
        oneLine: `${NOT_MQTT}: it sent bytes that are not MQTT${bytes}`,
        hint: `is ${hostPort} an MQTT port? mqtt-doctor probe --verbose shows the bytes`,
      };
    case 'CONNACK_REFUSED':
      // A refusal without a code cannot be told apart from any other non-answer.
      return { ...base, oneLine: `${NOT_MQTT}: ${failure.message}`, hint: PROBE_HINT };
    default:
      // Closed (FIN or RST) before a whole CONNACK arrived; the bytes it did send show a packet cut short.
      return {
        ...base,
        oneLine: `${NOT_MQTT}: it closed the connection ${failure.firstBytes ? `before a whole CONNACK arrived${bytes}` : 'in answer to CONNECT'}${failure.code && !/^CLOSED/.test(failure.code) ? ` (${failure.code})` : ''}`,
        hint: `the port may expect TLS (mqtts://${hostPort}) or WebSocket (ws://${hostPort}/mqtt), or the broker rejected this CONNECT: check its log`,
      };
  }
}

function spacedHex(hex: string): string {
  return (hex.slice(0, 16).match(/../g) ?? []).join(' ') + (hex.length > 16 ? ' …' : '');
}

interface PhaseErrorShape {
  name: 'PhaseError';
  phase: FailurePhase;
  code: string | undefined;
  message: string;
  firstBytes?: string;
  connack?: { reasonCode: number; protocolVersion?: 4 | 5 };
}
type WireFailureShape =
  | { kind: 'timeout'; waitedMs: number }
  | { kind: 'closed'; error?: string; code?: string; firstBytes?: string }
  | { kind: 'malformed'; detail: string; firstBytes: string; looksLike: 'http' | 'tls' | 'unknown' }
  | { kind: 'aborted' };
interface WireErrorShape {
  name: 'WireError';
  message: string;
  failure: WireFailureShape;
}
interface ConnackRefusedShape {
  name: 'ConnackRefused';
  message: string;
  reasonCode: number;
  version: 4 | 5;
}

function named<T extends { name: string }>(err: unknown, name: T['name']): err is T {
  return err instanceof Error && err.name === name;
}

/**
 * The failure a thrown transport/measure error describes (transport/types.ts PhaseError, transport/mqtt-wire.ts
 * WireError, measure/idle-discovery.ts ConnackRefused), or undefined for anything else (a bug: let it through).
 * A WireError here happened while waiting for CONNACK: sessions catch their own later ones.
 */
export function failureOf(err: unknown): MeasurementFailure | undefined {
  if (named<PhaseErrorShape>(err, 'PhaseError')) {
    return {
      phase: err.phase,
      code: err.connack ? 'CONNACK_REFUSED' : err.code,
      message: err.message,
      ...(err.firstBytes ? { firstBytes: err.firstBytes } : {}),
      ...(err.connack ? { reasonCode: err.connack.reasonCode, mqttVersion: err.connack.protocolVersion } : {}),
    };
  }
  if (named<ConnackRefusedShape>(err, 'ConnackRefused')) {
    return {
      phase: 'mqtt',
      code: 'CONNACK_REFUSED',
      message: err.message,
      reasonCode: err.reasonCode,
      mqttVersion: err.version,
    };
  }
  if (named<WireErrorShape>(err, 'WireError')) {
    const w = err.failure;
    switch (w.kind) {
      case 'timeout':
        return { phase: 'mqtt', code: 'CONNACK_TIMEOUT', message: err.message, waitedMs: w.waitedMs };
      case 'aborted':
        return { phase: 'mqtt', code: 'ABORT_ERR', message: err.message };
      case 'malformed':
        return {
          phase: 'mqtt',
          code: w.looksLike === 'http' ? 'HTTP_SERVER' : w.looksLike === 'tls' ? 'TLS_SERVER' : 'MALFORMED_PACKET',
          message: err.message,
          firstBytes: w.firstBytes,
        };
      case 'closed':
        return {
          phase: 'mqtt',
          code: w.code ?? 'CLOSED_BEFORE_CONNACK',
          message: err.message,
          ...(w.firstBytes ? { firstBytes: w.firstBytes } : {}),
        };
    }
  }
  return undefined;
}

/** What a client library (MQTT.js in soak) reports when a connection attempt ends before a CONNACK. */
export interface ClientConnectError {
  /** err.code: ECONNREFUSED, ENOTFOUND, ERR_TLS_…, or none. */
  code?: string | undefined;
  message?: string | undefined;
  /** CONNACK return/reason code when the broker refused. */
  reasonCode?: number | undefined;
  mqttVersion?: 4 | 5 | undefined;
  /** The first bytes the server sent, hex, when the caller saw them. */
  firstBytes?: string | undefined;
}

const DNS_CODES = new Set(['ENOTFOUND', 'EAI_AGAIN', 'EAI_FAIL', 'EAI_NONAME']);
const TCP_CODES = new Set(['ECONNREFUSED', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EHOSTDOWN', 'ENETDOWN']);
const TLS_CODE = /^(ERR_TLS|ERR_SSL|CERT_|DEPTH_ZERO|SELF_SIGNED|UNABLE_TO_|HOSTNAME_MISMATCH|ERR_OSSL)/;
/**
 * mqtt-packet's parser errors (mqttjs/mqtt-packet parser.js): the server's bytes are not MQTT. MQTT.js passes them
 * on as the client's error.
 */
const PARSER_ERROR =
  /invalid (header flag bits|variable byte integer|packet|protocol|length|connack)|packet must not have|malformed|not supported|invalid .* flag/i;

/**
 * The failure a client library's connect error describes, for commands that connect through MQTT.js rather than
 * transport/: DNS and TCP codes are their phase, TLS codes and messages the TLS phase, a CONNACK code a refusal,
 * a parser error bytes that are not MQTT, "connack timeout" silence, and a close without error a close before
 * CONNACK.
 */
export function failureOfClientConnect(error: ClientConnectError): MeasurementFailure {
  const code = error.code;
  const message = error.message ?? code ?? 'the connection closed before CONNACK';
  const extra = {
    ...(error.firstBytes ? { firstBytes: error.firstBytes } : {}),
    ...(error.mqttVersion ? { mqttVersion: error.mqttVersion } : {}),
  };
  if (code === 'ABORT_ERR') return { phase: 'mqtt', code, message };
  if (code && DNS_CODES.has(code)) return { phase: 'dns', code, message };
  if (code && TCP_CODES.has(code)) return { phase: 'tcp', code, message };
  if ((code && TLS_CODE.test(code)) || /\b(ssl|tls|certificate)\b/i.test(error.message ?? ''))
    return { phase: 'tls', code: code ?? 'TLS', message };
  if (error.reasonCode !== undefined && error.reasonCode !== 0)
    return { phase: 'mqtt', code: 'CONNACK_REFUSED', message, reasonCode: error.reasonCode, ...extra };
  if (/connack timeout/i.test(error.message ?? ''))
    return { phase: 'mqtt', code: 'CONNACK_TIMEOUT', message, ...extra };
  if (PARSER_ERROR.test(error.message ?? '')) return { phase: 'mqtt', code: 'MALFORMED_PACKET', message, ...extra };
  return { phase: 'mqtt', code: code ?? 'CLOSED_BEFORE_CONNACK', message, ...extra };
}

/**
 * The CLI funnel's side of the route: a DoctorError that carries its classification (exit 3 or 4). An
 * interruption is not thrown: the command reports what it gathered and the verdict says interrupted (exit 130).
 */
export class MeasurementError extends DoctorError {
  constructor(
    readonly failure: ClassifiedFailure & { kind: Exclude<FailureKind, 'interrupted'> },
    options?: ErrorOptions,
  ) {
    super(
      failure.kind === 'unreachable' ? 'unreachable' : 'refused',
      failure.exitCode,
      failure.oneLine,
      failure.hint,
      options,
    );
  }
}

/**
 * The report builders' side of the route: the verdict a classified failure gives any command's report
 * (report/model.ts Verdict, declared by shape here so analysis does not import the layer above it).
 */
export function failureVerdict(classified: ClassifiedFailure): {
  status: 'failed' | 'interrupted';
  exitCode: number;
  summary: string;
} {
  return classified.kind === 'interrupted'
    ? { status: 'interrupted', exitCode: classified.exitCode, summary: 'interrupted' }
    : { status: 'failed', exitCode: classified.exitCode, summary: classified.oneLine };
}

/** The report's `error` block (report/model.ts ReportError), the same in every command's JSON. */
export function failureReportError(
  classified: ClassifiedFailure,
  failure: MeasurementFailure,
): { kind: FailureKind; phase: FailurePhase; code?: string; message: string; hint: string } {
  return {
    kind: classified.kind,
    phase: classified.phase,
    ...(failure.code ? { code: failure.code } : {}),
    message: classified.oneLine,
    hint: classified.hint,
  };
}
