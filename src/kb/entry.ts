/**
 * The shape of one knowledge-base row. Every table in src/kb/ (reason codes, errno, TLS, WebSocket, client
 * libraries, broker logs) is turned into these, so explain-error, probe and soak look things up one way.
 */

/** Where in the stack a failure happens. */
export type Layer = 'dns' | 'tcp' | 'tls' | 'ws' | 'mqtt' | 'client' | 'broker';

/** Client libraries `--client` can name; a fix may have a library-specific setting. */
export const CLIENT_IDS = ['mqttjs', 'paho-python', 'paho-java', 'paho-go', 'mosquitto', 'umqtt', 'esp32'] as const;
export type ClientId = (typeof CLIENT_IDS)[number];

/**
 * The numbering a bare number can belong to. The same number means different things in different spaces
 * (113: EHOSTUNREACH on Linux, ECONNABORTED on newlib/ESP32), so numbers are always stored with their space.
 */
export type NumberSpace =
  | 'mqtt5'
  | 'connack311'
  | 'errno-linux'
  | 'errno-macos'
  | 'errno-wsa'
  | 'errno-libuv'
  | 'errno-newlib'
  | 'paho-python'
  | 'libmosquitto'
  | 'paho-java'
  | 'paho-c'
  | 'paho-go'
  | 'umqtt'
  | 'ws-close'
  | 'http'
  | 'tls-alert'
  | 'x509'
  | 'azure'
  | 'pubsubclient'
  | 'esp-err'
  | 'mbedtls';

export interface KbEntry {
  /** Stable id, e.g. `errno.ECONNREFUSED`, `mqtt5.0x87`, `mosquitto.keepalive-exceeded`. */
  id: string;
  layer: Layer;
  /** One line: what it is. */
  title: string;
  /** Exact tokens a user may paste (symbolic names), matched case-insensitively as whole words. */
  names?: string[];
  /** Message text, for whole error lines and log lines. */
  patterns?: RegExp[];
  /** Numeric forms, each in its own numbering space. */
  numbers?: Array<[NumberSpace, number]>;
  /** Likely causes, most likely first. */
  causes: string[];
  /** A concrete mqtt-doctor command that confirms the diagnosis (HOST/PORT are placeholders). */
  confirm: string;
  /** What to change. */
  fix: string;
  /** The setting to change in a given client library, when it differs from the generic fix. */
  fixFor?: Partial<Record<ClientId, string>>;
  /**
   * A wrapper message whose real cause is a code printed next to it (MQTT.js "Connection refused: … (code 135)",
   * umqtt "MQTTException: 5"): a number in these spaces found in the same text ranks above the wrapper.
   */
  wraps?: NumberSpace[];
  /** Disconnect-like events take part in log timeline analysis. */
  event?:
    | 'disconnect'
    | 'takeover'
    | 'connect'
    | 'refused'
    | 'broker-start'
    | 'broker-stop'
    | 'acl-denied'
    | 'queue-drop';
  /** Spec section or library file the fact comes from. */
  source: string;
}
