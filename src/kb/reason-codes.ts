/**
 * MQTT reason codes as data: MQTT 5 reason codes (OASIS MQTT 5.0 §2.4, Table 2-6) and MQTT 3.1.1 CONNACK
 * return codes (OASIS MQTT 3.1.1 §3.2.2.3, Table 3.1). The packet lists follow the spec, not any one library
 * (Paho Python src/paho/mqtt/reasoncodes.py and mosquitto include/mqtt_protocol.h deviate in small ways). `meaning` is our own plain
 * English summary of the likely cause, not spec text.
 */
import type { ClientId, KbEntry } from './entry.js';

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
  [
    0x00,
    'Success',
    'CONNACK PUBACK PUBREC PUBREL PUBCOMP UNSUBACK AUTH DISCONNECT SUBACK',
    'Success (in DISCONNECT: normal disconnection; in SUBACK: granted QoS 0). Not an error.',
  ],
  [0x01, 'Granted QoS 1', 'SUBACK', 'Subscription accepted with maximum QoS 1. Not an error.'],
  [0x02, 'Granted QoS 2', 'SUBACK', 'Subscription accepted with maximum QoS 2. Not an error.'],
  [
    0x04,
    'Disconnect with Will Message',
    'DISCONNECT',
    'The client closed on purpose but asked the server to publish its Will anyway.',
  ],
  [
    0x10,
    'No matching subscribers',
    'PUBACK PUBREC',
    'The publish was accepted but nobody is subscribed to that topic; check topic spelling on both sides.',
  ],
  [0x11, 'No subscription existed', 'UNSUBACK', 'Unsubscribe for a filter the client was not subscribed to.'],
  [0x18, 'Continue authentication', 'AUTH', 'Enhanced authentication exchange continues (not an error).'],
  [0x19, 'Re-authenticate', 'AUTH', 'Client asks to re-authenticate (not an error).'],
  [
    0x80,
    'Unspecified error',
    'CONNACK PUBACK PUBREC SUBACK UNSUBACK DISCONNECT',
    'The server refused without saying why; look at the broker log for the real reason.',
  ],
  [
    0x81,
    'Malformed Packet',
    'CONNACK DISCONNECT',
    'Bytes could not be parsed as MQTT: a client bug, a wrong protocol on the port (TLS or HTTP to a plain MQTT port), or a proxy mangling the stream.',
  ],
  [
    0x82,
    'Protocol Error',
    'CONNACK DISCONNECT',
    'A packet broke the protocol rules (e.g. second CONNECT, bad flags, v5 feature used wrongly).',
  ],
  [
    0x83,
    'Implementation specific error',
    'CONNACK PUBACK PUBREC SUBACK UNSUBACK DISCONNECT',
    'The broker rejected the packet for a broker-specific reason (plugin, rule engine, validation); see its log.',
  ],
  [
    0x84,
    'Unsupported Protocol Version',
    'CONNACK',
    'The broker does not speak the requested MQTT version; retry with --mqtt-version 4.',
  ],
  [
    0x85,
    'Client Identifier not valid',
    'CONNACK',
    'Client id empty, too long or with disallowed characters. (Paho Python 2.x also shows a 3.1.1 rc 2 as 133, e.g. mosquitto refusing a 3.1.1 keepalive of 0 or above max_keepalive.)',
  ],
  [
    0x86,
    'Bad User Name or Password',
    'CONNACK',
    'Wrong credentials, or an expired token / SAS / JWT used as password.',
  ],
  [
    0x87,
    'Not authorized',
    'CONNACK PUBACK PUBREC SUBACK UNSUBACK DISCONNECT',
    'Not allowed: missing credentials (mosquitto 2 defaults to allow_anonymous false), ACL or cloud policy denies the client id or topic.',
  ],
  [
    0x88,
    'Server unavailable',
    'CONNACK',
    'Broker cannot serve the connection right now (starting, overloaded, cluster issue).',
  ],
  [0x89, 'Server busy', 'CONNACK DISCONNECT', 'Broker is busy; back off with jitter and retry.'],
  [
    0x8a,
    'Banned',
    'CONNACK',
    'The client (id, user or IP) is banned by the broker administrator or by flapping detection.',
  ],
  [
    0x8b,
    'Server shutting down',
    'DISCONNECT',
    'Broker is shutting down or restarting; reconnect with backoff and jitter.',
  ],
  [
    0x8c,
    'Bad authentication method',
    'CONNACK DISCONNECT',
    'The Authentication Method property is unsupported or does not match the one used at connect.',
  ],
  [
    0x8d,
    'Keep Alive timeout',
    'DISCONNECT',
    'The server heard nothing for 1.5 × keepalive: PINGREQ not sent (blocked loop, sleeping device) or lost (NAT/LB idle drop).',
  ],
  [
    0x8e,
    'Session taken over',
    'DISCONNECT',
    'Another connection used the same client id; two devices sharing an id, or a reconnect while the old socket lingered.',
  ],
  [
    0x8f,
    'Topic Filter invalid',
    'SUBACK UNSUBACK DISCONNECT',
    'The subscription filter is malformed or not allowed (wildcards misplaced, $-prefixed, too deep).',
  ],
  [
    0x90,
    'Topic Name invalid',
    'CONNACK PUBACK PUBREC DISCONNECT',
    'Publish topic is malformed or not allowed (contains wildcards, empty, too long).',
  ],
  [
    0x91,
    'Packet Identifier in use',
    'PUBACK PUBREC SUBACK UNSUBACK',
    'The client reused a packet id still in flight: a client bug or lost session state.',
  ],
  [
    0x92,
    'Packet Identifier not found',
    'PUBREL PUBCOMP',
    'QoS 2 handshake refers to an unknown packet id, usually after session state was lost.',
  ],
  [
    0x93,
    'Receive Maximum exceeded',
    'DISCONNECT',
    'Client sent more unacknowledged QoS 1/2 publishes than the server Receive Maximum allows.',
  ],
  [0x94, 'Topic Alias invalid', 'DISCONNECT', 'Topic alias 0 or above the Topic Alias Maximum announced by the peer.'],
  [
    0x95,
    'Packet too large',
    'CONNACK DISCONNECT',
    'A packet exceeded the maximum packet size (broker max_packet_size or client Maximum Packet Size).',
  ],
  [0x96, 'Message rate too high', 'DISCONNECT', 'Publish rate above the broker limit; slow down or batch.'],
  [
    0x97,
    'Quota exceeded',
    'CONNACK PUBACK PUBREC SUBACK DISCONNECT',
    'An administrative quota (messages, connections, subscriptions) was exceeded.',
  ],
  [0x98, 'Administrative action', 'DISCONNECT', 'An administrator or API kicked the client.'],
  [
    0x99,
    'Payload format invalid',
    'CONNACK PUBACK PUBREC DISCONNECT',
    'Payload does not match the Payload Format Indicator (e.g. declared UTF-8 but is not).',
  ],
  [
    0x9a,
    'Retain not supported',
    'CONNACK DISCONNECT',
    'Retained publish (or retained Will) sent to a broker that does not support retain.',
  ],
  [0x9b, 'QoS not supported', 'CONNACK DISCONNECT', 'QoS above the server Maximum QoS (e.g. QoS 2 to AWS IoT).'],
  [
    0x9c,
    'Use another server',
    'CONNACK DISCONNECT',
    'Temporary redirect: connect to the server named in Server Reference.',
  ],
  [0x9d, 'Server moved', 'CONNACK DISCONNECT', 'Permanent redirect: update the configured broker address.'],
  [
    0x9e,
    'Shared Subscriptions not supported',
    'SUBACK DISCONNECT',
    '$share/... subscriptions are not supported by this server.',
  ],
  [
    0x9f,
    'Connection rate exceeded',
    'CONNACK DISCONNECT',
    'Too many connects per second (reconnect storm, or per-client-id throttling); add backoff with jitter.',
  ],
  [0xa0, 'Maximum connect time', 'DISCONNECT', 'The server limits how long a connection may last; reconnect.'],
  [
    0xa1,
    'Subscription Identifiers not supported',
    'SUBACK DISCONNECT',
    'Subscription Identifier property used with a server that does not support it.',
  ],
  [
    0xa2,
    'Wildcard Subscriptions not supported',
    'SUBACK DISCONNECT',
    'Filter with + or # sent to a server without wildcard support.',
  ],
];

