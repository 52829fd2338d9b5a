/**
 * Client-library errors: MQTT.js messages, Paho Python MQTTErrorCode and error_string(), Paho Java
 * MqttException reason codes, Paho C return codes, paho.mqtt.golang strings, libmosquitto mosq_err_t,
 * MicroPython umqtt, HiveMQ MQTT client. Each table cites the library file it mirrors.
 * The meanings and advice are ours.
 */
import type { ClientId, KbEntry, Layer, NumberSpace } from './entry.js';

const PROBE = 'mqtt-doctor probe mqtt://HOST:PORT';
const SOAK = 'mqtt-doctor soak mqtt://HOST:PORT --duration 10m';
const TUNE = 'mqtt-doctor keepalive-tune mqtt://HOST:PORT';

/** A compact row for a library's numeric code table. */
interface CodeRow {
  num: number;
  name: string;
  title: string;
  layer?: Layer;
  causes?: string[];
  fix?: string;
  confirm?: string;
  event?: KbEntry['event'];
  /** Message text the library prints for this code. */
  text?: string;
  /** A wrapper whose real cause is printed next to it (see KbEntry.wraps). */
  wraps?: NumberSpace[];
}

function codeTable(
  prefix: string,
  space: NumberSpace,
  label: string,
  source: string,
  rows: CodeRow[],
  fixFor?: Partial<Record<ClientId, string>>,
  caseSensitive = false,
): KbEntry[] {
  return rows.map((r) => ({
    id: `${prefix}.${r.name}`,
    layer: r.layer ?? 'client',
    title: `${label} ${r.num} ${r.name}: ${r.title}`,
    names: [r.name],
    ...(r.text ? { patterns: [new RegExp(escapeRe(r.text), caseSensitive ? '' : 'i')] } : {}),
    numbers: [[space, r.num]] as Array<[NumberSpace, number]>,
    causes: r.causes ?? [r.title],
    confirm: r.confirm ?? PROBE,
    fix: r.fix ?? 'A programming or usage error in the calling code: check the arguments and call order.',
    ...(fixFor ? { fixFor } : {}),
    ...(r.event ? { event: r.event } : {}),
    ...(r.wraps ? { wraps: r.wraps } : {}),
    source,
  }));
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

// ---------------------------------------------------------------------------------------------------------
// Shared advice

const LOST = [
  'The broker closed the connection (keepalive timeout, takeover by the same client id, auth, bad packet)',
  'A NAT / load balancer dropped an idle flow',
  'Network link lost',
];
const LOST_FIX =
  'Find why with the broker log; keep the keepalive below the path idle timeout; reconnect with backoff.';
const KA_CAUSES = [
  'No PINGRESP in time: the flow died silently (NAT/LB idle drop, link loss)',
  'Broker overloaded or network loop blocked so pings were not sent/handled',
  'Keepalive too long for a middlebox on the path',
];
const KA_FIX = 'Choose a keepalive below the path idle timeout and keep the network loop running; see keepalive-tune.';
const CONNACK_NOTE = 'The broker refused the CONNECT; the CONNACK code says why (mqtt-doctor explain-error <rc>).';

// ---------------------------------------------------------------------------------------------------------
// MQTT.js (src/lib/client.ts, handlers/*.ts, connect/ws.ts)

const MQTTJS_SRC = 'https://github.com/mqttjs/MQTT.js/blob/main/src/lib/client.ts';

const MQTTJS: KbEntry[] = [
  {
    id: 'mqttjs.keepalive-timeout',
    layer: 'client',
    title: 'MQTT.js: "Keepalive timeout" (no PINGRESP within ~0.5 × keepalive after the ping)',
    patterns: [/\bKeepalive timeout\b/i],
    causes: [
      ...KA_CAUSES,
      'MQTT.js waits only ~0.5 × keepalive for PINGRESP and does not reschedule pings on received PUBLISH (issue #1861)',
    ],
    confirm: TUNE,
    fix: KA_FIX,
    fixFor: { mqttjs: 'keepalive (s) below the NAT idle timeout; keep the event loop free (no long sync work)' },
    event: 'disconnect',
    source: 'https://github.com/mqttjs/MQTT.js/blob/main/src/lib/KeepaliveManager.ts; client.ts',
  },
  {
    id: 'mqttjs.connack-timeout',
    layer: 'client',
    title: 'MQTT.js: "connack timeout" (transport up, no CONNACK within connectTimeout)',
    patterns: [/\bconnack timeout\b/i],
    causes: [
      'Wrong protocol on the port: plain MQTT to a WebSocket or TLS port, or the reverse',
      'Broker auth hook / plugin hanging',
      'A middlebox that accepts TCP but forwards nothing',
    ],
    confirm: PROBE + ' --verbose',
    fix: 'Match scheme and port; check the broker log for the CONNECT.',
    fixFor: { mqttjs: 'connectTimeout (ms, default 30000) and the right URL scheme' },
    source: MQTTJS_SRC,
  },
  {
    id: 'mqttjs.connection-refused',
    layer: 'mqtt',
    title: 'MQTT.js: "Connection refused: <reason>" (CONNACK refusal; err.code is the return/reason code)',
    patterns: [
      /Connection refused: (Not authori[sz]ed|Bad username or password|Identifier rejected|Server unavailable|Unacceptable protocol version|[A-Z][\w ]+)/,
    ],
    causes: [
      CONNACK_NOTE,
      'Not authorized: mosquitto 2 allow_anonymous false, or ACL/policy',
      'Identifier rejected: client id, or mosquitto keepalive 0 / above max_keepalive',
    ],
    confirm: 'mqtt-doctor probe mqtt://USER@HOST:PORT -V 3.1.1',
    fix: 'Explain the code in err.code; fix credentials, client id or keepalive accordingly.',
    fixFor: { mqttjs: 'read err.code; set reconnectOnConnackError only if refusals are transient' },
    event: 'refused',
    wraps: ['mqtt5', 'connack311'],
    source: 'https://github.com/mqttjs/MQTT.js/blob/main/src/lib/handlers/connack.ts, handlers/ack.ts',
  },
  {
    id: 'mqttjs.connection-closed',
    layer: 'client',
    title: 'MQTT.js: "Connection closed" (an in-flight publish/subscribe lost its stream)',
    patterns: [/^\s*(Error:\s*)?Connection closed\b/im],
    causes: LOST,
    confirm: SOAK,
    fix: LOST_FIX,
    event: 'disconnect',
    source: MQTTJS_SRC,
  },
  {
    id: 'mqttjs.client-disconnecting',
    layer: 'client',
    title: 'MQTT.js: "client disconnecting" (publish/subscribe after end())',
    patterns: [/\bclient disconnecting\b/i],
    causes: ['Code publishes after calling client.end()'],
    confirm: PROBE,
    fix: 'Publish before end(), or wait for the publish callbacks before ending.',
    source: MQTTJS_SRC,
  },
  {
    id: 'mqttjs.no-connection',
    layer: 'client',
    title: 'MQTT.js: "No connection to broker" (QoS 0 publish while offline, queueQoSZero false)',
    patterns: [/No connection to broker/i],
    causes: ['Client offline at publish time and QoS 0 messages are not queued'],
    confirm: SOAK,
    fix: 'Publish after "connect", enable queueQoSZero, or use QoS 1.',
    fixFor: { mqttjs: 'queueQoSZero: true (default) or qos: 1' },
    source: MQTTJS_SRC,
  },
  {
    id: 'mqttjs.keepalive-invalid',
    layer: 'client',
    title: 'MQTT.js: invalid keepalive option',
    patterns: [/Keepalive value must be an integer/i],
    causes: ['keepalive is not an integer number of seconds'],
    confirm: PROBE,
    fix: 'Pass keepalive as an integer in seconds (0 disables).',
    source: 'https://github.com/mqttjs/MQTT.js/blob/main/src/lib/KeepaliveManager.ts',
  },
  {
    id: 'mqttjs.offline-reconnect',
    layer: 'client',
    title: 'MQTT.js reconnecting every reconnectPeriod (1 s fixed, no backoff)',
    patterns: [/\breconnectPeriod\b/, /mqttjs.{0,200}reconnect(ing)?\b/i],
    causes: ['Connection keeps failing and MQTT.js retries every 1 s without backoff or jitter'],
    confirm: 'mqtt-doctor soak mqtt://HOST:PORT --reconnect fixed:1s',
    fix: 'Fix the underlying error; add backoff with jitter for fleets.',
    fixFor: { mqttjs: 'reconnectPeriod (ms); implement backoff in the "close" handler' },
    source: 'https://github.com/mqttjs/MQTT.js/blob/main/src/lib/client.ts defaults',
  },
];

// ---------------------------------------------------------------------------------------------------------
// Paho Python (src/paho/mqtt/enums.py MQTTErrorCode; client.py error_string)

const PY_SRC =
  'https://github.com/eclipse-paho/paho.mqtt.python/blob/master/src/paho/mqtt/enums.py MQTTErrorCode; client.py error_string()';
const PY_FIX: Partial<Record<ClientId, string>> = {
  'paho-python':
    'check the rc of connect()/publish(); run loop_start() or loop_forever(); client.reconnect_delay_set(1, 120)',
};

const PAHO_PY: CodeRow[] = [
  {
    num: -1,
    name: 'MQTT_ERR_AGAIN',
    title: 'Try again (socket would block)',
    causes: ['Non-blocking socket not ready'],
    fix: 'Let the network loop run and retry.',
  },
  { num: 1, name: 'MQTT_ERR_NOMEM', title: 'Out of memory', text: 'Out of memory.' },
  {
    num: 2,
    name: 'MQTT_ERR_PROTOCOL',
    title: 'Protocol error from the broker',
    text: 'A network protocol error occurred when communicating with the broker.',
    causes: ['Broker sent something the client could not parse', 'Wrong protocol on the port'],
    fix: 'Check port/scheme and MQTT version.',
    event: 'disconnect',
  },
  { num: 3, name: 'MQTT_ERR_INVAL', title: 'Invalid function arguments', text: 'Invalid function arguments provided.' },
  {
    num: 4,
    name: 'MQTT_ERR_NO_CONN',
    title: 'Not connected',
    text: 'The client is not currently connected.',
    causes: ['publish()/subscribe() before the connection is up or after it dropped', 'Network loop not running'],
    fix: 'Publish from on_connect or after it; run loop_start().',
  },
  {
    num: 5,
    name: 'MQTT_ERR_CONN_REFUSED',
    title: 'Connection refused by the broker',
    text: 'The connection was refused.',
    layer: 'mqtt',
    causes: [CONNACK_NOTE],
    fix: 'Look at the reason code passed to on_connect.',
    event: 'refused',
  },
  {
    num: 6,
    name: 'MQTT_ERR_NOT_FOUND',
    title: 'Message not found (internal)',
    text: 'Message not found (internal error).',
  },
  {
    num: 7,
    name: 'MQTT_ERR_CONN_LOST',
    title: 'The connection was lost',
    text: 'The connection was lost.',
    causes: LOST,
    confirm: SOAK,
    fix: LOST_FIX,
    event: 'disconnect',
  },
  {
    num: 8,
    name: 'MQTT_ERR_TLS',
    title: 'TLS error',
    text: 'A TLS error occurred.',
    layer: 'tls',
    causes: ['Certificate verification or handshake failed'],
    confirm: 'mqtt-doctor probe mqtts://HOST:8883 --ca ca.pem',
    fix: 'Check CA file, host name and port (see the TLS error text).',
  },
  {
    num: 9,
    name: 'MQTT_ERR_PAYLOAD_SIZE',
    title: 'Payload too large',
    text: 'Payload too large.',
    fix: 'Send payloads below 268435455 bytes and the broker limit.',
  },
  {
    num: 10,
    name: 'MQTT_ERR_NOT_SUPPORTED',
    title: 'Not supported',
    text: 'This feature is not supported.',
    causes: ['Feature needs another MQTT version or a TLS-enabled Python'],
  },
  {
    num: 11,
    name: 'MQTT_ERR_AUTH',
    title: 'Authorisation failed',
    text: 'Authorisation failed.',
    layer: 'mqtt',
    causes: ['Bad credentials or not authorised'],
    confirm: 'mqtt-doctor probe mqtt://USER@HOST:PORT',
    fix: 'Set username_pw_set() with valid credentials.',
    event: 'refused',
  },
  {
    num: 12,
    name: 'MQTT_ERR_ACL_DENIED',
    title: 'Access denied by ACL',
    text: 'Access denied by ACL.',
    layer: 'mqtt',
    causes: ['Topic not allowed for this user'],
    fix: 'Allow the topic in the broker ACL.',
  },
  { num: 13, name: 'MQTT_ERR_UNKNOWN', title: 'Unknown error', text: 'Unknown error.' },
  {
    num: 14,
    name: 'MQTT_ERR_ERRNO',
    title: 'System error (see errno)',
    text: 'Error defined by errno.',
    layer: 'tcp',
    causes: ['An OS socket error; the errno tells which'],
    fix: 'Explain the errno that came with it.',
  },
  {
    num: 15,
    name: 'MQTT_ERR_QUEUE_SIZE',
    title: 'Message queue full',
    text: 'Message queue full.',
    causes: ['max_queued_messages reached while offline or slow'],
    fix: 'Raise max_queued_messages_set() or reconnect faster.',
  },
  {
    num: 16,
    name: 'MQTT_ERR_KEEPALIVE',
    title: 'Keepalive timeout',
    text: 'Client or broker did not communicate in the keepalive interval.',
    causes: KA_CAUSES,
    confirm: TUNE,
    fix: KA_FIX,
    event: 'disconnect',
  },
];

const PAHO_PY_EXTRA: KbEntry[] = [
  {
    id: 'paho-python.callback-api',
    layer: 'client',
    title: 'Paho Python 2.x: callback API version required',
    patterns: [/Unsupported callback API version/i],
    causes: ['Code written for paho-mqtt 1.x runs on 2.x, where Client() needs a CallbackAPIVersion'],
    confirm:
      'mqtt-doctor probe mqtt://HOST:PORT (the broker is not the problem; `pip show paho-mqtt` shows the version)',
    fix: 'mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, ...) and update callback signatures (or VERSION1 to keep old ones).',
    fixFor: { 'paho-python': 'mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=...)' },
    source: 'https://github.com/eclipse-paho/paho.mqtt.python/blob/master/src/paho/mqtt/client.py; docs/migrations.rst',
  },
  {
    id: 'paho-python.callback-deprecated',
    layer: 'client',
    title: 'Paho Python 2.x: callback API version 1 deprecated (warning only)',
    patterns: [/Callback API version 1 is deprecated/i],
    causes: ['Client created with CallbackAPIVersion.VERSION1'],
    confirm: 'mqtt-doctor probe mqtt://HOST:PORT',
    fix: 'Move to VERSION2 callbacks when convenient; it is only a warning.',
    source: 'https://github.com/eclipse-paho/paho.mqtt.python/blob/master/src/paho/mqtt/client.py',
  },
];

// ---------------------------------------------------------------------------------------------------------
// libmosquitto (include/mosquitto.h enum mosq_err_t; lib/strings_mosq.c)

const MOSQ_SRC =
  'https://github.com/eclipse/mosquitto/blob/master/include/mosquitto.h enum mosq_err_t; lib/strings_mosq.c';
const LIBMOSQ: CodeRow[] = [
  { num: -4, name: 'MOSQ_ERR_AUTH_CONTINUE', title: 'Enhanced authentication continues (internal)' },
  { num: -3, name: 'MOSQ_ERR_NO_SUBSCRIBERS', title: 'No subscribers (not an error)' },
  { num: -2, name: 'MOSQ_ERR_SUB_EXISTS', title: 'Subscription already exists (not an error)' },
  { num: -1, name: 'MOSQ_ERR_CONN_PENDING', title: 'Connection pending' },
  { num: 1, name: 'MOSQ_ERR_NOMEM', title: 'Out of memory' },
  {
    num: 2,
    name: 'MOSQ_ERR_PROTOCOL',
    title: 'Protocol error',
    causes: ['Peer broke the MQTT protocol; wrong protocol on the port'],
    fix: 'Check scheme/port and MQTT version.',
    event: 'disconnect',
  },
  {
    num: 3,
    name: 'MOSQ_ERR_INVAL',
    title: 'Invalid input (e.g. keepalive not 0 or 5..65535)',
    causes: ['Bad arguments; libmosquitto requires keepalive 0 or ≥ 5'],
    fix: 'Check the arguments (keepalive ≥ 5).',
  },
  {
    num: 4,
    name: 'MOSQ_ERR_NO_CONN',
    title: 'Not connected',
    causes: ['Call made before connect or after the connection dropped'],
    fix: 'Wait for the connect callback; run mosquitto_loop_start().',
  },
  {
    num: 5,
    name: 'MOSQ_ERR_CONN_REFUSED',
    title: 'Connection refused by the broker',
    layer: 'mqtt',
    causes: [CONNACK_NOTE],
    fix: 'Look at the rc in the on_connect callback.',
    event: 'refused',
  },
  { num: 6, name: 'MOSQ_ERR_NOT_FOUND', title: 'Not found' },
  {
    num: 7,
    name: 'MOSQ_ERR_CONN_LOST',
    title: 'The connection was lost',
    causes: LOST,
    confirm: SOAK,
    fix: LOST_FIX,
    event: 'disconnect',
  },
  {
    num: 8,
    name: 'MOSQ_ERR_TLS',
    title: 'TLS error',
    layer: 'tls',
    causes: ['Handshake or verification failed; see the OpenSSL error'],
    confirm: 'mqtt-doctor probe mqtts://HOST:8883 --ca ca.pem',
    fix: 'Check --cafile, host name, port.',
  },
  // The texts below are mosquitto_strerror()'s (lib/strings_mosq.c); mosquitto_pub/sub print them, e.g.
  // "Unable to connect (Lookup error.)". Texts Paho Python shares (connection refused/lost, TLS) stay with its rows.
  { num: 9, name: 'MOSQ_ERR_PAYLOAD_SIZE', title: 'Payload too large', text: 'Payload too large.' },
  { num: 10, name: 'MOSQ_ERR_NOT_SUPPORTED', title: 'Not supported', text: 'This feature is not supported.' },
  {
    num: 11,
    name: 'MOSQ_ERR_AUTH',
    title: 'Authorisation failed',
    text: 'Authorisation failed.',
    layer: 'mqtt',
    causes: ['Bad credentials or not authorised'],
    fix: 'Use valid credentials (-u/-P).',
    event: 'refused',
  },
  {
    num: 12,
    name: 'MOSQ_ERR_ACL_DENIED',
    title: 'Access denied by ACL',
    text: 'Access denied by ACL.',
    layer: 'mqtt',
    fix: 'Allow the topic in the ACL.',
  },
  { num: 13, name: 'MOSQ_ERR_UNKNOWN', title: 'Unknown error' },
  {
    num: 14,
    name: 'MOSQ_ERR_ERRNO',
    title: 'System error (see errno / strerror)',
    layer: 'tcp',
    fix: 'Explain the errno text printed with it.',
  },
  {
    num: 15,
    name: 'MOSQ_ERR_EAI',
    title: 'Lookup error',
    text: 'Lookup error.',
    layer: 'dns',
    causes: ['Host name could not be resolved'],
    fix: 'Check the host name and DNS.',
  },
  { num: 16, name: 'MOSQ_ERR_PROXY', title: 'SOCKS proxy error', text: 'Proxy error.' },
  { num: 17, name: 'MOSQ_ERR_PLUGIN_DEFER', title: 'Plugin deferred the decision (internal)' },
  {
    num: 18,
    name: 'MOSQ_ERR_MALFORMED_UTF8',
    title: 'Malformed UTF-8 (topic or string)',
    fix: 'Send valid UTF-8 topics.',
  },
  {
    num: 19,
    name: 'MOSQ_ERR_KEEPALIVE',
    title: 'Keepalive exceeded',
    text: 'Keepalive exceeded',
    causes: KA_CAUSES,
    confirm: TUNE,
    fix: KA_FIX,
    event: 'disconnect',
  },
  {
    num: 20,
    name: 'MOSQ_ERR_LOOKUP',
    title: 'DNS lookup failed',
    text: 'DNS Lookup failed',
    layer: 'dns',
    fix: 'Check the host name and DNS.',
  },
  {
    num: 21,
    name: 'MOSQ_ERR_MALFORMED_PACKET',
    title: 'Malformed packet',
    causes: ['Corrupt or non-MQTT bytes; wrong protocol on the port'],
    fix: 'Match scheme and port.',
    event: 'disconnect',
  },
  { num: 22, name: 'MOSQ_ERR_DUPLICATE_PROPERTY', title: 'Duplicate MQTT 5 property' },
  {
    num: 23,
    name: 'MOSQ_ERR_TLS_HANDSHAKE',
    title: 'TLS handshake failed',
    layer: 'tls',
    confirm: 'mqtt-doctor probe mqtts://HOST:8883 --ca ca.pem',
    fix: 'Check CA, certificates, TLS version.',
  },
  { num: 24, name: 'MOSQ_ERR_QOS_NOT_SUPPORTED', title: 'QoS not supported by the broker' },
  {
    num: 25,
    name: 'MOSQ_ERR_OVERSIZE_PACKET',
    title: 'Packet larger than allowed',
    fix: 'Send smaller messages or raise max_packet_size.',
  },
  { num: 26, name: 'MOSQ_ERR_OCSP', title: 'OCSP check failed', layer: 'tls' },
  { num: 27, name: 'MOSQ_ERR_TIMEOUT', title: 'Timed out' },
  { num: 28, name: 'MOSQ_ERR_RETAIN_NOT_SUPPORTED', title: 'Retain not supported' },
  { num: 29, name: 'MOSQ_ERR_TOPIC_ALIAS_INVALID', title: 'Topic alias invalid' },
  { num: 30, name: 'MOSQ_ERR_ADMINISTRATIVE_ACTION', title: 'Administrative action', event: 'disconnect' },
  { num: 31, name: 'MOSQ_ERR_ALREADY_EXISTS', title: 'Already exists' },
];

// ---------------------------------------------------------------------------------------------------------
// Paho Java (MqttException.java, internal/nls/messages.properties)

const JAVA_SRC = 'https://github.com/eclipse/paho.mqtt.java MqttException.java; internal/nls/messages.properties';
const PAHO_JAVA: CodeRow[] = [
  {
    num: 0,
    name: 'REASON_CODE_CLIENT_EXCEPTION',
    title: 'Client exception wrapping a cause',
    causes: ['See the cause: IOException, UnknownHostException, SSLHandshakeException…'],
    fix: 'Explain the wrapped exception.',
  },
  {
    num: 1,
    name: 'REASON_CODE_INVALID_PROTOCOL_VERSION',
    title: 'Invalid protocol version (CONNACK 1)',
    text: 'Invalid protocol version',
    layer: 'mqtt',
    event: 'refused',
    fix: 'setMqttVersion(MQTT_VERSION_3_1_1).',
  },
  {
    num: 2,
    name: 'REASON_CODE_INVALID_CLIENT_ID',
    title: 'Invalid client ID (CONNACK 2)',
    text: 'Invalid client ID',
    layer: 'mqtt',
    causes: ['Client id rejected', 'Mosquitto ≥ 2.0.12: keepalive 0 or above max_keepalive'],
    event: 'refused',
    fix: 'Use a short unique client id and a keepalive between 1 and max_keepalive.',
  },
  {
    num: 3,
    name: 'REASON_CODE_BROKER_UNAVAILABLE',
    title: 'Broker unavailable (CONNACK 3)',
    text: 'Broker unavailable',
    layer: 'mqtt',
    event: 'refused',
    fix: 'Retry with backoff; check broker health.',
  },
  {
    num: 4,
    name: 'REASON_CODE_FAILED_AUTHENTICATION',
    title: 'Bad user name or password (CONNACK 4)',
    text: 'Bad user name or password',
    layer: 'mqtt',
    event: 'refused',
    fix: 'setUserName/setPassword with valid credentials.',
  },
  {
    num: 5,
    name: 'REASON_CODE_NOT_AUTHORIZED',
    title: 'Not authorized to connect (CONNACK 5)',
    text: 'Not authorized to connect',
    layer: 'mqtt',
    causes: ['No/invalid credentials (mosquitto 2 allow_anonymous false)', 'ACL/policy denies the client'],
    event: 'refused',
    fix: 'Provide credentials the broker accepts.',
  },
  { num: 6, name: 'REASON_CODE_UNEXPECTED_ERROR', title: 'Unexpected error', text: 'Unexpected error' },
  {
    num: 128,
    name: 'REASON_CODE_SUBSCRIBE_FAILED',
    title: 'Subscribe failed (SUBACK 0x80)',
    layer: 'mqtt',
    causes: ['Topic filter not allowed by ACL/policy or invalid'],
    fix: 'Allow the filter in the ACL.',
  },
  {
    num: 32000,
    name: 'REASON_CODE_CLIENT_TIMEOUT',
    title: 'Timed out waiting for a response from the server',
    text: 'Timed out waiting for a response from the server',
    causes: [
      ...KA_CAUSES,
      'Action timeout (waitForCompletion) too short for the link',
      'While connecting: no CONNACK came back — a firewall silently dropping the traffic, tcp:// to a TLS port, or something that is not an MQTT broker on that port',
    ],
    confirm: TUNE,
    fix: KA_FIX,
    event: 'disconnect',
  },
  { num: 32001, name: 'REASON_CODE_NO_MESSAGE_IDS_AVAILABLE', title: 'No new message ids available (65535 in flight)' },
  {
    num: 32002,
    name: 'REASON_CODE_WRITE_TIMEOUT',
    title: 'Timed out while waiting to write messages to the server',
    text: 'Timed out while waiting to write messages to the server',
    causes: ['Send blocked for 2 × keepalive: link stalled or TCP window full'],
    confirm: SOAK,
    fix: 'Check the link; lower publish rate.',
    event: 'disconnect',
  },
  {
    num: 32100,
    name: 'REASON_CODE_CLIENT_CONNECTED',
    title: 'Client is connected',
    text: 'Client is connected',
    fix: 'Do not call connect() twice.',
  },
  {
    num: 32101,
    name: 'REASON_CODE_CLIENT_ALREADY_DISCONNECTED',
    title: 'Client is disconnected',
    text: 'Client is disconnected',
  },
  {
    num: 32102,
    name: 'REASON_CODE_CLIENT_DISCONNECTING',
    title: 'Client is currently disconnecting',
    text: 'Client is currently disconnecting',
  },
  {
    num: 32103,
    name: 'REASON_CODE_SERVER_CONNECT_ERROR',
    title: 'Unable to connect to server',
    text: 'Unable to connect to server',
    layer: 'tcp',
    causes: [
      'TCP/TLS connect failed: see the cause (ConnectException refused, UnknownHostException, SSLHandshakeException)',
    ],
    // "Unable to connect to server (32103) - java.net.ConnectException: Connection refused": Paho Java appends the
    // socket exception that failed the connect (MqttException.toString, TCPNetworkModule.start); that socket error
    // (refused, unreachable, timed out, unknown host) is the cause to explain.
    wraps: ['errno-linux', 'errno-macos', 'errno-wsa', 'errno-libuv', 'errno-newlib'],
    confirm: 'mqtt-doctor probe tcp://HOST:PORT',
    fix: 'Explain the cause exception; check host, port and TLS.',
  },
  {
    num: 32104,
    name: 'REASON_CODE_CLIENT_NOT_CONNECTED',
    title: 'Client is not connected',
    text: 'Client is not connected',
    causes: ['publish while offline'],
    fix: 'Enable automatic reconnect and offline buffering, or publish only when connected.',
  },
  {
    num: 32105,
    name: 'REASON_CODE_SOCKET_FACTORY_MISMATCH',
    title: 'SocketFactory does not match the broker URI',
    text: 'The specified SocketFactory type does not match the broker URI',
    causes: ['ssl:// URI without an SSL socket factory, or tcp:// with one'],
    fix: 'Use ssl:// with an SSLSocketFactory and tcp:// without.',
  },
  {
    num: 32106,
    name: 'REASON_CODE_SSL_CONFIG_ERROR',
    title: 'SSL configuration error',
    text: 'SSL configuration error',
    layer: 'tls',
    fix: 'Check keystore/truststore paths and passwords.',
  },
  {
    num: 32107,
    name: 'REASON_CODE_CLIENT_DISCONNECT_PROHIBITED',
    title: 'Disconnecting is not allowed from a callback method',
    text: 'Disconnecting is not allowed from a callback method',
    fix: 'Disconnect from another thread.',
  },
  {
    num: 32108,
    name: 'REASON_CODE_INVALID_MESSAGE',
    title: 'Unrecognized packet',
    text: 'Unrecognized packet',
    causes: ['Protocol/framing error: TLS to a plain port or the reverse'],
    fix: 'Match tcp:// / ssl:// with the port.',
  },
  {
    num: 32109,
    name: 'REASON_CODE_CONNECTION_LOST',
    title: 'Connection lost',
    text: 'Connection lost',
    causes: LOST,
    confirm: SOAK,
    fix: LOST_FIX,
    event: 'disconnect',
  },
  {
    num: 32110,
    name: 'REASON_CODE_CONNECT_IN_PROGRESS',
    title: 'Connect already in progress',
    text: 'Connect already in progress',
  },
  { num: 32111, name: 'REASON_CODE_CLIENT_CLOSED', title: 'Client is closed', text: 'Client is closed' },
  {
    num: 32200,
    name: 'REASON_CODE_PERSISTENCE_IN_USE',
    title: 'Persistence already in use',
    text: 'Persistence already in use',
    causes: ['Two clients share the same persistence directory or client id in one process'],
    fix: 'Use unique client ids / persistence directories.',
  },
  { num: 32201, name: 'REASON_CODE_TOKEN_INUSE', title: 'Token already in use', text: 'Token already in use' },
  {
    num: 32202,
    name: 'REASON_CODE_MAX_INFLIGHT',
    title: 'Too many publishes in progress',
    text: 'Too many publishes in progress',
    causes: ['More than maxInflight (10) unacknowledged publishes'],
    fix: 'setMaxInflight(higher) or wait for delivery.',
  },
  {
    num: 32203,
    name: 'REASON_CODE_DISCONNECTED_BUFFER_FULL',
    title: 'Disconnected buffer full',
    text: 'Disconnected buffer full',
  },
];

// ---------------------------------------------------------------------------------------------------------
// Paho C (src/MQTTClient.h, src/MQTTAsync.h)

const C_SRC = 'https://github.com/eclipse/paho.mqtt.c/blob/master/src/MQTTClient.h, src/MQTTAsync.h';
const PAHO_C: CodeRow[] = [
  {
    num: -1,
    name: 'MQTTCLIENT_FAILURE',
    title: 'Generic failure (MQTTAsync reports a failed connect as "TCP/TLS connect failure")',
    causes: [
      'Connect failed (TCP/TLS): wrong host or port, broker down, tcp:// to a TLS port (use ssl:// or mqtts://), or a failed TLS handshake',
      'Another operation failed; check the trace',
    ],
    fix: 'Check host, port and scheme (ssl:// for 8883); enable MQTT_C_CLIENT_TRACE=ON to see the cause.',
    // src/MQTTAsyncUtils.c: nextOrClose(m, MQTTASYNC_FAILURE, "TCP/TLS connect failure").
    text: 'TCP/TLS connect failure',
  },
  { num: -2, name: 'MQTTCLIENT_PERSISTENCE_ERROR', title: 'Persistence error' },
  {
    num: -3,
    name: 'MQTTCLIENT_DISCONNECTED',
    title: 'Client disconnected',
    causes: LOST,
    fix: LOST_FIX,
    event: 'disconnect',
  },
  { num: -4, name: 'MQTTCLIENT_MAX_MESSAGES_INFLIGHT', title: 'Too many messages in flight' },
  { num: -5, name: 'MQTTCLIENT_BAD_UTF8_STRING', title: 'Invalid UTF-8 string' },
  { num: -6, name: 'MQTTCLIENT_NULL_PARAMETER', title: 'NULL parameter' },
  { num: -7, name: 'MQTTCLIENT_TOPICNAME_TRUNCATED', title: 'Topic name truncated (embedded NUL)' },
  { num: -8, name: 'MQTTCLIENT_BAD_STRUCTURE', title: 'Bad structure (wrong struct_id/version)' },
  { num: -9, name: 'MQTTCLIENT_BAD_QOS', title: 'Bad QoS' },
  {
    num: -10,
    name: 'MQTTCLIENT_SSL_NOT_SUPPORTED',
    title: 'SSL not supported (MQTTClient) / MQTTASYNC_NO_MORE_MSGIDS (MQTTAsync)',
    fix: 'Link the SSL variant of the library (paho-mqtt3cs / paho-mqtt3as).',
  },
  {
    num: -11,
    name: 'MQTTCLIENT_BAD_MQTT_VERSION',
    title: 'Bad MQTT version (MQTTClient) / MQTTASYNC_OPERATION_INCOMPLETE (MQTTAsync)',
  },
  { num: -12, name: 'MQTTASYNC_MAX_BUFFERED_MESSAGES', title: 'Too many buffered messages' },
  { num: -13, name: 'MQTTASYNC_SSL_NOT_SUPPORTED', title: 'SSL not supported (MQTTAsync)', fix: 'Link paho-mqtt3as.' },
  {
    num: -14,
    name: 'MQTTCLIENT_BAD_PROTOCOL',
    title: 'Invalid protocol scheme',
    causes: ['URI scheme not tcp://, ssl://, mqtt://, mqtts://, ws://, wss://'],
    fix: 'Use a supported URI scheme.',
  },
  { num: -15, name: 'MQTTCLIENT_BAD_MQTT_OPTION', title: 'Bad MQTT option for the version' },
  { num: -16, name: 'MQTTCLIENT_WRONG_MQTT_VERSION', title: 'Wrong MQTT version for this call' },
  { num: -17, name: 'MQTTCLIENT_0_LEN_WILL_TOPIC', title: 'Zero-length will topic' },
  { num: -18, name: 'MQTTASYNC_COMMAND_IGNORED', title: 'Command ignored' },
  { num: -19, name: 'MQTTASYNC_MAX_BUFFERED', title: 'Max buffered reached' },
];

// ---------------------------------------------------------------------------------------------------------
// paho.mqtt.golang (packets/packets.go ConnackReturnCodes; ping.go; client.go)

const GO_SRC = 'https://github.com/eclipse/paho.mqtt.golang packets/packets.go; client.go; ping.go';
const GO_CONNACK: CodeRow[] = [
  {
    num: 1,
    name: 'ErrorRefusedBadProtocolVersion',
    title: 'unacceptable protocol version (CONNACK 1)',
    text: 'unacceptable protocol version',
    layer: 'mqtt',
    event: 'refused',
    fix: 'opts.SetProtocolVersion(4).',
  },
  {
    num: 2,
    name: 'ErrorRefusedIDRejected',
    title: 'identifier rejected (CONNACK 2)',
    text: 'identifier rejected',
    layer: 'mqtt',
    causes: ['Client id rejected', 'Mosquitto ≥ 2.0.12: keepalive 0 or above max_keepalive'],
    event: 'refused',
    fix: 'Unique short client id; keepalive within the broker limit.',
  },
  {
    num: 3,
    name: 'ErrorRefusedServerUnavailable',
    title: 'server Unavailable (CONNACK 3)',
    text: 'server Unavailable',
    layer: 'mqtt',
    event: 'refused',
    fix: 'Retry with backoff.',
  },
  {
    num: 4,
    name: 'ErrorRefusedBadUsernameOrPassword',
    title: 'bad user name or password (CONNACK 4)',
    text: 'bad user name or password',
    layer: 'mqtt',
    event: 'refused',
    fix: 'opts.SetUsername/SetPassword with valid credentials.',
  },
  {
    num: 5,
    name: 'ErrorRefusedNotAuthorised',
    title: 'not Authorized (CONNACK 5)',
    text: 'not Authorized',
    layer: 'mqtt',
    causes: ['No/invalid credentials (mosquitto 2 allow_anonymous false)', 'ACL/policy'],
    event: 'refused',
    fix: 'Provide credentials the broker accepts.',
  },
  {
    num: 254,
    name: 'ErrorNetworkError',
    title: 'network Error (pseudo return code 0xFE)',
    text: 'network Error',
    layer: 'tcp',
    causes: ['The dial failed; the wrapped error follows (connection refused, i/o timeout, TLS)'],
    fix: 'Explain the wrapped dial error.',
  },
  {
    num: 255,
    name: 'ErrorProtocolViolation',
    title: 'protocol Violation (pseudo return code 0xFF)',
    text: 'protocol Violation',
    layer: 'mqtt',
    causes: ['Broker answered with something that is not a CONNACK: wrong protocol on the port'],
    fix: 'Match scheme and port.',
  },
];

const GO_EXTRA: KbEntry[] = [
  {
    id: 'paho-go.pingresp-not-received',
    layer: 'client',
    title: 'Paho Go: "pingresp not received, disconnecting" (no PINGRESP within PingTimeout, 10 s by default)',
    patterns: [/pingresp not received, disconnecting/i],
    causes: [
      ...KA_CAUSES,
      'PingTimeout (fixed 10 s) too short for a slow link with queued publishes (satellite)',
      'The message handler blocks: with ordered delivery a slow callback stalls the client so the PINGRESP is not read in time (https://github.com/eclipse-paho/paho.mqtt.golang/issues/367); hand work to another goroutine or opts.SetOrderMatters(false)',
    ],
    confirm: TUNE,
    fix: KA_FIX,
    fixFor: { 'paho-go': 'opts.SetPingTimeout(20 * time.Second); opts.SetKeepAlive(...)' },
    event: 'disconnect',
    source: 'https://github.com/eclipse/paho.mqtt.golang ping.go',
  },
  {
    id: 'paho-go.not-connected',
    layer: 'client',
    title: 'Paho Go: "not Connected"',
    patterns: [/\bnot Connected\b/],
    causes: ['Publish/subscribe while the client is offline'],
    confirm: SOAK,
    fix: 'Wait for OnConnect; enable SetAutoReconnect and SetConnectRetry.',
    fixFor: { 'paho-go': 'opts.SetAutoReconnect(true); opts.SetConnectRetry(true)' },
    source: 'https://github.com/eclipse/paho.mqtt.golang client.go (ErrNotConnected)',
  },
  {
    id: 'paho-go.lost-before-publish',
    layer: 'client',
    title: 'Paho Go: "connection lost before Publish completed"',
    patterns: [/connection lost before Publish completed/i],
    causes: LOST,
    confirm: SOAK,
    fix: LOST_FIX,
    event: 'disconnect',
    source: 'https://github.com/eclipse/paho.mqtt.golang messageids.go',
  },
];

// ---------------------------------------------------------------------------------------------------------
// MicroPython umqtt (micropython-lib micropython/umqtt.simple/umqtt/simple.py)

const UMQTT_SRC = 'https://github.com/micropython/micropython-lib/blob/master/micropython/umqtt.simple/umqtt/simple.py';
const UMQTT: KbEntry[] = [
  {
    id: 'umqtt.mqttexception',
    layer: 'mqtt',
    title: 'umqtt: MQTTException(n): CONNACK refusal n (1..5), or 128 = subscribe failed',
    // Case-sensitive on purpose: Paho Java prints "MqttException (0) - cause", a different library.
    patterns: [/MQTTException:?\s*\(?\d+/, /\bMQTTException\b/],
    causes: [
      'n is the CONNACK return code: 5 not authorised (mosquitto 2 allow_anonymous false), 4 bad credentials, 2 client id / keepalive rejected',
      '128: SUBACK failure (topic not allowed)',
    ],
    confirm: 'mqtt-doctor probe mqtt://USER@HOST:PORT -V 3.1.1',
    fix: 'Explain the number as a CONNACK code and fix credentials / client id / keepalive.',
    fixFor: { umqtt: 'MQTTClient(client_id, server, user=..., password=..., keepalive=60) and call ping() regularly' },
    event: 'refused',
    wraps: ['connack311'],
    source: UMQTT_SRC,
  },
  {
    id: 'umqtt.oserror-minus1',
    layer: 'client',
    title: 'umqtt: OSError -1: the server closed the socket (read returned nothing)',
    names: ['OSError: -1'],
    patterns: [/OSError:?\s*\(?-1\)?(?!\d)/],
    causes: [
      'The broker closed the connection: umqtt.simple never pings by itself, so with a keepalive set the broker drops it after 1.5 × keepalive',
      'Takeover by another connection with the same client id',
      'NAT dropped the idle flow',
    ],
    confirm: 'mqtt-doctor keepalive-tune mqtt://HOST:PORT --verify-broker',
    fix: 'Call client.ping() (or publish) more often than the keepalive, and reconnect on OSError.',
    fixFor: {
      umqtt:
        'call client.ping() every keepalive/2 and client.check_msg() in the main loop; use umqtt.robust for reconnects',
    },
    event: 'disconnect',
    source: UMQTT_SRC,
  },
];

// ---------------------------------------------------------------------------------------------------------
// ESP-IDF esp-mqtt (espressif/esp-mqtt mqtt_client.c; esp-tls): log texts as the
// library prints them; errno numbers there are newlib/lwIP numbers (see errno.ts).

const ESP_SRC = 'https://github.com/espressif/esp-mqtt/blob/master/mqtt_client.c (ESP_LOGE texts)';
const ESP_FIX: Partial<Record<ClientId, string>> = {
  esp32:
    'esp_mqtt_client_config_t.session.keepalive and .network.reconnect_timeout_ms; keep Wi-Fi power save from starving the MQTT task',
};
// esp_err_t values of esp-tls (ESP_ERR_ESP_TLS_BASE 0x8000), printed in hex or decimal by MQTT_EVENT_ERROR handlers.
const ESP_TLS_ERR_SRC =
  'https://github.com/espressif/esp-idf/blob/master/components/esp-tls/esp_tls_errors.h; https://docs.espressif.com/projects/esp-idf/en/latest/esp32/api-reference/error-codes.html';
const ESP32: KbEntry[] = [
  {
    id: 'esp-mqtt.no-ping-resp',
    layer: 'client',
    title: 'ESP-IDF esp-mqtt: "No PING_RESP, disconnected"',
    patterns: [/No PING_RESP, disconnected/i],
    causes: [...KA_CAUSES, 'Wi-Fi power save or a busy task delayed the MQTT task'],
    confirm: TUNE,
    fix: KA_FIX,
    fixFor: ESP_FIX,
    event: 'disconnect',
    source: ESP_SRC,
  },
  {
    id: 'esp-mqtt.transport-connect',
    layer: 'tcp',
    title: 'ESP-IDF esp-mqtt: "Error transport connect" (TCP/TLS connect failed)',
    patterns: [/Error transport connect/i],
    causes: [
      'Broker unreachable or port closed (see the esp-tls / errno line before it)',
      'TLS failed: CA not embedded, clock not set',
      'Wi-Fi up but no IP/DNS yet',
    ],
    confirm: 'mqtt-doctor probe mqtt://HOST:PORT (from a PC on the same network)',
    fix: 'Read the esp-tls line before it; check URI, port and CA.',
    fixFor: ESP_FIX,
    source: ESP_SRC,
  },
  {
    id: 'esp-mqtt.transport-read',
    layer: 'tcp',
    title: 'ESP-IDF esp-mqtt: transport_read() error (connection lost while reading)',
    patterns: [/transport_read\(\) error/i],
    causes: LOST,
    confirm: SOAK,
    fix: LOST_FIX + ' The errno next to it is a newlib number (104 reset, 113 aborted, 128 not connected).',
    fixFor: ESP_FIX,
    event: 'disconnect',
    source: ESP_SRC,
  },
  {
    id: 'esp-mqtt.write-timeout',
    layer: 'tcp',
    title: 'ESP-IDF esp-mqtt: "Writing didn\'t complete in specified timeout"',
    patterns: [/Writing didn't complete in specified timeout/i],
    causes: [
      'The link stalled (weak Wi-Fi, congested uplink) so the send buffer did not drain',
      'Large messages on a slow link',
    ],
    confirm: 'mqtt-doctor soak mqtt://HOST:PORT --payload-size 1k --duration 5m',
    fix: 'Improve the link or send smaller/fewer messages; raise network.timeout_ms.',
    fixFor: ESP_FIX,
    event: 'disconnect',
    source: ESP_SRC,
  },
  {
    id: 'esp-tls.getaddrinfo',
    layer: 'dns',
    title: 'ESP-IDF esp-tls: could not resolve the broker host name',
    names: ['ESP_ERR_ESP_TLS_CANNOT_RESOLVE_HOSTNAME'],
    // Older esp-tls releases print only "couldn't get hostname for :HOST:" (no getaddrinfo() return value).
    patterns: [/couldn't get hostname for :?[\w.-]{1,253}/i],
    numbers: [['esp-err', 0x8001]],
    causes: [
      'Wi-Fi connected but no DNS server (static IP without DNS)',
      'Host name typo',
      'Connect started before the IP was assigned',
    ],
    confirm: 'mqtt-doctor probe mqtt://HOST:PORT --verbose',
    fix: 'Start MQTT after IP_EVENT_STA_GOT_IP; set a DNS server; check the URI.',
    fixFor: ESP_FIX,
    source: 'https://github.com/espressif/esp-idf/blob/master/components/esp-tls/esp_tls.c',
  },
  {
    id: 'esp-tls.connection-timeout',
    layer: 'tcp',
    title: 'ESP-IDF esp-tls: TCP connect to the broker timed out (ESP_ERR_ESP_TLS_CONNECTION_TIMEOUT 0x8006)',
    names: ['ESP_ERR_ESP_TLS_CONNECTION_TIMEOUT'],
    patterns: [
      /esp-tls: (?:\[sock=\d{1,6}\] )?select\(\) timeout/i,
      /Failed to open new connection in specified timeout/i,
    ],
    numbers: [['esp-err', 0x8006]],
    causes: [
      'Broker host up but the port filtered (firewall drops SYN) or the address wrong',
      'No route yet: Wi-Fi associated but the uplink is down',
      'network.timeout_ms too short for the link (TLS to a far cloud broker)',
    ],
    confirm: 'mqtt-doctor probe mqtt://HOST:PORT (from a PC on the same network)',
    fix: 'Check host and port from the same network; raise network.timeout_ms on slow links.',
    fixFor: ESP_FIX,
    source: ESP_TLS_ERR_SRC,
  },
  {
    id: 'esp-tls.failed-connect',
    layer: 'tcp',
    title: 'ESP-IDF esp-tls: failed to connect to host (ESP_ERR_ESP_TLS_FAILED_CONNECT_TO_HOST 0x8004)',
    names: ['ESP_ERR_ESP_TLS_FAILED_CONNECT_TO_HOST'],
    numbers: [['esp-err', 0x8004]],
    causes: ['Connection refused (nothing listening on that port) or reset; the socket errno next to it says which'],
    confirm: 'mqtt-doctor probe mqtt://HOST:PORT',
    fix: 'Check the broker URI and port; read the errno printed with it.',
    fixFor: ESP_FIX,
    source: ESP_TLS_ERR_SRC,
  },
  {
    id: 'esp-tls.tcp-closed-fin',
    layer: 'tcp',
    title: 'ESP-IDF esp-tls: the peer closed the TCP connection (ESP_ERR_ESP_TLS_TCP_CLOSED_FIN 0x8008)',
    names: ['ESP_ERR_ESP_TLS_TCP_CLOSED_FIN'],
    // esp-mqtt prints "transport_read(): EOF" when the transport returned ERR_TCP_TRANSPORT_CONNECTION_CLOSED_BY_FIN
    // (mqtt_client.c esp_mqtt_handle_transport_read_error), and the transports set errno ENOTCONN (newlib 128) on a
    // FIN, so "transport_read() error: errno=128" is the same close (Espressif, https://github.com/espressif/esp-idf/issues/10831).
    patterns: [/transport_read\(\): EOF\b/, /transport_read\(\) error: errno=128\b/],
    numbers: [['esp-err', 0x8008]],
    causes: [
      'The broker closed the connection: refused client id, policy (AWS IoT closes on a topic the policy denies), takeover',
      'A proxy or NAT closed an idle connection',
    ],
    confirm: 'mqtt-doctor probe mqtts://HOST:PORT --verbose; read the broker log for the close reason',
    fix: 'Read the broker log or cloud policy for why it closed; check the client id is unique.',
    fixFor: ESP_FIX,
    event: 'disconnect',
    source: ESP_TLS_ERR_SRC,
  },
  {
    id: 'esp-mqtt.write-error',
    layer: 'tcp',
    title: 'ESP-IDF esp-mqtt: "Error write data or timeout" (the send failed or wrote nothing)',
    patterns: [/Error write data or timeout/i],
    causes: [
      'The peer closed the connection cleanly (FIN): written len 0 with errno 0',
      'The link stalled so the send timed out',
    ],
    confirm: SOAK,
    fix: LOST_FIX,
    fixFor: ESP_FIX,
    event: 'disconnect',
    source: ESP_SRC,
  },
];

// ---------------------------------------------------------------------------------------------------------
// HiveMQ MQTT client (Java)

const HIVEMQ_SRC = 'https://github.com/hivemq/hivemq-mqtt-client MqttConnectHandler.java, MqttPingHandler.java';
const HIVEMQ: KbEntry[] = [
  {
    id: 'hivemq-client.connack-timeout',
    layer: 'client',
    title: 'HiveMQ client: "Timeout while waiting for CONNACK"',
    patterns: [/Timeout while waiting for CONNACK/i],
    causes: ['Transport connected but no CONNACK: wrong protocol on the port, broker auth hanging, middlebox'],
    confirm: PROBE + ' --verbose',
    fix: 'Match scheme and port; check the broker log.',
    source: HIVEMQ_SRC,
  },
  {
    id: 'hivemq-client.server-closed',
    layer: 'client',
    title: 'HiveMQ client: "Server closed connection without DISCONNECT." (the broker dropped the TCP connection)',
    patterns: [/Server closed connection without DISCONNECT/i],
    causes: [
      'An MQTT 3.1.1 broker refuses a PUBLISH or SUBSCRIBE the client is not authorised for by closing the connection (MQTT 3.1.1 §3.3.5, http://docs.oasis-open.org/mqtt/mqtt/v3.1.1/os/mqtt-v3.1.1-os.html#_Toc398718043): check the broker ACL for the topic',
      'Another client connected with the same client identifier (session takeover)',
      'Broker keepalive timeout, broker restart, or a NAT/load balancer dropping the idle connection',
    ],
    confirm: SOAK,
    fix: 'Read the broker log at the same second (ACL denial, takeover, keepalive); grant the topic or use a unique client id.',
    event: 'disconnect',
    source: 'https://github.com/hivemq/hivemq-mqtt-client MqttDisconnectHandler.java (channelInactive)',
  },
  {
    id: 'hivemq-client.session-expired',
    layer: 'client',
    title:
      'HiveMQ client: "MqttSessionExpiredException: Session expired as connection was closed." (the session ended with the connection)',
    patterns: [/MqttSessionExpiredException|Session expired as connection was closed/],
    causes: [
      'The connection closed and the session expiry interval was 0 (clean session), so pending publishes and subscription streams end with this; the "Caused by" after it says why the connection closed',
      '"Caused by: … Client sent DISCONNECT": the application disconnected the client itself while publishes or subscription streams were still open',
    ],
    confirm: SOAK,
    fix: 'Read the Caused by line; keep a session expiry interval > 0 if the session must survive reconnects, and handle onError on subscription streams.',
    event: 'disconnect',
    source:
      'https://github.com/hivemq/hivemq-mqtt-client MqttSession.java (expire: "Session expired as connection was closed.")',
  },
  {
    id: 'hivemq-client.pingresp-timeout',
    layer: 'client',
    title: 'HiveMQ client: "Timeout while waiting for PINGRESP"',
    patterns: [/Timeout while waiting for PINGRESP/i],
    causes: KA_CAUSES,
    confirm: TUNE,
    fix: KA_FIX,
    event: 'disconnect',
    source: HIVEMQ_SRC,
  },
  {
    id: 'paho-java.eofexception',
    layer: 'client',
    title: 'Paho Java: Connection lost (32109) caused by java.io.EOFException: the broker closed the socket',
    // Paho Java localises the words (messages_*.properties: "Connessione persa", "Connexion perdue", "已断开连接"),
    // never the reason code or the cause class: read those.
    patterns: [/\(32109\) - java\.io\.EOFException/],
    causes: LOST,
    confirm: SOAK,
    fix: LOST_FIX,
    event: 'disconnect',
    source: 'https://github.com/eclipse/paho.mqtt.java MqttException.java toString() format',
  },
];

// ---------------------------------------------------------------------------------------------------------
// MQTTnet (.NET): the packet dispatcher logs "Timeout while waiting for packet of type '{0}'." and throws
// MqttCommunicationTimedOutException; ConnectAsync wraps it as "Error while authenticating. " + message.

const MQTTNET_SRC =
  'https://github.com/dotnet/MQTTnet (MqttPacketDispatcher / MqttClient: logger.Warning "Timeout while waiting for packet of type \'{0}\'.", MqttConnectingFailedException "Error while authenticating. ")';
const MQTTNET: KbEntry[] = [
  {
    id: 'mqttnet.connack-timeout',
    layer: 'client',
    title: 'MQTTnet: no CONNACK within the client timeout',
    patterns: [
      /Timeout while waiting for packet of type '?MqttConnAckPacket/i,
      /Error while authenticating\. (?:The operation has timed out|Exception of type 'MQTTnet\.Exceptions\.MqttCommunicationTimedOutException')/i,
    ],
    causes: [
      'Transport connected but no CONNACK: TLS expected on the port (or not), wrong port, broker auth plugin hanging',
      'Broker overloaded or a middlebox holding the connection',
    ],
    confirm: PROBE + ' --verbose',
    fix: 'Match TLS and port to the listener (WithTls()); check the broker log; raise WithTimeout() on slow links.',
    source: MQTTNET_SRC,
  },
  {
    id: 'mqttnet.ack-timeout',
    layer: 'client',
    title: 'MQTTnet: no PUBACK/PUBREC/PUBCOMP within the client timeout',
    patterns: [/Timeout while waiting for packet of type '?MqttPub(?:Ack|Rec|Comp)Packet/i],
    causes: [
      'The broker or the link is slow to acknowledge QoS 1/2 publishes',
      'The application blocks the client (long work in the message-received handler) so acks are not processed',
    ],
    confirm: 'mqtt-doctor soak mqtt://HOST:PORT --qos 1 --duration 5m',
    fix: 'Keep handlers short (hand work to a queue); raise WithTimeout(); check broker load.',
    source: MQTTNET_SRC,
  },
];

export const CLIENT_ENTRIES: KbEntry[] = [
  ...MQTTJS,
  ...codeTable('paho-python', 'paho-python', 'Paho Python MQTTErrorCode', PY_SRC, PAHO_PY, PY_FIX),
  ...PAHO_PY_EXTRA,
  ...codeTable('libmosquitto', 'libmosquitto', 'libmosquitto mosq_err_t', MOSQ_SRC, LIBMOSQ),
  ...codeTable('paho-java', 'paho-java', 'Paho Java MqttException reason code', JAVA_SRC, PAHO_JAVA),
  ...codeTable('paho-c', 'paho-c', 'Paho C return code', C_SRC, PAHO_C),
  ...codeTable(
    'paho-go',
    'paho-go',
    'Paho Go CONNACK code',
    GO_SRC,
    GO_CONNACK,
    { 'paho-go': 'see ClientOptions in options.go' },
    true,
  ),
  ...GO_EXTRA,
  ...UMQTT,
  ...ESP32,
  ...HIVEMQ,
  ...MQTTNET,
];
