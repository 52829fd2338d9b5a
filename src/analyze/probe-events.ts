/**
 * What a probe run observed: the data contract between measure/probe.ts (which fills it) and analyze/ and
 * report/ (which judge and show it). Plain data, no behaviour, so the pure layers name it without importing
 * the networked one (as soak's events live in analyze/soak/events.ts).
 */
import type { IConnackPacket } from 'mqtt-packet';
import type { MqttVersion } from '../config/connection.js';
import type { DialInfo, Phase } from '../transport/types.js';

export type ProbeMethod = 'ping' | 'echo' | 'connect';

export interface ProbeSample {
  seq: number;
  /** Round trip in ms, or null when lost (no answer within the timeout). */
  rttMs: number | null;
  /** Echo at QoS ≥ 1: time to PUBACK (QoS 1) or PUBCOMP (QoS 2). tcping over tls://: the TLS handshake. */
  ackMs?: number | null;
  /** The answer came after the timeout (still counted as lost, like ping's late replies). */
  lateMs?: number;
  duplicate?: boolean;
  error?: string;
  /** Still in flight when the run was stopped (Ctrl-C): neither answered nor lost, left out of the counts. */
  cutShort?: boolean;
}

export interface ConnackInfo {
  ms: number;
  protocolVersion: MqttVersion;
  reasonCode: number;
  sessionPresent: boolean;
  properties: NonNullable<IConnackPacket['properties']>;
}

export interface ProbeFailure {
  phase: Phase;
  code: string | undefined;
  message: string;
  reasonCode?: number;
  /** For non-MQTT answers: the first bytes, hex. */
  firstBytes?: string;
}

export interface ProbeResult {
  method: ProbeMethod;
  qos: 0 | 1 | 2;
  clientId: string;
  mqttVersion: MqttVersion;
  /** MQTT 5 was refused as an unacceptable version and the probe went on with 3.1.1. */
  fellBackTo311: boolean;
  dial: DialInfo;
  connack?: ConnackInfo;
  /** DNS through CONNACK (or through TCP/TLS for raw targets), ms. */
  connectMs?: number;
  samples: ProbeSample[];
  /** Set when the run could not start (a phase failed) or the session died mid-run. */
  failure?: ProbeFailure;
  /** The session ended mid-run (samples after it are lost). */
  sessionLostAfterSeq?: number;
  /** DISCONNECT sent by the server (MQTT 5), if any. */
  serverDisconnect?: { reasonCode: number; reasonString?: string };
  interrupted: boolean;
  /** Echo: QoS the broker granted on SUBSCRIBE. */
  grantedQos?: number;
  /** After a transport-mismatch-looking failure: what the port answered to the other protocol. */
  crossCheck?: CrossCheck;
  /**
   * Ping: PINGRESPs that no PINGREQ of ours was waiting for (a reply before its request, more replies than
   * requests, a flood). When there are any, no ping RTT of this session can be trusted.
   */
  unsolicitedReplies?: number;
  /**
   * Ping at a short interval: a few PINGREQs sent back to back (each after the previous reply) on the same
   * connection, to tell the link's RTT from replies held back until the next request (Nagle/delayed ACK).
   */
  backToBack?: { samplesMs: number[]; lost: number };
  /**
   * Ping: for each answered PINGREQ whose reply arrived after a later PINGREQ had left, how soon after it (ms) and how
   * late that later PINGREQ had left against its slot (ms). A broker holding each reply
   * until the next request (Nagle meeting delayed ACKs) shows as nearly every reply trailing an on-time request by
   * about one link RTT; a reply read late because our own process was held up trails a request that left late.
   */
  trailing?: { after: Array<{ gapMs: number; sendLateMs: number }> };
}

/** After a transport-mismatch-looking failure: what the same port answered to another protocol. */
export interface CrossCheck {
  /** What we tried on the same port: a TLS handshake, a plain CONNECT, or a WebSocket upgrade (`path`). */
  tried: 'tls' | 'mqtt' | 'ws';
  /** It answered as that protocol. */
  answered: boolean;
  /** For `ws`: the path the upgrade asked for. */
  path?: string;
}
