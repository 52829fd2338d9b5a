/**
 * MQTT reason codes as data: MQTT 5 reason codes (OASIS MQTT 5.0 §2.4, Table 2-6) and MQTT 3.1.1 CONNACK
 * return codes (OASIS MQTT 3.1.1 §3.2.2.3, Table 3.1). The packet lists follow the spec, not any one library
 * (Paho Python and mosquitto's header deviate in small ways; see reference E2). `meaning` is our own plain
 * English summary of the likely cause, not spec text.
 */

export interface ReasonCodeInfo {
  code: number;
  hex: string;
  name: string;
  /** Control packets the code may appear in. */
  packets: string[];
  /** Short plain-English likely cause. */
  meaning: string;
  /** Where the fact comes from (spec section or library file). */
  source: string;
}

const SPEC5 = 'MQTT 5.0 §2.4 Table 2-6';
const SPEC311 = 'MQTT 3.1.1 §3.2.2.3 Table 3.1';

export function hex2(code: number): string {
  return '0x' + code.toString(16).toUpperCase().padStart(2, '0');
}

type Row = [code: number, name: string, packets: string, meaning: string, source?: string];

/** MQTT 5 reason codes. Source: MQTT 5.0 §2.4 Table 2-6 (cross-checked with mosquitto include/mqtt_protocol.h). */
const MQTT5_ROWS: Row[] = [
  [0x00, 'Success', 'CONNACK PUBACK PUBREC PUBREL PUBCOMP UNSUBACK AUTH DISCONNECT SUBACK',
    'Success (in DISCONNECT: normal disconnection; in SUBACK: granted QoS 0). Not an error.'],
  [0x01, 'Granted QoS 1', 'SUBACK', 'Subscription accepted with maximum QoS 1. Not an error.'],
  [0x02, 'Granted QoS 2', 'SUBACK', 'Subscription accepted with maximum QoS 2. Not an error.'],
  [0x04, 'Disconnect with Will Message', 'DISCONNECT',
    'The client closed on purpose but asked the server to publish its Will anyway.'],
  [0x10, 'No matching subscribers', 'PUBACK PUBREC',
    'The publish was accepted but nobody is subscribed to that topic; check topic spelling on both sides.'],
  [0x11, 'No subscription existed', 'UNSUBACK', 'Unsubscribe for a filter the client was not subscribed to.'],
  [0x18, 'Continue authentication', 'AUTH', 'Enhanced authentication exchange continues (not an error).'],
  [0x19, 'Re-authenticate', 'AUTH', 'Client asks to re-authenticate (not an error).'],
  [0x80, 'Unspecified error', 'CONNACK PUBACK PUBREC SUBACK UNSUBACK DISCONNECT',
    'The server refused without saying why; look at the broker log for the real reason.'],
  [0x81, 'Malformed Packet', 'CONNACK DISCONNECT',
    'Bytes could not be parsed as MQTT: a client bug, a wrong protocol on the port (TLS or HTTP to a plain MQTT port), or a proxy mangling the stream.'],
  [0x82, 'Protocol Error', 'CONNACK DISCONNECT',
    'A packet broke the protocol rules (e.g. second CONNECT, bad flags, v5 feature used wrongly).'],
  [0x83, 'Implementation specific error', 'CONNACK PUBACK PUBREC SUBACK UNSUBACK DISCONNECT',
    'The broker rejected the packet for a broker-specific reason (plugin, rule engine, validation); see its log.'],
  [0x84, 'Unsupported Protocol Version', 'CONNACK',
    'The broker does not speak the requested MQTT version; retry with --mqtt-version 4.'],
  [0x85, 'Client Identifier not valid', 'CONNACK',
    'Client id empty, too long or with disallowed characters; mosquitto also refuses a keepalive of 0 or above max_keepalive this way for some versions.'],
  [0x86, 'Bad User Name or Password', 'CONNACK', 'Wrong credentials, or an expired token / SAS / JWT used as password.'],
  [0x87, 'Not authorized', 'CONNACK PUBACK PUBREC SUBACK UNSUBACK DISCONNECT',
    'Not allowed: missing credentials (mosquitto 2 defaults to allow_anonymous false), ACL or cloud policy denies the client id or topic.'],
  [0x88, 'Server unavailable', 'CONNACK', 'Broker cannot serve the connection right now (starting, overloaded, cluster issue).'],
  [0x89, 'Server busy', 'CONNACK DISCONNECT', 'Broker is busy; back off with jitter and retry.'],
  [0x8a, 'Banned', 'CONNACK', 'The client (id, user or IP) is banned by the broker administrator or by flapping detection.'],
  [0x8b, 'Server shutting down', 'DISCONNECT', 'Broker is shutting down or restarting; reconnect with backoff and jitter.'],
  [0x8c, 'Bad authentication method', 'CONNACK DISCONNECT',
    'The Authentication Method property is unsupported or does not match the one used at connect.'],
  [0x8d, 'Keep Alive timeout', 'DISCONNECT',
    'The server heard nothing for 1.5 × keepalive: PINGREQ not sent (blocked loop, sleeping device) or lost (NAT/LB idle drop).'],
  [0x8e, 'Session taken over', 'DISCONNECT',
    'Another connection used the same client id; two devices sharing an id, or a reconnect while the old socket lingered.'],
  [0x8f, 'Topic Filter invalid', 'SUBACK UNSUBACK DISCONNECT', 'The subscription filter is malformed or not allowed (wildcards misplaced, $-prefixed, too deep).'],
  [0x90, 'Topic Name invalid', 'CONNACK PUBACK PUBREC DISCONNECT', 'Publish topic is malformed or not allowed (contains wildcards, empty, too long).'],
  [0x91, 'Packet Identifier in use', 'PUBACK PUBREC SUBACK UNSUBACK', 'The client reused a packet id still in flight: a client bug or lost session state.'],
  [0x92, 'Packet Identifier not found', 'PUBREL PUBCOMP', 'QoS 2 handshake refers to an unknown packet id, usually after session state was lost.'],
  [0x93, 'Receive Maximum exceeded', 'DISCONNECT', 'Client sent more unacknowledged QoS 1/2 publishes than the server Receive Maximum allows.'],
  [0x94, 'Topic Alias invalid', 'DISCONNECT', 'Topic alias 0 or above the Topic Alias Maximum announced by the peer.'],
  [0x95, 'Packet too large', 'CONNACK DISCONNECT', 'A packet exceeded the maximum packet size (broker max_packet_size or client Maximum Packet Size).'],
  [0x96, 'Message rate too high', 'DISCONNECT', 'Publish rate above the broker limit; slow down or batch.'],
  [0x97, 'Quota exceeded', 'CONNACK PUBACK PUBREC SUBACK DISCONNECT', 'An administrative quota (messages, connections, subscriptions) was exceeded.'],
  [0x98, 'Administrative action', 'DISCONNECT', 'An administrator or API kicked the client.'],
  [0x99, 'Payload format invalid', 'CONNACK PUBACK PUBREC DISCONNECT', 'Payload does not match the Payload Format Indicator (e.g. declared UTF-8 but is not).'],
  [0x9a, 'Retain not supported', 'CONNACK DISCONNECT', 'Retained publish (or retained Will) sent to a broker that does not support retain.'],
  [0x9b, 'QoS not supported', 'CONNACK DISCONNECT', 'QoS above the server Maximum QoS (e.g. QoS 2 to AWS IoT).'],
  [0x9c, 'Use another server', 'CONNACK DISCONNECT', 'Temporary redirect: connect to the server named in Server Reference.'],
  [0x9d, 'Server moved', 'CONNACK DISCONNECT', 'Permanent redirect: update the configured broker address.'],
  [0x9e, 'Shared Subscriptions not supported', 'SUBACK DISCONNECT', '$share/... subscriptions are not supported by this server.'],
  [0x9f, 'Connection rate exceeded', 'CONNACK DISCONNECT', 'Too many connects per second (reconnect storm, or per-client-id throttling); add backoff with jitter.'],
  [0xa0, 'Maximum connect time', 'DISCONNECT', 'The server limits how long a connection may last; reconnect.'],
  [0xa1, 'Subscription Identifiers not supported', 'SUBACK DISCONNECT', 'Subscription Identifier property used with a server that does not support it.'],
  [0xa2, 'Wildcard Subscriptions not supported', 'SUBACK DISCONNECT', 'Filter with + or # sent to a server without wildcard support.'],
];

