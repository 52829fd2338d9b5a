/**
 * Shared types of the dialers. Every dialer has one function type and records a timing mark per phase, like
 * curl -w / httpstat do for HTTP: DNS, TCP, TLS, WebSocket upgrade (MQTT CONNECT→CONNACK is timed by the
 * session layer on top).
 */
import type { Duplex } from 'node:stream';
import type { Socket } from 'node:net';
import type { TlsConfig } from '../config/connection.js';
import type { Target } from '../config/target.js';

export type Phase = 'dns' | 'tcp' | 'tls' | 'ws' | 'mqtt';

export interface DnsInfo {
  ms: number;
  /** True when the host was an IP literal and no lookup happened. */
  literal: boolean;
  addresses: Array<{ address: string; family: 4 | 6 }>;
}

export interface TcpAttempt {
  address: string;
  family: 4 | 6;
  ms: number;
  error?: string;
}

export interface TcpInfo {
  ms: number;
  address: string;
  /** The port connected to (an impair proxy's, when one is in the path). */
  port: number;
  family: 4 | 6;
  localPort: number;
  /** Every address tried, in order (happy-eyeballs style sequential fallback). */
  attempts: TcpAttempt[];
}

export interface CertInfo {
  subject: string;
  issuer: string;
  subjectAltNames: string[];
  validFrom: string;
  validTo: string;
  daysToExpiry: number;
  fingerprint256: string;
  selfSigned: boolean;
}

export interface TlsInfo {
  ms: number;
  protocol: string | null;
  cipher: string | null;
  alpn: string | null;
  servername: string | undefined;
  /** Chain verified against the trusted CAs and the host name matched. */
  verified: boolean;
  /** Node/OpenSSL code when not verified (CERT_HAS_EXPIRED, ERR_TLS_CERT_ALTNAME_INVALID…). */
  verifyError: string | undefined;
  verifyMessage: string | undefined;
  insecure: boolean;
  certificate: CertInfo | undefined;
}

export interface WsInfo {
  ms: number;
  path: string;
  status: number;
  subprotocol: string;
}

export interface DialInfo {
  dns?: DnsInfo;
  tcp?: TcpInfo;
  tls?: TlsInfo;
  ws?: WsInfo;
}

export interface DialResult extends DialInfo {
  /** The byte stream MQTT flows over (the socket, the TLS socket, or the WebSocket stream). */
  stream: Duplex;
  /** The underlying TCP socket. */
  socket: Socket;
  /** Under a WebSocket: the TCP or TLS socket that carries its frames (read stamps are taken there). */
  base?: Duplex;
  close(): void;
}

export interface DialOptions {
  target: Target;
  tls: TlsConfig;
  /** Absolute deadline (performance.now() ms) for the whole dial. */
  deadline: number;
  signal?: AbortSignal;
}

export type Dialer = (opts: DialOptions) => Promise<DialResult>;

/** A dial or session failure, attributed to the phase where it happened, with what was learned so far. */
export class PhaseError extends Error {
  constructor(
    readonly phase: Phase,
    message: string,
    readonly code: string | undefined,
    readonly info: DialInfo,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'PhaseError';
  }
}
