/**
 * Numbering spaces as data: how each is named, how often a bare number in it is what people paste, which
 * numberings each client library reports in, and which words around a number point at a numbering.
 * explain-error's ranking (src/analyze/explain.ts) reads these tables; it holds no knowledge of its own.
 *
 * The priors are our judgement of what is pasted most often, used only to order readings, not probabilities;
 * no public source states them.
 */
import type { ClientId, NumberSpace } from './entry.js';

export const SPACE_LABEL: Record<NumberSpace, string> = {
  mqtt5: 'MQTT 5 reason code',
  connack311: 'MQTT 3.1.1 CONNACK return code',
  'errno-linux': 'Linux errno',
  'errno-macos': 'macOS/BSD errno',
  'errno-wsa': 'Windows WSA error',
  'errno-libuv': 'libuv/Node err.errno (Windows)',
  'errno-newlib': 'ESP32/newlib errno (MicroPython OSError)',
  'paho-python': 'Paho Python MQTTErrorCode',
  libmosquitto: 'libmosquitto mosq_err_t',
  'paho-java': 'Paho Java reason code',
  'paho-c': 'Paho C return code',
  'paho-go': 'Paho Go CONNACK code',
  umqtt: 'umqtt code',
  'ws-close': 'WebSocket close code',
  http: 'HTTP status',
  'tls-alert': 'TLS alert',
  x509: 'X509 verify error',
  azure: 'Azure IoT Hub error',
  pubsubclient: 'PubSubClient state()',
  'esp-err': 'ESP-IDF esp_err_t',
  mbedtls: 'mbedTLS error code',
};

/** How often a bare number in that space is what people paste (our judgement, used only for ordering). */
export const NUMBER_PRIOR: Record<NumberSpace, number> = {
  connack311: 35,
  mqtt5: 30,
  'errno-linux': 28,
  'errno-wsa': 30,
  'errno-libuv': 30,
  'ws-close': 30,
  azure: 30,
  'paho-java': 22,
  'paho-python': 18,
  libmosquitto: 16,
  'paho-c': 15,
  http: 12,
  'errno-macos': 12,
  'errno-newlib': 10,
  x509: 10,
  'paho-go': 8,
  'tls-alert': 8,
  umqtt: 0,
  // Only an Arduino sketch prints state(); read in it when the line's shape says PubSubClient (src/kb/emitters.ts).
  pubsubclient: 5,
  // ESP-IDF esp_err_t (0x8006 = 32774) and mbedTLS codes (-0x2700 = -9984) are printed by embedded code only; read
  // in them when the line says esp-tls / mbed (NUMBER_CONTEXT below) or the emitter is ESP-IDF.
  'esp-err': 5,
  mbedtls: 5,
};

/** The numberings a client library reports in, its own first. */
export const CLIENT_SPACES: Record<ClientId, NumberSpace[]> = {
  mqttjs: ['errno-libuv', 'mqtt5', 'connack311', 'errno-linux', 'ws-close', 'http'],
  'paho-python': ['paho-python', 'connack311', 'mqtt5', 'errno-linux'],
  'paho-java': ['paho-java', 'connack311'],
  'paho-go': ['paho-go', 'connack311'],
  mosquitto: ['libmosquitto', 'connack311', 'mqtt5', 'errno-linux'],
  umqtt: ['connack311', 'errno-newlib', 'umqtt'],
  esp32: ['errno-newlib', 'esp-err', 'mbedtls', 'connack311'],
};

/** Entry id prefixes that belong to a client library. */
export const CLIENT_ENTRY_PREFIXES: Record<ClientId, string[]> = {
  mqttjs: ['mqttjs.', 'node.', 'ws.'],
  'paho-python': ['paho-python.'],
  'paho-java': ['paho-java.'],
  'paho-go': ['paho-go.'],
  mosquitto: ['libmosquitto.', 'mosquitto.'],
  umqtt: ['umqtt.', 'errno.esp32'],
  esp32: ['errno.esp32', 'esp-mqtt.', 'esp-tls.', 'umqtt.', 'tls.node.cert-not-trusted-generic'],
};

/** Packet names in the text: an MQTT 5 reason code that cannot appear in the named packet is not the one meant. */
export const PACKET_WORDS: Array<[RegExp, string]> = [
  [/\bdisconnect/i, 'DISCONNECT'],
  [/\bsuback/i, 'SUBACK'],
  [/\bpuback/i, 'PUBACK'],
  [/\bpubrec/i, 'PUBREC'],
  [/\bunsuback/i, 'UNSUBACK'],
  [/\bconnack/i, 'CONNACK'],
];

/** Words around a number that say which numbering it is in. */
export const NUMBER_CONTEXT: Array<[RegExp, Partial<Record<NumberSpace, number>>]> = [
  [/\berrno\b|\[Errno|OSError|strerror/i, { 'errno-linux': 30, 'errno-newlib': 30, 'errno-macos': 15 }],
  [
    /OSError:?\s*-?\d+\s*$|esp32|esp-idf|esp-tls|MQTT_CLIENT|transport_read|micropython|lwip|umqtt|newlib/i,
    { 'errno-newlib': 40, connack311: 10 },
  ],
  // esp_tls_get_and_clear_last_error() / MQTT_EVENT_ERROR print esp_err_t in hex or decimal next to these words.
  [/esp[-_]tls|ESP_ERR_|esp_err/i, { 'esp-err': 60 }],
  [/\bmbed|mbedtls/i, { mbedtls: 60 }],
  [/MQTTException/, { connack311: 60, umqtt: 30 }],
  [/\brc\b|return code|rc\s*[=:]|connack/i, { connack311: 30, mqtt5: 20, 'paho-python': 10, libmosquitto: 10 }],
  [/reason[\s_-]?code|reasonCode/i, { mqtt5: 40, 'paho-java': 10 }],
  [/on_disconnect|on_connect|paho\.mqtt|\bpaho[- ]?py/i, { 'paho-python': 40 }],
  [/\bmosq|libmosquitto/i, { libmosquitto: 40 }],
  [/MqttException/, { 'paho-java': 40 }],
  [/\bjava\b|paho[- ]?java/i, { 'paho-java': 40 }],
  [/MQTTClient_|MQTTAsync_|paho[- ]?c\b/i, { 'paho-c': 40 }],
  [/websocket|\bclose[d]?\b|\bws:|\bwss:|onclose/i, { 'ws-close': 40 }],
  [/\bhttp\b|status/i, { http: 30 }],
  [/\balert\b/i, { 'tls-alert': 40 }],
  [/x509|verify|certificate/i, { x509: 40 }],
  [/iot ?hub|azure/i, { azure: 40 }],
  [/\bgo\b|golang|paho[- ]?go/i, { 'paho-go': 40 }],
];
