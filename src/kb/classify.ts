/**
 * Classify a failure probe or soak observed (a Node err.code, a message, an MQTT reason code) into the
 * knowledge-base entry that explains it. Pure: values in, value out.
 */
import type { KbEntry, Layer } from './entry.js';
import { entryById, lookupName, matchPatterns } from './catalog.js';

export type { Layer } from './entry.js';

export interface Classification {
  id: string;
  layer: Layer;
  title: string;
  causes: string[];
  /** A concrete mqtt-doctor command that confirms it. */
  confirm: string;
  /** The setting to change. */
  fix: string;
  source: string;
}

export interface FailureInput {
  phase?: 'dns' | 'tcp' | 'tls' | 'ws' | 'mqtt';
  code?: string;
  message?: string;
  reasonCode?: number;
  mqttVersion?: 4 | 5;
  /** A user name or password went out in the CONNECT: "no credentials" cannot be the cause then. */
  credentialsSent?: boolean;
}

export function toClassification(e: KbEntry): Classification {
  return {
    id: e.id,
    layer: e.layer,
    title: e.title,
    causes: [...e.causes],
    confirm: e.confirm,
    fix: e.fix,
    source: e.source,
  };
}

/**
 * "Not authorized" (MQTT 5 0x87, 3.1.1 rc 5) covers both missing and refused credentials, and an ACL
 * (MQTT 5 §3.2.2.2; mosquitto answers it for a wrong password too). When credentials were sent, causes that
 * blame their absence are dropped and the refusal of what was sent comes first.
 */
const CREDENTIAL_REFUSALS = new Set(['mqtt5.0x87', 'connack311.5']);
const NO_CREDENTIALS = /^no credentials|missing credentials/i;

function withCredentialsSent(c: Classification): Classification {
  if (!CREDENTIAL_REFUSALS.has(c.id)) return c;
  return {
    ...c,
    causes: [
      'Wrong user name or password, or an ACL or policy that forbids this user or client id',
      ...c.causes.filter((x) => !NO_CREDENTIALS.test(x)),
    ],
  };
}

/** Rank by layer agreement with the phase the failure happened in. */
function preferPhase(entries: KbEntry[], phase: FailureInput['phase']): KbEntry | undefined {
  if (!phase) return entries[0];
  return entries.find((e) => e.layer === phase) ?? entries[0];
}

/**
 * Best explanation for a failure seen by probe/soak: Node err.code (ECONNREFUSED, ENOTFOUND, CERT_HAS_EXPIRED,
 * ERR_TLS_CERT_ALTNAME_INVALID, ERR_SSL_WRONG_VERSION_NUMBER, DEPTH_ZERO_SELF_SIGNED_CERT,
 * UNABLE_TO_VERIFY_LEAF_SIGNATURE…), a message, an MQTT reason code. Returns undefined when nothing matches.
 */
export function classifyFailure(input: FailureInput): Classification | undefined {
  if (input.reasonCode !== undefined) {
    const v = input.mqttVersion ?? (input.reasonCode >= 0x80 ? 5 : 4);
    const e =
      v === 5
        ? entryById(`mqtt5.0x${input.reasonCode.toString(16).toUpperCase().padStart(2, '0')}`)
        : entryById(`connack311.${input.reasonCode}`);
    if (e) return input.credentialsSent ? withCredentialsSent(toClassification(e)) : toClassification(e);
  }
  // A message is more specific than a generic code (ECONNRESET during TLS is "closed during the handshake"),
  // but only when it agrees with the phase the failure happened in.
  const hits = input.message ? matchPatterns(input.message) : [];
  const inPhase = input.phase ? hits.find((h) => h.entry.layer === input.phase) : hits[0];
  if (inPhase) return toClassification(inPhase.entry);
  if (input.code) {
    const e = preferPhase(lookupName(input.code), input.phase);
    if (e) return toClassification(e);
  }
  const any = hits[0];
  return any ? toClassification(any.entry) : undefined;
}