/** MQTT 3.1.1 CONNACK return codes. Source: MQTT 3.1.1 §3.2.2.3 Table 3.1; likely causes from reference E1. */
const CONNACK311_ROWS: Row[] = [
  [0, 'Connection Accepted', 'CONNACK', 'Connected. Not an error.'],
  [1, 'Connection Refused, unacceptable protocol version', 'CONNACK',
    'The broker does not support the requested protocol level (e.g. MQTT 5 or 3.1.1 to an old broker).'],
  [2, 'Connection Refused, identifier rejected', 'CONNACK',
    'Client id empty, too long or with disallowed characters. Mosquitto ≥ 2.0.12 also sends this when keepalive is 0 or above max_keepalive.',
    SPEC311 + '; mosquitto src/handle_connect.c (≥ 2.0.12)'],
  [3, 'Connection Refused, Server unavailable', 'CONNACK', 'Broker is up at the network level but the MQTT service is unavailable (overload, maintenance).'],
  [4, 'Connection Refused, bad user name or password', 'CONNACK', 'Wrong credentials, malformed username/password, or an expired token / SAS.'],
  [5, 'Connection Refused, not authorized', 'CONNACK',
    'Not allowed: mosquitto 2 defaults to allow_anonymous false, or an ACL / cloud policy (AWS policy, Azure SAS) denies the client.',
    SPEC311 + '; mosquitto ChangeLog 2.0.0 (allow_anonymous default false)'],
];

