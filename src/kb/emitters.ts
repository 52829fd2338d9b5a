/**
 * Who wrote a line: the software families whose error lines and logs explain-error reads, each with the shapes
 * that give it away (prefixes, exception class names, log formats, field names) and the numberings its numbers
 * are in. explain-error fingerprints the emitter first and then reads numbers inside that emitter's namespace,
 * so `rc=-2` from an Arduino sketch is PubSubClient's MQTT_CONNECT_FAILED, not libmosquitto or MQTT.
 *
 * Each row cites the public file or page where that software prints the shape. Weights are our judgement of how
 * specific a shape is (1 = only this software prints it); they order emitters, they are not probabilities.
 * Every shape is a plain regular expression with bounded repetition (no nested quantifiers): it runs over
 * user text.
 */
import type { ClientId, NumberSpace } from './entry.js';

export type EmitterId =
  | 'mosquitto-broker'
  | 'mosquitto-client'
  | 'pubsubclient'
  | 'esp-idf'
  | 'tasmota'
  | 'esphome'
  | 'paho-python'
  | 'python'
  | 'paho-java'
  | 'hivemq-client'
  | 'java'
  | 'mqttjs'
  | 'node-red'
  | 'zigbee2mqtt'
  | 'home-assistant'
  | 'paho-go'
  | 'go'
  | 'paho-c'
  | 'mqttnet'
  | 'dotnet'
  | 'aws-crt'
  | 'azure-iot'
  | 'rabbitmq'
  | 'emqx'
  | 'hivemq-broker'
  | 'vernemq'
  | 'umqtt'
  | 'rumqtt';

export interface Emitter {
  id: EmitterId;
  title: string;
  /** Shapes of its lines, each with how specific it is (0..1]. */
  shapes: Array<[RegExp, number]>;
  /** The numberings its numbers are in, its own first. Empty: it prints names, not numbers. */
  spaces: NumberSpace[];
  /** Catalogue id prefixes of the rows this software prints. */
  entryPrefixes: string[];
  /** The `--client` name that means this emitter. */
  client?: ClientId;
  source: string;
}

