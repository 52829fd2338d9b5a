/**
 * Documented keep-alive limits of the brokers `keepalive-tune --broker` knows. Knowledge as data: each row
 * cites the broker source file or vendor page its limits come from.
 */

export interface BrokerLimits {
  name: string;
  title: string;
  /** Smallest keepalive the broker honours; smaller non-zero values are raised to it (AWS: 30 s). */
  minKeepaliveS: number;
  /** Largest keepalive the broker accepts or enforces. */
  maxKeepaliveS: number;
  /** What happens to a client asking for more than the maximum. */
  overMax: 'refused-v3' | 'server-keepalive-v5' | 'clamped' | 'used-unchanged-v3';
  /** Server-side timeout as a multiple of the keepalive (spec 1.5 ×). */
  timeoutFactor: number;
  /** How often the broker checks for idle clients: detection can lag by up to this much. */
  checkIntervalS: number;
  /** Hard cap on the server-side timeout regardless of keepalive (Azure LB: 1767 s). */
  timeoutCapS?: number;
  /** Keepalive 0 (off) accepted? */
  allowsZero: boolean;
  /** The service accepts MQTT only over TLS (offline snippets and byte counts then assume TLS). */
  tlsOnly?: boolean;
  /** Further documented behaviour worth a line in the report. */
  notes: string[];
  source: string;
}

export const BROKERS: readonly BrokerLimits[] = [
  {
    name: 'aws-iot',
    title: 'AWS IoT Core',
    minKeepaliveS: 30,
    maxKeepaliveS: 1200,
    overMax: 'clamped',
    timeoutFactor: 1.5,
    checkIntervalS: 0,
    allowsZero: false,
    tlsOnly: true,
    notes: [
      'non-zero keepalive below 30 s is treated as 30 s for the server-side timeout',
      'VPC endpoints cap keepalive at 230 s',
      'per-client-id connect throttling (THROTTLED): add jitter to reconnects',
    ],
    source:
      'https://docs.aws.amazon.com/general/latest/gr/iot-core.html#message-broker-limits (keepalive 30–1200 s); https://github.com/awslabs/aws-c-mqtt (v0.4.27 note: AWS IoT maxes out at and defaults to 1200 s)',
  },
  {
    name: 'azure-iot-hub',
    title: 'Azure IoT Hub',
    minKeepaliveS: 1,
    maxKeepaliveS: 1177,
    overMax: 'clamped',
    timeoutFactor: 1.5,
    checkIntervalS: 0,
    timeoutCapS: 1767,
    allowsZero: false,
    tlsOnly: true,
    notes: [
      'server timeout min(1.5 × K, 1767 s), the Azure LB idle limit of 29.45 min',
      'MQTT 3.1.1 only (8883, or WSS on 443)',
    ],
    source: 'https://learn.microsoft.com/en-us/azure/iot/iot-mqtt-connect-to-iot-hub#default-keep-alive-timeout',
  },
  {
    name: 'mosquitto',
    title: 'Eclipse Mosquitto 2.0',
    minKeepaliveS: 1,
    maxKeepaliveS: 65535,
    overMax: 'refused-v3',
    timeoutFactor: 1.5,
    checkIntervalS: 5,
    allowsZero: false,
    notes: [
      'max_keepalive (default 65535): a 3.1.1 client above it, or with keepalive 0, gets CONNACK rc 2 "identifier rejected" (≥ 2.0.12)',
      'MQTT 5 clients above max_keepalive are told the maximum in Server Keep Alive',
      'the idle check runs about every 5 s',
    ],
    source:
      'https://github.com/eclipse/mosquitto/blob/master/man/mosquitto.conf.5.xml (max_keepalive); src/handle_connect.c; src/keepalive.c',
  },
  {
    name: 'emqx',
    title: 'EMQX 5',
    minKeepaliveS: 1,
    maxKeepaliveS: 65535,
    overMax: 'server-keepalive-v5',
    timeoutFactor: 1.5,
    checkIntervalS: 30,
    allowsZero: true,
    notes: [
      'mqtt.keepalive_multiplier default 1.5',
      'mqtt.keepalive_check_interval default 30 s: detection can lag by up to 30 s',
      'mqtt.server_keepalive (off by default) reaches MQTT 5 clients only',
    ],
    source:
      'https://github.com/emqx/emqx/blob/master/apps/emqx/src/emqx_schema.erl (keepalive_multiplier); rel/i18n/emqx_schema.hocon',
  },
  {
    name: 'hivemq',
    title: 'HiveMQ CE',
    minKeepaliveS: 1,
    maxKeepaliveS: 65535,
    overMax: 'server-keepalive-v5',
    timeoutFactor: 1.5,
    checkIntervalS: 0,
    allowsZero: true,
    notes: [
      'max-keep-alive (default 65535) is sent as Server Keep Alive to MQTT 5 clients only; a 3.1.1 client keeps its own value',
    ],
    source:
      'https://github.com/hivemq/hivemq-community-edition (MqttConfigurationDefaults.java; ConnectHandler.java addKeepAliveHandler)',
  },
];

export function findBroker(name: string): BrokerLimits | undefined {
  const key = name.trim().toLowerCase();
  return BROKERS.find((b) => b.name === key);
}

/** Worst-case server-side detection of a silent client after its last packet, in ms. */
export function serverDetectionMs(
  b: Pick<BrokerLimits, 'timeoutFactor' | 'checkIntervalS' | 'timeoutCapS' | 'minKeepaliveS'>,
  keepaliveS: number,
): number {
  const effectiveK = Math.max(keepaliveS, b.minKeepaliveS);
  let timeoutS = effectiveK * b.timeoutFactor;
  if (b.timeoutCapS !== undefined) timeoutS = Math.min(timeoutS, b.timeoutCapS);
  return (timeoutS + b.checkIntervalS) * 1000;
}