function toInfo(rows: Row[], defaultSource: string): Map<number, ReasonCodeInfo> {
  const m = new Map<number, ReasonCodeInfo>();
  for (const [code, name, packets, meaning, source] of rows) {
    m.set(code, { code, hex: hex2(code), name, packets: packets.split(' '), meaning, source: source ?? defaultSource });
  }
  return m;
}

const MQTT5 = toInfo(MQTT5_ROWS, SPEC5);
const CONNACK311 = toInfo(CONNACK311_ROWS, SPEC311);

/** Every MQTT 5 reason code, in numeric order. */
export function allMqtt5ReasonCodes(): ReasonCodeInfo[] {
  return [...MQTT5.values()];
}

/** Every MQTT 3.1.1 CONNACK return code (0..5). */
export function allConnackReturnCodes311(): ReasonCodeInfo[] {
  return [...CONNACK311.values()];
}

export function mqtt5ReasonCode(code: number): ReasonCodeInfo | undefined {
  return MQTT5.get(code);
}

export function connackReturnCode311(code: number): ReasonCodeInfo | undefined {
  return CONNACK311.get(code);
}

/** MQTT 5 reason code by its name, case and spacing insensitive ("not authorized", "NotAuthorized"). */
export function mqtt5ReasonCodeByName(name: string): ReasonCodeInfo | undefined {
  const key = normName(name);
  for (const info of MQTT5.values()) if (normName(info.name) === key) return info;
  return undefined;
}

function normName(s: string): string {
  return s.toLowerCase().replace(/[^a-z0-9]/g, '');
}

/** Always returns something: for unknown codes name "Unknown (0xNN)". version 4 = 3.1.1, 5 = MQTT 5. */
export function describeConnack(code: number, version: 4 | 5): ReasonCodeInfo {
  const known = version === 5 ? mqtt5ReasonCode(code) : connackReturnCode311(code);
  if (known && known.packets.includes('CONNACK')) return known;
  return {
    code,
    hex: hex2(code),
    name: `Unknown (${hex2(code)})`,
    packets: ['CONNACK'],
    meaning:
      version === 5
        ? 'Not a CONNACK reason code in MQTT 5; the broker or a proxy sent something non-standard.'
        : 'MQTT 3.1.1 defines only return codes 0..5; the broker or a proxy sent something non-standard.',
    source: version === 5 ? SPEC5 : SPEC311,
  };
}
