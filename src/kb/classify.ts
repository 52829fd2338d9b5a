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
}

export function toClassification(e: KbEntry): Classification {
  return { id: e.id, layer: e.layer, title: e.title, causes: [...e.causes], confirm: e.confirm, fix: e.fix, source: e.source };
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
    const e = v === 5 ? entryById(`mqtt5.0x${input.reasonCode.toString(16).toUpperCase().padStart(2, '0')}`) : entryById(`connack311.${input.reasonCode}`);
    if (e) return toClassification(e);
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