export const EMITTERS: readonly Emitter[] = [
  {
    id: 'mosquitto-broker',
    title: 'Eclipse Mosquitto broker log',
    shapes: [
      [/^\s{0,8}\d{9,10}(?:\.\d{1,6})?: /, 0.5],
      [/\bmosquitto\[\d{1,10}\]:/, 0.8],
      // log_timestamp_format set to an ISO date ("2024-01-13T10:33:49: "), and its OpenSSL error lines (net_mosq.c;
      // later 2.0.x releases word them "OpenSSL Error while trying to get the error[0]: ").
      [/^\s{0,8}\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}: /, 0.5],
      [/\bOpenSSL Error(?: while trying to get the error)?\[\d{1,3}\]: /, 0.8],
      [
        /\b(?:New connection from|New client connected from|Socket error on client|Client \S{1,256} (?:has exceeded timeout|disconnected|closed its connection|already connected)|Outgoing messages are being dropped|Denied PUBLISH from|Sending CONNACK to|Bridge \S{1,256} doing|Connecting bridge|mosquitto version \S{1,32} (?:running|starting|terminating)|Opening ipv[46] listen socket)/,
        0.9,
      ],
    ],
    spaces: ['connack311', 'mqtt5', 'errno-linux'],
    entryPrefixes: ['mosquitto.', 'libmosquitto.', 'connack311.', 'mqtt5.'],
    source:
      'https://github.com/eclipse/mosquitto/blob/master/src/handle_connect.c, src/database.c, src/handle_publish.c, src/bridge.c (log__printf texts)',
  },
  {
    id: 'mosquitto-client',
    title: 'mosquitto_pub / mosquitto_sub / libmosquitto',
    shapes: [
      [/\b(?:mosquitto_(?:pub|sub|rr)|libmosquitto|MOSQ_ERR_\w{2,40}|mosq_err_t|mosquitto_\w{3,40}\(\))/, 0.9],
      [/^(?:Error|Connection error): /, 0.3],
      // mosquitto_connack_string() texts (lib/strings_mosq.c), which mosquitto_pub/sub print as they are.
      [
        /\bConnection Refused: (?:unacceptable protocol version|identifier rejected|broker unavailable|bad user name or password|not authorised)(?:\.|\s*$)/,
        0.8,
      ],
    ],
    spaces: ['libmosquitto', 'connack311', 'mqtt5', 'errno-linux'],
    entryPrefixes: ['libmosquitto.', 'mosquitto.'],
    client: 'mosquitto',
    source:
      'https://github.com/eclipse/mosquitto/blob/master/include/mosquitto.h (enum mosq_err_t), client/pub_client.c',
  },
  {
    id: 'pubsubclient',
    title: 'Arduino PubSubClient (knolleary)',
    shapes: [
      [
        /\bPubSubClient\b|\bclient\.state\(\)|\bmqttClient\.state\(\)|\bMQTT_(?:CONNECTION_TIMEOUT|CONNECTION_LOST|CONNECT_FAILED|CONNECT_BAD_\w{4,12}|CONNECT_UNAVAILABLE|CONNECT_UNAUTHORIZED|DISCONNECTED)\b/,
        1,
      ],
      // The examples' own text (mqtt_esp8266.ino, mqtt_basic.ino): "Attempting MQTT connection...failed, rc=-2 try again in 5 seconds".
      [/\bfailed, rc ?= ?-?\d{1,2}\b|Attempting MQTT connection|try again in \d{1,3} seconds/i, 0.8],
    ],
    spaces: ['pubsubclient', 'connack311'],
    entryPrefixes: ['pubsubclient.'],
    source:
      'https://github.com/knolleary/pubsubclient/blob/master/src/PubSubClient.h (MQTT_CONNECTION_TIMEOUT -4 … MQTT_CONNECT_UNAUTHORIZED 5); examples/mqtt_esp8266/mqtt_esp8266.ino',
  },
  {
    id: 'esp-idf',
    title: 'ESP-IDF esp-mqtt / esp-tls / transport',
    shapes: [
      [
        /\b(?:MQTT_CLIENT|mqtt_client|esp-tls(?:-mbedtls)?|TRANSPORT_BASE|transport_base|esp_mqtt_\w{3,40}|MQTT_EVENT_\w{3,20}|ESP_ERR_\w{3,40}|mbedtls_ssl_\w{3,40})\b/,
        1,
      ],
      [/^\s{0,4}[EWI] \(\d{1,12}\) [\w-]{2,40}: /, 0.7],
    ],
    spaces: ['errno-newlib', 'esp-err', 'mbedtls', 'connack311'],
    entryPrefixes: ['esp-mqtt.', 'esp-tls.', 'errno.esp32', 'tls.node.cert-not-trusted-generic'],
    client: 'esp32',
    source:
      'https://github.com/espressif/esp-mqtt/blob/master/mqtt_client.c (ESP_LOGE texts); https://github.com/espressif/esp-idf/blob/master/components/esp-tls/esp_tls.c',
  },
  {
    id: 'tasmota',
    title: 'Tasmota',
    shapes: [
      [/\bMQTT?: Connect (?:FAILED|failed) to \S{1,300}, rc -?\d/, 1],
      // Its log tag "MQT: " (D_LOG_MQTT) is the same in every language build, the words around it are not
      // (de_DE.h D_CONNECT_FAILED_TO "Verbindung fehlgeschlagen aufgrund von"): the tag and an "rc N" give it away.
      [/\bMQT: .{1,160}\brc -?\d{1,2}\b/, 0.9],
    ],
    // Tasmota prints its MQTT client's state() number: the PubSubClient numbering (-4..5).
    spaces: ['pubsubclient', 'connack311'],
    entryPrefixes: ['pubsubclient.'],
    source:
      'https://github.com/arendst/Tasmota (v5.4 sonoff/sonoff.ino: "MQTT: Connect FAILED to %s:%d, rc %d. Retry in %d seconds" with rc = mqttClient.state() of PubSubClient; tasmota/i18n.h D_LOG_MQTT "MQT: ", tasmota/language/de_DE.h D_CONNECT_FAILED_TO)',
  },
  {
    id: 'esphome',
    title: 'ESPHome',
    shapes: [[/\[[EWIDVC]\]\[mqtt(?:\.\w{1,20})?(?::\d{1,5})?\]:|\bMQTT Disconnected: /, 1]],
    spaces: [],
    entryPrefixes: ['esphome.'],
    source:
      'https://github.com/esphome/esphome/tree/dev/esphome/components/mqtt (log tag "mqtt"; the "[W][mqtt…]" prefix is ESPHome\'s logger format — shape from the log format, strings not checked line by line)',
  },
  {
    id: 'paho-python',
    title: 'Eclipse Paho Python',
    shapes: [
      [
        /\bpaho[./]mqtt|\bMQTT_ERR_\w{2,20}\b|\bMQTTErrorCode\b|\bon_disconnect\b|\bon_connect\b|CallbackAPIVersion/,
        0.9,
      ],
      // Paho Python 2.x prints a reason as ReasonCode(<packet>, '<MQTT 5 name>') (reasoncodes.py __repr__), also for
      // MQTT 3.1.1 CONNACK codes it maps onto MQTT 5 names (rc 5 → 'Not authorized').
      [/\bReasonCode\((?:Connack|Disconnect|Suback|Unsuback|Puback|Pubrec|Pubrel|Pubcomp|Auth), '/, 0.9],
    ],
    spaces: ['paho-python', 'connack311', 'mqtt5', 'errno-linux'],
    entryPrefixes: ['paho-python.'],
    client: 'paho-python',
    source: 'https://github.com/eclipse-paho/paho.mqtt.python/blob/master/src/paho/mqtt/enums.py (MQTTErrorCode)',
  },
  {
    id: 'python',
    title: 'Python socket / ssl exceptions',
    shapes: [
      [
        /\b(?:(?:socket\.)?gaierror|socket\.timeout|ssl\.SSL\w{2,30}|SSLCertVerificationError|ConnectionRefusedError|ConnectionResetError|ConnectionAbortedError|BrokenPipeError|TimeoutError)\b/,
        0.8,
      ],
      [/\[Errno -?\d{1,5}\]/, 0.6],
      // CPython's ssl module ends every SSLError text with the C source line: "(_ssl.c:727)" (Modules/_ssl.c,
      // https://github.com/python/cpython/blob/main/Modules/_ssl.c fill_and_set_sslerror).
      [/\(_ssl\.c:\d{1,5}\)/, 0.8],
      [/^Traceback \(most recent call last\)|File "[^"]{1,300}", line \d{1,7}/, 0.6],
    ],
    spaces: ['errno-linux', 'errno-macos'],
    entryPrefixes: ['python.', 'errno.', 'tls.'],
    source:
      'https://docs.python.org/3/library/exceptions.html#os-exceptions; https://docs.python.org/3/library/socket.html#socket.gaierror',
  },
  {
    id: 'paho-java',
    title: 'Eclipse Paho Java',
    shapes: [
      [/\borg\.eclipse\.paho\b|\bMqttException\b|\bMqttSecurityException\b|\bMqttPersistenceException\b/, 1],
      // MqttException.toString() appends its reason code, "(32000)", also in localised messages; and its own
      // English texts from internal/nls/messages.properties, which wrappers print without the class name.
      [/\(32[01]\d{2}\)\s{0,4}$/, 0.8],
      [
        /\bTimed out waiting for a response from the server\b|\bTimed out while waiting to write messages to the server\b|\bUnable to connect to server\b|\bClient is currently connecting\b/,
        0.7,
      ],
    ],
    spaces: ['paho-java', 'connack311'],
    entryPrefixes: ['paho-java.'],
    client: 'paho-java',
    source:
      'https://github.com/eclipse/paho.mqtt.java/blob/master/org.eclipse.paho.client.mqttv3/src/main/java/org/eclipse/paho/client/mqttv3/MqttException.java',
  },
  {
    id: 'hivemq-client',
    title: 'HiveMQ MQTT Client (Java)',
    shapes: [
      [
        /\bcom\.hivemq\.client\b|\bMqtt[35](?:ConnAck|Disconnect|SubAck|PubAck|PubRec|UnsubAck)Exception\b|\bConnectionFailedException\b|\bConnectionClosedException\b|\bMqttSessionExpiredException\b/,
        1,
      ],
    ],
    spaces: ['mqtt5', 'connack311'],
    // Its exceptions name MQTT 5 reason codes by their enum spelling (Mqtt5ConnAckReasonCode.NOT_AUTHORIZED).
    entryPrefixes: ['hivemq-client.', 'mqtt5.'],
    source: 'https://github.com/hivemq/hivemq-mqtt-client/tree/master/src/main/java/com/hivemq/client/mqtt/exceptions',
  },
  {
    id: 'java',
    title: 'Java runtime (javax.net.ssl, java.net)',
    shapes: [
      [
        /\b(?:javax\.net\.ssl\.\w{3,40}|java\.net\.\w{3,40}Exception|java\.io\.EOFException|PKIX path (?:building|validation) failed|sun\.security\.\w{2,40}|SSLHandshakeException|io\.netty\.handler\.ssl\.\w{3,40})\b/,
        0.9,
      ],
    ],
    spaces: [],
    entryPrefixes: ['java.', 'tls.', 'errno.'],
    source:
      'https://docs.oracle.com/en/java/javase/17/docs/api/java.base/java/net/package-summary.html; https://docs.oracle.com/en/java/javase/17/docs/api/java.base/javax/net/ssl/SSLHandshakeException.html',
  },
  {
    id: 'mqttjs',
    title: 'MQTT.js / Node.js',
    shapes: [
      [
        /\bError: (?:connect|read|write|getaddrinfo|connect ETIMEDOUT) ?E[A-Z]{3,20}\b|\bat (?:TCPConnectWrap|TLSSocket|Socket)\.|\bMqttClient\b|\bmqtt\.js\b|\berrno: -\d{1,5}, code: '/,
        0.8,
      ],
      [/\bconnack timeout\b|\bKeepalive timeout\b|\bConnection refused: [A-Z]/, 0.6],
    ],
    spaces: ['errno-libuv', 'mqtt5', 'connack311', 'errno-linux', 'ws-close', 'http'],
    entryPrefixes: ['mqttjs.', 'node.', 'ws.'],
    client: 'mqttjs',
    source:
      'https://github.com/mqttjs/MQTT.js/blob/main/src/lib/client.ts; https://nodejs.org/api/errors.html#common-system-errors',
  },
  {
    id: 'node-red',
    title: 'Node-RED',
    shapes: [[/\[(?:info|warn|error)\] \[mqtt-broker:|\[mqtt (?:in|out):|\bnode-red\b|Node-RED version/i, 1]],
    spaces: ['errno-libuv', 'connack311', 'mqtt5'],
    entryPrefixes: ['mqttjs.', 'node.', 'node-red.'],
    source:
      'https://github.com/node-red/node-red/blob/master/packages/node_modules/@node-red/nodes/core/network/10-mqtt.js (the MQTT nodes use MQTT.js, so its numbers are MQTT.js/Node numbers)',
  },
  {
    id: 'zigbee2mqtt',
    title: 'Zigbee2MQTT',
    shapes: [
      [/\bZigbee2MQTT:(?:info|warn|warning|error|debug)\b|\bz2m(?::mqtt)?:/, 1],
      // Its own MQTT texts (lib/mqtt.ts) in the level-first console layout some builds print ("error 08-01-2024
      // 10:02:49: MQTT error: …", timestamp_format is configurable).
      [/^(?:error|warn|info|debug)\s{1,2}[\d./-]{8,10} [\d:]{8}: MQTT (?:error: |failed to connect)/, 0.8],
    ],
    spaces: ['errno-libuv', 'connack311', 'mqtt5'],
    entryPrefixes: ['mqttjs.', 'node.', 'zigbee2mqtt.'],
    source:
      'https://github.com/Koenkk/zigbee2mqtt/blob/master/lib/mqtt.ts (uses MQTT.js, so its numbers are MQTT.js/Node numbers)',
  },
  {
    id: 'home-assistant',
    title: 'Home Assistant MQTT integration',
    shapes: [
      [/\bhomeassistant\.components\.mqtt\b|\[homeassistant\.components\.mqtt(?:\.client)?\]/, 1],
      // Its own warnings (components/mqtt/client.py), pasted without the logger name.
      [
        /\bNo ACK from MQTT server in \d{1,4} seconds|\bTimed out waiting for mid \d{1,6}|\bFailed to connect (?:to MQTT server )?due to exception: /,
        0.8,
      ],
      // Its connect/disconnect callbacks: "Unable to connect to the MQTT broker: <paho connack_string>" and
      // "Disconnected from MQTT server %s:%s (%s)" with Paho's rc.
      [/\bUnable to connect to the MQTT broker: |\bDisconnected from MQTT server \S{1,300} \(-?\d{1,3}\)/, 0.9],
    ],
    // Home Assistant's MQTT integration is built on Paho Python: its numbers are Paho's.
    spaces: ['paho-python', 'connack311', 'mqtt5', 'errno-linux'],
    entryPrefixes: ['paho-python.', 'home-assistant.'],
    source:
      'https://github.com/home-assistant/core/blob/dev/homeassistant/components/mqtt/client.py (built on paho-mqtt, so its rc numbers are Paho Python MQTTErrorCode / CONNACK codes)',
  },
  {
    id: 'paho-go',
    title: 'Eclipse Paho Go',
    // Older releases printed "Network Error : …" with a capital N (packets/connack.go ConnErrors).
    shapes: [[/\bpaho\.mqtt\.golang\b|\bpingresp not received\b|\b[Nn]etwork Error : |\bnot Connected\b/, 0.9]],
    spaces: ['paho-go', 'connack311'],
    entryPrefixes: ['paho-go.'],
    client: 'paho-go',
    source: 'https://github.com/eclipse/paho.mqtt.golang/blob/master/packets/packets.go; ping.go',
  },
  {
    id: 'go',
    title: 'Go runtime (net, crypto/x509)',
    shapes: [
      [
        /\bdial tcp \S{1,300}: |\bx509: |\bread tcp \S{1,300}->\S{1,300}: |\bwrite tcp \S{1,300}->|\blookup \S{1,253} on \S{1,60}: /,
        0.9,
      ],
      // crypto/tls errors carry a "tls: " prefix (conn.go, alert.go: "remote error: tls: bad certificate").
      [
        /\bremote error: tls: |\btls: (?:first record does not look like|handshake failure|bad record MAC|unsupported)/,
        0.8,
      ],
    ],
    spaces: [],
    entryPrefixes: ['go.', 'errno.', 'tls.'],
    source:
      'https://pkg.go.dev/net#OpError; https://pkg.go.dev/crypto/x509#UnknownAuthorityError; https://github.com/golang/go/blob/master/src/crypto/tls/alert.go',
  },
  {
    id: 'paho-c',
    title: 'Eclipse Paho C / C++',
    shapes: [
      [/\bMQTTClient_\w{3,30}|\bMQTTAsync_\w{3,30}|\bMQTTCLIENT_\w{3,30}|\bMQTTASYNC_\w{3,30}|\bmqtt::exception\b/, 1],
      // paho.mqtt.cpp's exception::what(): "MQTT error [rc]: message" (src/mqtt/exception.h).
      [/\bMQTT error \[-?\d{1,3}\]: /, 0.9],
      // Its trace ("Posting connect semaphore for client … rc …", src/MQTTClient.c) and its sample programs'
      // "Failed to connect, return code %d" (src/samples/MQTTClient_publish.c).
      [/\bPosting connect semaphore for client |\bFailed to connect, return code -?\d{1,3}\b/, 0.8],
    ],
    spaces: ['paho-c', 'connack311', 'mqtt5'],
    entryPrefixes: ['paho-c.'],
    source: 'https://github.com/eclipse/paho.mqtt.c/blob/master/src/MQTTClient.h; src/MQTTAsync.h',
  },
  {
    id: 'mqttnet',
    title: 'MQTTnet (.NET)',
    shapes: [
      [
        /\bMQTTnet\b|\bMqttCommunication(?:TimedOut)?Exception\b|\bMqttConnectingFailedException\b|\bMqttClientDisconnectedException\b|\bMqttClientConnectResultCode\b|\bMqttClientNotConnectedException\b/,
        1,
      ],
      // Its packet classes by name, whoever's logger prints the line.
      [/Timeout while waiting for packet of type '?Mqtt\w{2,20}Packet/, 0.9],
      // Its logger's source names in brackets (MqttNetLogger): "[MqttPacketDispatcher] [Warning]: …".
      [
        /\[(?:MqttPacketDispatcher|ManagedMqttClient|MqttClient|MqttChannelAdapter)\] \[(?:Verbose|Info|Warning|Error)\]/,
        0.9,
      ],
    ],
    spaces: ['mqtt5', 'connack311', 'errno-wsa'],
    entryPrefixes: ['mqttnet.'],
    source: 'https://github.com/dotnet/MQTTnet/tree/master/Source/MQTTnet/Exceptions',
  },
  {
    id: 'dotnet',
    title: '.NET sockets',
    shapes: [
      [
        /\bSystem\.Net\.Sockets\.SocketException\b|\bSocketException \(\d{1,5}\)|\bSystem\.IO\.IOException\b|\bSystem\.Security\.Authentication\.AuthenticationException\b/,
        0.9,
      ],
    ],
    // SocketException prints the native error: WSA numbers on Windows, errno on Linux (the text decides).
    spaces: ['errno-wsa', 'errno-linux'],
    entryPrefixes: ['errno.', 'tls.'],
    source:
      'https://learn.microsoft.com/en-us/dotnet/api/system.net.sockets.socketerror; https://learn.microsoft.com/en-us/windows/win32/winsock/windows-sockets-error-codes-2',
  },
  {
    id: 'aws-crt',
    title: 'AWS IoT Device SDK v2 / aws-c-mqtt (CRT)',
    shapes: [
      [
        /\bAWS_ERROR_\w{3,60}|\bAWS_IO_\w{3,60}|\bawscrt\b|\baws-c-(?:mqtt|io|http)\b|\bAwsCrtError\b|\bCrtRuntimeException\b/,
        1,
      ], // The CRT's own log line: "[ERROR] [2019-01-30T02:41:07Z] [0000007f47fff120] [dns] - " (aws-c-common
      // source/logging.c: level, ISO time, thread id in hex, subject).
      [
        /^\[(?:TRACE|DEBUG|INFO|WARN|ERROR|FATAL)\] ?\[\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z\] \[[0-9a-f]{4,16}\] \[[a-z0-9-]{2,40}\] - /,
        0.9,
      ],
    ],
    spaces: [],
    entryPrefixes: ['aws-crt.'],
    source: 'https://github.com/awslabs/aws-c-mqtt/blob/main/source/mqtt.c (AWS_ERROR_MQTT_* strings)',
  },
  {
    id: 'azure-iot',
    title: 'Azure IoT SDKs / IoT Hub',
    shapes: [
      [
        /\bMicrosoft\.Azure\.Devices\b|\bazure\.iot\.device\b|\bazure-iot-device\b|\bIotHub\w{0,30}Exception\b|\bIoT ?Hub\b|\bazure-iot-sdk/i,
        0.9,
      ],
      // The C SDK's enum names (iothub_client_core_common.h): IOTHUB_CLIENT_CONNECTION_EXPIRED_SAS_TOKEN, IOTHUB_CLIENT_CONFIRMATION_OK.
      [/\bIOTHUB_CLIENT_[A-Z_]{2,60}\b/, 1],
    ],
    // The Python device SDK runs on paho-mqtt and logs Paho's rc ("mqtt_transport: disconnected with result code: 7").
    spaces: ['azure', 'connack311', 'mqtt5', 'paho-python', 'http'],
    entryPrefixes: ['azure-iot.'],
    source:
      'https://learn.microsoft.com/en-us/azure/iot-hub/troubleshoot-error-codes; https://github.com/Azure/azure-iot-sdk-python/blob/main/azure-iot-device/azure/iot/device/common/mqtt_transport.py (paho rc in "disconnected with result code")',
  },
  {
    id: 'rabbitmq',
    title: 'RabbitMQ MQTT plugin',
    shapes: [
      // Erlang process ids (<0.1193.0>) mark a RabbitMQ (or other Erlang) log line.
      [/<\d{1,6}\.\d{1,9}\.\d{1,9}>/, 0.6],
      [
        /\brabbit_mqtt\w{0,30}\b|\bMQTT (?:connection|protocol error|login failed|vhost|detected|disconnecting duplicate)|\brabbitmq\b/i,
        0.8,
      ],
      // Its AMQP channel errors, which the MQTT plugin's connections raise too (rabbit_channel.erl).
      [/\bchannel exception access_refused\b|\bChannel error on connection <\d/, 0.7],
    ],
    spaces: ['connack311', 'mqtt5'],
    entryPrefixes: ['rabbitmq.'],
    source:
      'https://github.com/rabbitmq/rabbitmq-server/tree/main/deps/rabbitmq_mqtt/src (rabbit_mqtt_reader.erl, rabbit_mqtt_processor.erl log texts)',
  },
  {
    id: 'emqx',
    title: 'EMQX broker (structured logs)',
    shapes: [
      [
        /\bemqx\b|\bmsg: [a-z_]{3,60}\b|"msg"\s{0,2}:\s{0,2}"[a-z_]{3,60}"|\bclientid: \S{1,256}|\bpeername: \S{1,64}|\breason: \{?(?:shutdown|takenover|discarded|kicked)/i,
        0.8,
      ],
      // EMQX 4.x text logs: "clientid@ip:port [MQTT] Shutdown for …" (src/emqx_connection.erl).
      [/@\S{1,64}:\d{1,5} \[MQTT\] (?:Shutdown for|Terminated for|Force to close the socket|RECV|SEND)\b/, 0.8],
      // EMQX 3.x tags by module ([Channel], [Protocol], [Connection]); EMQX 2.x-5.x name their own Erlang modules
      // (esockd_connection_sup, emqx_connection, emqttd_client) in supervisor and crash reports.
      [/\[(?:Channel|Protocol|Connection)\] (?:Terminated for|Shutdown for|RECV|SEND)\b/, 0.8],
      // EMQX 3.x/4.x login refusals and frame errors (emqx_channel.erl, emqx_connection.erl).
      [/\[(?:Channel|Protocol)\] Client \S{1,256} \(Username: '|\[MQTT\][ ,]{0,4}Parse failed for /, 0.8],
      [/\besockd_connection(?:_sup)?\b|\bemqx_(?:connection|channel|ws_connection)\b|\bemqttd_\w{3,30}\b/, 0.9],
      // EMQ 2.x prefixes client lines with "Client(clientid@ip:port): " (seen in https://github.com/emqx/emqx-auth-pgsql/issues/88).
      [/^Client\([^()\s]{1,300}@[^()\s]{1,100}\): /, 0.7],
      // Its client connected/disconnected event payloads ($SYS/brokers/…/clients/…, rule engine events): JSON with
      // "clientid", "proto_name" and "connack" — the CONNACK reason code in MQTT 5 numbering (emqx_reason_codes.erl).
      [/"connack"\s{0,2}:\s{0,2}\d{1,3}\b[^\n]{0,400}"proto_name"|"proto_name"[^\n]{0,400}"connack"\s{0,2}:/, 0.9],
    ],
    spaces: ['mqtt5', 'connack311'],
    entryPrefixes: ['emqx.'],
    source:
      'https://github.com/emqx/emqx/blob/master/apps/emqx/src/emqx_channel.erl; https://docs.emqx.com/en/emqx/latest/observability/log.html',
  },
  {
    id: 'hivemq-broker',
    title: 'HiveMQ broker',
    shapes: [
      [
        /\bhivemq\.log\b|\bcom\.hivemq\.(?!client)\w|\bClient ID: \S{1,256},? (?:IP: ?\S{1,64} )?(?:was disconnected|disconnected)|\bHiveMQ (?:Edge|Community|Enterprise|Start)/,
        0.9,
      ],
    ],
    spaces: ['mqtt5', 'connack311'],
    entryPrefixes: ['hivemq-broker.'],
    source:
      'https://docs.hivemq.com/hivemq/latest/user-guide/logging.html; https://hivemq.atlassian.net/wiki/spaces/KB/pages/733446532 (event.log lines)',
  },
  {
    id: 'vernemq',
    title: 'VerneMQ broker',
    shapes: [
      [/\bvmq_\w{3,40}\b|\bvernemq\b/i, 0.9],
      // Its own log texts (vmq_mqtt_fsm.erl, vmq_ranch.erl) and its subscriber id term {MountPoint,<<"ClientId">>}.
      [
        /\bcan't authenticate client \{|\bcan't auth (?:publish|subscribe) \[|\bsession stopped abnormally due to\b|\bstopped connected session, due to\b|\bstopped due to keepalive expired\b|\bclient \{\[\],<<"/,
        0.9,
      ],
    ],
    spaces: ['mqtt5', 'connack311'],
    entryPrefixes: ['vernemq.'],
    source: 'https://github.com/vernemq/vernemq/blob/main/apps/vmq_server/src/vmq_mqtt5_fsm.erl',
  },
  {
    id: 'umqtt',
    title: 'MicroPython umqtt',
    shapes: [
      [/\bumqtt\b|\bMQTTException\b|\bmicropython\b/i, 0.9],
      // MicroPython raises OSError with the bare newlib errno ("OSError: 113"); CPython adds "[Errno n] text".
      [/\bOSError:? ?\(?-?\d{1,5}\)?\s{0,4}$/, 0.7],
    ],
    spaces: ['connack311', 'errno-newlib', 'umqtt'],
    entryPrefixes: ['umqtt.', 'errno.esp32'],
    client: 'umqtt',
    source:
      'https://github.com/micropython/micropython-lib/blob/master/micropython/umqtt.simple/umqtt/simple.py; https://docs.micropython.org/en/latest/library/errno.html (OSError carries the errno number)',
  },
  {
    id: 'rumqtt',
    title: 'rumqtt / rumqttc (Rust)',
    shapes: [
      // rumqttc's MQTT 3.1.1 event loop refuses a CONNACK with "Broker rejected. Reason = {:?}" (the Debug name of
      // its v4 ConnectReturnCode: NotAuthorized, BadUserNamePassword, ServiceUnavailable…); the older rumqtt logs
      // from its module path "rumqtt::client::connection" with "MqttConnectionRefused(5)".
      [/\bBroker rejected\. Reason = [A-Z][A-Za-z]{2,40}\b/, 0.9],
      [/\brumqtt[cd]?::|\bMqttConnectionRefused\(\d{1,3}\)/, 0.9],
    ],
    spaces: ['connack311', 'errno-linux'],
    entryPrefixes: ['connack311.'],
    source:
      'https://github.com/bytebeamio/rumqtt/blob/main/rumqttc/src/eventloop.rs ("Broker rejected. Reason = {:?}"); rumqttc/src/mqttbytes/v4/connack.rs (ConnectReturnCode); https://github.com/AtherEnergy/rumqtt/blob/master/src/client/connection.rs',
  },
];

export interface Fingerprint {
  emitter: Emitter;
  /** 0..1: how sure the shape makes us (the most specific shape that matched, plus a little for each other). */
  confidence: number;
  /** The text that gave it away. */
  matched: string;
}

/** The emitter a line most likely came from, or undefined when no shape matches ("unknown"). */
export function fingerprint(text: string): Fingerprint | undefined {
  let best: Fingerprint | undefined;
  for (const emitter of EMITTERS) {
    let top = 0;
    let extra = 0;
    let matched = '';
    for (const [re, weight] of emitter.shapes) {
      const m = re.exec(text);
      if (!m) continue;
      if (weight > top) {
        extra += top * 0.25;
        top = weight;
        matched = m[0];
      } else extra += weight * 0.25;
    }
    const confidence = Math.min(1, top + extra);
    if (confidence > 0 && (!best || confidence > best.confidence)) best = { emitter, confidence, matched };
  }
  return best;
}

/** The emitter `--client NAME` stands for ("unknown" → undefined). */
export function emitterForClient(client: ClientId): Emitter | undefined {
  return EMITTERS.find((e) => e.client === client);
}

/**
 * Catalogue prefixes of shared numberings and wordings (the operating system's errno, the MQTT specifications'
 * codes, a language runtime's exceptions): many programs print these words, so they name no one library.
 */
const SHARED_PREFIXES = new Set(['errno.', 'connack311.', 'mqtt5.', 'python.', 'java.', 'go.', 'node.', 'tls.']);

/**
 * The software whose own wording a catalogue row is (the first emitter that lists the row's prefix first), or
 * undefined for rows of shared numberings and wordings.
 */
export function wordingOwner(entryId: string): Emitter | undefined {
  for (const e of EMITTERS) {
    const own = e.entryPrefixes[0];
    if (own !== undefined && !SHARED_PREFIXES.has(own) && entryId.startsWith(own)) return e;
  }
  return undefined;
}