/** MQTT 3.1.1 CONNACK return codes. Source: MQTT 3.1.1 §3.2.2.3 Table 3.1; likely causes are ours, from the library texts cited per row. */
const CONNACK311_ROWS: Row[] = [
  [0, 'Connection Accepted', 'CONNACK', 'Connected. Not an error.'],
  [
    1,
    'Connection Refused, unacceptable protocol version',
    'CONNACK',
    'The broker does not support the requested protocol level (e.g. MQTT 5 or 3.1.1 to an old broker).',
  ],
  [
    2,
    'Connection Refused, identifier rejected',
    'CONNACK',
    'Client id empty, too long or with disallowed characters. Mosquitto ≥ 2.0.12 also sends this when keepalive is 0 or above max_keepalive.',
    SPEC311 + '; mosquitto src/handle_connect.c (≥ 2.0.12)',
  ],
  [
    3,
    'Connection Refused, Server unavailable',
    'CONNACK',
    'Broker is up at the network level but the MQTT service is unavailable (overload, maintenance).',
  ],
  [
    4,
    'Connection Refused, bad user name or password',
    'CONNACK',
    'Wrong credentials, malformed username/password, or an expired token / SAS.',
  ],
  [
    5,
    'Connection Refused, not authorized',
    'CONNACK',
    'Not allowed: mosquitto 2 defaults to allow_anonymous false, or an ACL / cloud policy (AWS policy, Azure SAS) denies the client.',
    SPEC311 + '; mosquitto ChangeLog 2.0.0 (allow_anonymous default false)',
  ],
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

// ---------------------------------------------------------------------------------------------------------
// Knowledge-base rows for explain-error / classify: the codes above with a cause list, a confirming command
// and a fix. Codes that are not errors (0x00–0x02, 0x18, 0x19) still get rows so a user pasting them learns so.

const AUTH_FIX: Partial<Record<ClientId, string>> = {
  mqttjs: 'connect(url, { username, password })',
  'paho-python': 'client.username_pw_set(username, password) before connect()',
  'paho-java': 'MqttConnectOptions.setUserName(...) / setPassword(char[])',
  'paho-go': 'opts.SetUsername(...); opts.SetPassword(...)',
  mosquitto: 'mosquitto_username_pw_set(mosq, user, pass) / -u USER -P PASS',
  umqtt: 'MQTTClient(client_id, server, user=..., password=...)',
  esp32: 'esp_mqtt_client_config_t.credentials.username / .authentication.password',
};

const KEEPALIVE_FIX: Partial<Record<ClientId, string>> = {
  mqttjs: 'keepalive option (seconds, default 60); keep the event loop unblocked',
  'paho-python': 'client.connect(host, port, keepalive=60) and keep loop_start()/loop_forever() running',
  'paho-java': 'MqttConnectOptions.setKeepAliveInterval(60)',
  'paho-go': 'opts.SetKeepAlive(60 * time.Second); opts.SetPingTimeout(...)',
  mosquitto: 'mosquitto_connect(..., keepalive) and keep mosquitto_loop_start() running',
  umqtt: 'umqtt.simple never pings by itself: call client.ping() more often than keepalive',
  esp32: 'esp_mqtt_client_config_t.session.keepalive',
};

const CLIENT_ID_FIX: Partial<Record<ClientId, string>> = {
  mqttjs: 'clientId option: unique per device (default mqttjs_<random>)',
  'paho-python': 'mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="unique-per-device")',
  'paho-java': 'new MqttAsyncClient(uri, "unique-per-device", persistence)',
  'paho-go': 'opts.SetClientID("unique-per-device")',
  mosquitto: 'mosquitto_new("unique-per-device", ...) / -i ID',
  umqtt: 'MQTTClient(client_id=ubinascii.hexlify(machine.unique_id()), ...)',
  esp32: 'esp_mqtt_client_config_t.credentials.client_id (default ESP32_<mac>)',
};

interface RcAdvice {
  causes?: string[];
  confirm?: string;
  fix: string;
  fixFor?: Partial<Record<ClientId, string>>;
  event?: KbEntry['event'];
}

const PROBE = 'mqtt-doctor probe mqtt://HOST:PORT';

/** Advice per MQTT 5 code; 3.1.1 codes 1..5 reuse the advice of their MQTT 5 twin (Paho maps 1→132 … 5→135). */
const ADVICE: Record<number, RcAdvice> = {
  0x00: { fix: 'Nothing to fix: success / normal disconnection.' },
  0x01: { fix: 'Nothing to fix: granted QoS 1.' },
  0x02: { fix: 'Nothing to fix: granted QoS 2.' },
  0x04: { fix: 'Intended by the client: it asked for its Will to be published.', event: 'disconnect' },
  0x10: {
    confirm: 'mqtt-doctor probe mqtt://HOST:PORT --method echo',
    fix: 'Subscribe before publishing, or check the topic names match.',
  },
  0x11: { fix: 'Harmless; check the filter string matches the one subscribed.' },
  0x18: { fix: 'Part of enhanced authentication; not an error.' },
  0x19: { fix: 'Part of enhanced authentication; not an error.' },
  0x80: {
    confirm: PROBE + ' --verbose',
    fix: 'Read the broker log at that time; the code alone does not say why.',
    event: 'refused',
  },
  0x81: {
    causes: [
      'TLS or HTTP spoken to a plain MQTT port',
      'Client library bug or wrong protocol version',
      'A proxy altering bytes',
    ],
    confirm: PROBE,
    fix: 'Match scheme and port; update the client library.',
    event: 'disconnect',
  },
  0x82: {
    causes: [
      'Client sent a packet the protocol forbids (second CONNECT, bad flags)',
      'Mixed MQTT versions between client and broker',
    ],
    confirm: PROBE + ' -V 3.1.1',
    fix: 'Update the client library; try the other MQTT version.',
    event: 'disconnect',
  },
  0x83: {
    confirm: PROBE + ' --verbose',
    fix: 'Check broker plugins, rule engine and validation settings in the broker log.',
  },
  0x84: {
    causes: ['Broker supports only MQTT 3.1.1 (or 3.1)', 'Client asked for MQTT 5 on an old broker'],
    confirm: 'mqtt-doctor probe mqtt://HOST:PORT -V 3.1.1',
    fix: 'Use protocol version 4 (3.1.1) or upgrade the broker.',
    fixFor: {
      mqttjs: 'protocolVersion: 4',
      'paho-python': 'mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv311)',
      'paho-java': 'MqttConnectOptions.setMqttVersion(MQTT_VERSION_3_1_1)',
      'paho-go': 'opts.SetProtocolVersion(4)',
      mosquitto: '-V mqttv311',
    },
    event: 'refused',
  },
  // Mosquitto refuses a bad keepalive only for 3.1.x clients (rc 2); an MQTT 5 client gets Server Keep Alive
  //. A 133 for that case comes from Paho Python 2.x renumbering rc 2 (https://github.com/eclipse-paho/paho.mqtt.python/blob/master/src/paho/mqtt/reasoncodes.py).
  0x85: {
    causes: [
      'Client id empty (with clean session 0) or longer than the broker allows',
      'Characters the broker rejects',
      'Paho Python 2.x reports a 3.1.1 rc 2 as 133: with mosquitto ≥ 2.0.12 that is a keepalive of 0 or above max_keepalive (an MQTT 5 client gets Server Keep Alive instead, never 0x85)',
    ],
    confirm: 'mqtt-doctor probe mqtt://HOST:PORT -V 3.1.1 --keepalive 60s --client-id test-1',
    fix: 'Use a short unique client id of [0-9a-zA-Z]; on mosquitto send a keepalive between 1 and max_keepalive.',
    fixFor: CLIENT_ID_FIX,
    event: 'refused',
  },
  0x86: {
    causes: [
      'Wrong user name or password',
      'Token, JWT or SAS used as password has expired',
      'Password file not reloaded on the broker',
    ],
    confirm: 'mqtt-doctor probe mqtt://USER@HOST:PORT',
    fix: 'Correct the credentials or refresh the token.',
    fixFor: AUTH_FIX,
    event: 'refused',
  },
  0x87: {
    causes: [
      'No credentials while the broker forbids anonymous access (mosquitto 2: allow_anonymous false by default)',
      'ACL or cloud policy forbids this client id, user or topic',
      'AWS IoT policy lacks iot:Connect for this client id; Azure SAS for another device',
    ],
    confirm: 'mqtt-doctor probe mqtt://USER@HOST:PORT',
    fix: 'Give credentials the broker accepts, or allow the client id/topic in the ACL/policy (mosquitto: password_file, or allow_anonymous true for a test broker).',
    fixFor: AUTH_FIX,
    event: 'refused',
  },
  0x88: { confirm: PROBE + ' -c 5', fix: 'Retry with backoff; check broker health.', event: 'refused' },
  0x89: { confirm: PROBE + ' -c 5', fix: 'Retry with backoff and jitter; reduce load.', event: 'refused' },
  0x8a: { fix: 'Ask the broker administrator to lift the ban; stop reconnect flapping (backoff).', event: 'refused' },
  0x8b: {
    confirm: 'mqtt-doctor soak mqtt://HOST:PORT --reconnect exp:1s..60s+jitter',
    fix: 'Reconnect with exponential backoff and jitter so a restart does not cause a storm.',
    event: 'disconnect',
  },
  0x8c: { fix: 'Use an authentication method the broker supports (or none).', event: 'refused' },
  0x8d: {
    causes: [
      'Client stopped sending PINGREQ: blocked network loop, sleeping device, throttled browser tab',
      'NAT or load balancer dropped the idle flow so pings never arrived',
      'Keepalive longer than a middlebox idle timeout',
    ],
    confirm: 'mqtt-doctor keepalive-tune mqtt://HOST:PORT --verify-broker',
    fix: 'Keep the client network loop running; choose a keepalive below the path idle timeout.',
    fixFor: KEEPALIVE_FIX,
    event: 'disconnect',
  },
  0x8e: {
    causes: [
      'Two devices or processes use the same client id',
      'The client reconnected while its old connection was still open (half-open socket)',
    ],
    confirm: 'mqtt-doctor explain-error --file broker.log (look for a takeover loop)',
    fix: 'Give every device a unique client id.',
    fixFor: CLIENT_ID_FIX,
    event: 'takeover',
  },
  0x8f: { fix: 'Fix the topic filter (+ and # only as whole levels, # last).' },
  0x90: { fix: 'Publish to a topic without wildcards, within the broker length limit.' },
  0x91: { fix: 'Update the client library; keep session state consistent.' },
  0x92: { fix: 'Usually harmless after a reconnect with lost state; use persistent sessions consistently.' },
  0x93: { fix: 'Respect the server Receive Maximum (limit in-flight QoS 1/2 messages).', event: 'disconnect' },
  0x94: { fix: 'Only use topic aliases up to the peer Topic Alias Maximum.', event: 'disconnect' },
  0x95: {
    confirm: 'mqtt-doctor soak mqtt://HOST:PORT --payload-size 256k --duration 30s',
    fix: 'Send smaller messages or raise the broker max_packet_size / message_size_limit.',
    event: 'disconnect',
  },
  0x96: { fix: 'Publish less often or batch messages.', event: 'disconnect' },
  0x97: { fix: 'Lower usage or ask for a larger quota.' },
  0x98: {
    fix: 'Find out who kicked the client (admin API, dashboard); nothing to fix in the client.',
    event: 'disconnect',
  },
  0x99: { fix: 'Send a payload that matches its Payload Format Indicator.' },
  0x9a: { fix: 'Do not set retain (also on the Will) with this broker.', event: 'refused' },
  0x9b: { fix: 'Use a QoS the broker supports (AWS IoT: 0 or 1).', event: 'refused' },
  0x9c: { fix: 'Connect to the server named in the Server Reference property.', event: 'refused' },
  0x9d: { fix: 'Update the configured broker address to the Server Reference.', event: 'refused' },
  0x9e: { fix: 'Do not use $share subscriptions with this broker.' },
  0x9f: {
    confirm: 'mqtt-doctor soak mqtt://HOST:PORT --reconnect exp:1s..120s+jitter',
    fix: 'Add exponential backoff with jitter to reconnects; check for two devices sharing a client id.',
    event: 'refused',
  },
  0xa0: { fix: 'Expected: reconnect when the broker ends long connections.', event: 'disconnect' },
  0xa1: { fix: 'Do not send Subscription Identifiers to this broker.' },
  0xa2: { fix: 'Subscribe to explicit topics; the broker does not support wildcards.' },
};

/** 3.1.1 return code → its MQTT 5 twin (Paho Python convert_connack_rc_to_reason_code). */
const TWIN_311: Record<number, number> = { 0: 0x00, 1: 0x84, 2: 0x85, 3: 0x88, 4: 0x86, 5: 0x87 };

/** 3.1.1 codes whose causes differ from their MQTT 5 twin's. */
const CAUSES_311: Record<number, string[]> = {
  // Reference B1: mosquitto ≥ 2.0.12, handle_connect.c (keepalive > max_keepalive || keepalive == 0) for 3.1.x.
  2: [
    'Client id empty (with clean session 0) or longer than the broker allows',
    'Characters the broker rejects',
    'Mosquitto ≥ 2.0.12 with MQTT 3.1.1: keepalive 0 or above max_keepalive',
  ],
};

/** Text libraries print for 3.1.1 refusals (mosquitto/Paho Python connack_string, MQTT.js ReasonCodes). */
const TEXT_311: Record<number, RegExp[]> = {
  1: [/unacceptable protocol version/i, /Connection Refused: Bad Protocol Version/i], // the latter: Paho Go
  2: [/identifier rejected/i],
  3: [/(broker|server) unavailable/i],
  4: [/bad user ?name or password/i, /user ?name or password in unknown format/i], // the latter: Paho Go
  5: [/not authori[sz]ed/i],
};

/**
 * A reason code's name as the spec writes it and as client libraries spell it in enums: SCREAMING_SNAKE (HiveMQ
 * client Mqtt5ConnAckReasonCode.NOT_AUTHORIZED, printed as "CONNACK contained an Error Code: NOT_AUTHORIZED",
 * https://github.com/hivemq/hivemq-mqtt-client/blob/master/src/main/java/com/hivemq/client/mqtt/mqtt5/message/connect/connack/Mqtt5ConnAckReasonCode.java)
 * and PascalCase (MQTTnet MqttClientConnectResultCode.NotAuthorized,
 * https://github.com/dotnet/MQTTnet/blob/master/Source/MQTTnet/Client/Connecting/MqttClientConnectResultCode.cs).
 */
function enumSpellings(name: string): string[] {
  const words = name.split(/[\s-]+/).filter(Boolean);
  if (words.length < 2) return [name];
  const snake = words.map((w) => w.toUpperCase()).join('_');
  const pascal = words.map((w) => w.charAt(0).toUpperCase() + w.slice(1).toLowerCase()).join('');
  return [name, snake, pascal];
}

/**
 * A 3.1.1 return code's name as 3.1.1 clients spell it in their enums and print it: the spec's words in
 * SCREAMING_SNAKE and PascalCase (HiveMQ client Mqtt3ConnAckReturnCode.NOT_AUTHORIZED,
 * https://github.com/hivemq/hivemq-mqtt-client/blob/master/src/main/java/com/hivemq/client/mqtt/mqtt3/message/connect/connack/Mqtt3ConnAckReturnCode.java),
 * Netty's MqttConnectReturnCode.CONNECTION_REFUSED_* (codec-mqtt), Dart mqtt_client's MqttConnectReturnCode
 * (lib/src/messages/connectack/mqtt_connect_return_code.dart) and rumqttc's v4 ConnectReturnCode
 * (rumqttc/src/mqttbytes/v4/connack.rs). The same words name MQTT 5 codes (0x87 Not authorized): the text's own
 * version words decide between them (src/analyze/explain.ts).
 */
const NAMES_311: Record<number, string[]> = {
  1: ['UNSUPPORTED_PROTOCOL_VERSION', 'RefusedProtocolVersion', 'unacceptedProtocolVersion'],
  2: ['BadClientId'],
  3: ['ServiceUnavailable', 'brokerUnavailable'],
  4: ['BAD_USER_NAME_OR_PASSWORD', 'BadUserNamePassword', 'badUsernameOrPassword'],
  5: [],
};
const SPEC_NAMES_311: Record<number, string> = {
  1: 'unacceptable protocol version',
  2: 'identifier rejected',
  3: 'server unavailable',
  4: 'bad user name or password',
  5: 'not authorized',
};

function names311(code: number): string[] {
  const spec = SPEC_NAMES_311[code];
  if (!spec) return [];
  const spellings = enumSpellings(spec).slice(1);
  return [...spellings, `CONNECTION_REFUSED_${spellings[0] ?? ''}`, ...(NAMES_311[code] ?? [])];
}

function entryFrom(info: ReasonCodeInfo, version: 4 | 5, advice: RcAdvice): KbEntry {
  const what =
    version === 5
      ? `MQTT 5 reason code ${info.code} (${info.hex}) "${info.name}" in ${info.packets.join('/')}`
      : `MQTT 3.1.1 CONNACK return code ${info.code} "${info.name}"`;
  return {
    id: version === 5 ? `mqtt5.${info.hex}` : `connack311.${info.code}`,
    layer: 'mqtt',
    title: what,
    names: version === 5 ? (info.code >= 0x80 ? enumSpellings(info.name) : []) : names311(info.code),
    ...(version === 4 && TEXT_311[info.code] ? { patterns: TEXT_311[info.code] } : {}),
    numbers: [[version === 5 ? 'mqtt5' : 'connack311', info.code]],
    causes: advice.causes ?? [info.meaning],
    confirm: advice.confirm ?? PROBE,
    fix: advice.fix,
    ...(advice.fixFor ? { fixFor: advice.fixFor } : {}),
    ...(advice.event ? { event: advice.event } : {}),
    source: info.source,
  };
}

/** Reason-code rows for the catalogue: every MQTT 5 code and 3.1.1 CONNACK codes 1..5. */
export function reasonCodeEntries(): KbEntry[] {
  const out: KbEntry[] = [];
  for (const info of MQTT5.values()) out.push(entryFrom(info, 5, ADVICE[info.code] ?? { fix: info.meaning }));
  for (const info of CONNACK311.values()) {
    if (info.code === 0) continue;
    const twin = ADVICE[TWIN_311[info.code] ?? -1];
    const advice: RcAdvice = {
      ...(twin ?? { fix: info.meaning }),
      causes: CAUSES_311[info.code] ?? twin?.causes ?? [info.meaning],
    };
    out.push(entryFrom(info, 4, advice));
  }
  return out;
}
