/**
 * Emitters field engineers meet that the first catalogue lacked: Arduino PubSubClient's state() numbers,
 * mosquitto's queue-drop, ACL-denial and bridge lines, the AWS CRT (aws-c-mqtt) error names, and the runtime
 * exceptions of Java and Go that wrap a TLS or TCP failure. Each row cites the public file that defines the
 * code or prints the text; the causes and advice are ours, each with a command that confirms it.
 *
 * Also: message texts of other runtimes for rows that already exist (ALIASES), so "java.net.UnknownHostException"
 * and Go's "no such host" reach the DNS row instead of a new copy of it.
 */
import type { KbEntry } from './entry.js';

const PSC_SRC =
  'https://github.com/knolleary/pubsubclient/blob/master/src/PubSubClient.h (state codes); src/PubSubClient.cpp connect(), loop(), connected()';
const PSC_FIX = {
  esp32:
    'PubSubClient: client.setKeepAlive(s), client.setSocketTimeout(s), client.setBufferSize(bytes); call client.loop() often.',
};

/**
 * The state number as the two common printers put it in a line, so a log read without bare-number parsing still
 * finds it: PubSubClient's examples ("failed, rc=-2 try again in 5 seconds", examples/mqtt_esp8266/mqtt_esp8266.ino)
 * and Tasmota ("MQT: Connect failed to HOST:PORT, rc -2. Retry in 10 sec", where rc is the client's state()).
 * Only the library's own negative states: a positive rc is the CONNACK return code, which the connack311 rows read.
 */
function stateShape(n: number): RegExp {
  return new RegExp(`(?:\\bfailed, rc ?= ?|\\bConnect (?:FAILED|failed) to \\S{1,300}, rc )${n}\\b`);
}

const PUBSUBCLIENT: KbEntry[] = [
  {
    id: 'pubsubclient.MQTT_CONNECTION_TIMEOUT',
    layer: 'client',
    title:
      'PubSubClient state -4 MQTT_CONNECTION_TIMEOUT: no CONNACK within the socket timeout, or no answer to a PINGREQ within the keepalive',
    names: ['MQTT_CONNECTION_TIMEOUT'],
    patterns: [stateShape(-4)],
    numbers: [['pubsubclient', -4]],
    causes: [
      'connect(): the TCP connection opened but no CONNACK came within setSocketTimeout (15 s default): a TLS port reached with a plain WiFiClient, or a broker that is not MQTT on that port',
      'loop(): a PINGREQ went out and nothing came back within the keepalive (15 s default): the flow died silently (Wi-Fi, NAT) or loop() was not called often enough',
      'The sketch blocks (delay(), long sensor reads) so loop() runs less often than the keepalive',
    ],
    confirm:
      'mqtt-doctor probe mqtt://HOST:PORT --keepalive 15s (from a PC on the same network); mqtt-doctor keepalive-tune mqtt://HOST:PORT --discover-idle',
    fix: 'Call client.loop() at least every few seconds; match port and transport (WiFiClientSecure for 8883); raise setSocketTimeout for slow TLS handshakes.',
    fixFor: PSC_FIX,
    event: 'disconnect',
    source: PSC_SRC,
  },
  {
    id: 'pubsubclient.MQTT_CONNECTION_LOST',
    layer: 'tcp',
    title: 'PubSubClient state -3 MQTT_CONNECTION_LOST: the network client reported the connection closed',
    names: ['MQTT_CONNECTION_LOST'],
    patterns: [stateShape(-3)],
    numbers: [['pubsubclient', -3]],
    causes: [
      'The broker closed the connection: another device uses the same client id (takeover), keepalive exceeded, not authorised for a topic (MQTT 5 / some brokers), or a packet too large',
      'Wi-Fi dropped or the access point / NAT dropped the idle flow',
      'A publish larger than the buffer (setBufferSize, 256 bytes default) is not sent at all (publish() returns false): not this code, but often seen next to it',
    ],
    confirm:
      'mqtt-doctor explain-error --file broker.log (the broker says why it closed); mqtt-doctor soak mqtt://HOST:PORT --duration 10m',
    fix: 'Read the broker log at that time; give each device a unique client id; keep loop() running; reconnect with a growing delay.',
    fixFor: PSC_FIX,
    event: 'disconnect',
    source: PSC_SRC,
  },
  {
    id: 'pubsubclient.MQTT_CONNECT_FAILED',
    layer: 'tcp',
    title: 'PubSubClient state -2 MQTT_CONNECT_FAILED: the network connection (TCP or TLS) could not be opened',
    names: ['MQTT_CONNECT_FAILED'],
    patterns: [stateShape(-2)],
    numbers: [['pubsubclient', -2]],
    causes: [
      'Wrong broker host or port, or the broker is down / firewalled (connection refused or timed out)',
      'DNS failed, or Wi-Fi is up but has no IP / route yet',
      'TLS with WiFiClientSecure failed: CA certificate not set (setCACert) or wrong, fingerprint mismatch, clock not set so the certificate looks expired or not yet valid',
      'The broker is on localhost of another machine: "localhost" / 127.0.0.1 in the sketch points at the device itself',
    ],
    confirm:
      'mqtt-doctor probe mqtt://HOST:PORT (from a PC on the same network); openssl s_client -connect HOST:8883 -CAfile ca.pem for TLS',
    fix: 'Check host, port and scheme; for TLS set the CA (WiFiClientSecure.setCACert) and the clock (NTP) before connect().',
    fixFor: PSC_FIX,
    source: PSC_SRC,
  },
  {
    id: 'pubsubclient.MQTT_DISCONNECTED',
    layer: 'client',
    title: 'PubSubClient state -1 MQTT_DISCONNECTED: not connected (initial state, or after disconnect())',
    names: ['MQTT_DISCONNECTED'],
    patterns: [stateShape(-1)],
    numbers: [['pubsubclient', -1]],
    causes: ['connect() was never called or has not succeeded yet', 'The sketch called disconnect()'],
    confirm: 'mqtt-doctor probe mqtt://HOST:PORT',
    fix: 'Call connect() (and check its return value) before publish/subscribe.',
    fixFor: PSC_FIX,
    source: PSC_SRC,
  },
  ...[
    [
      1,
      'MQTT_CONNECT_BAD_PROTOCOL',
      'the broker refused the protocol version',
      'The broker does not accept MQTT 3.1.1 (PubSubClient default MQTT_VERSION 4), e.g. an old MQTT 3.1 broker',
    ],
    [
      2,
      'MQTT_CONNECT_BAD_CLIENT_ID',
      'the broker rejected the client id',
      'Empty or too long client id, or characters the broker refuses',
    ],
    [
      3,
      'MQTT_CONNECT_UNAVAILABLE',
      'the broker is unavailable',
      'The broker is up but not accepting clients (starting, overloaded, or a cloud service refusing)',
    ],
    [
      4,
      'MQTT_CONNECT_BAD_CREDENTIALS',
      'bad user name or password',
      'Wrong user name or password, or the broker wants a user name and none was sent',
    ],
    [
      5,
      'MQTT_CONNECT_UNAUTHORIZED',
      'not authorised',
      'Anonymous access is off (mosquitto 2.x default: allow_anonymous false) or the ACL / policy refuses this client',
    ],
  ].map(
    ([num, name, what, cause]): KbEntry => ({
      id: `pubsubclient.${String(name)}`,
      layer: 'mqtt',
      title: `PubSubClient state ${String(num)} ${String(name)}: CONNACK refusal, ${String(what)}`,
      names: [String(name)],
      numbers: [['pubsubclient', Number(num)]],
      causes: [String(cause)],
      confirm: 'mqtt-doctor probe mqtt://HOST:PORT -u USER -P PASS (the same credentials)',
      fix: 'The broker refused the CONNECT: fix the setting the cause names (credentials, client id, broker config).',
      fixFor: PSC_FIX,
      event: 'refused',
      source: PSC_SRC + '; the value is the CONNACK return code (MQTT 3.1.1 §3.2.2.3)',
    }),
  ),
];

const MOSQ = 'https://github.com/eclipse/mosquitto/blob/master/src';

const MOSQUITTO_MORE: KbEntry[] = [
  {
    id: 'mosquitto.queue-drop',
    layer: 'broker',
    title: 'mosquitto: "Outgoing messages are being dropped for client …" (its queue is full)',
    patterns: [/Outgoing messages are being dropped for client \S{1,256}/],
    causes: [
      'The client reads slower than messages arrive for it (slow consumer, blocked callback, small link)',
      'A persistent session (clean session off / session expiry) went offline and its queue filled: max_queued_messages (1000 by default) or max_queued_bytes reached',
      'A QoS 1/2 flood toward one subscriber with max_inflight_messages reached',
    ],
    confirm: 'mqtt-doctor soak mqtt://HOST:PORT --qos 1 --duration 5m',
    fix: 'Speed up or scale the consumer, subscribe to less, or raise max_queued_messages / max_queued_bytes in mosquitto.conf.',
    event: 'queue-drop',
    source: `${MOSQ}/database.c (db__message_insert: "Outgoing messages are being dropped for client %s.")`,
  },
  {
    id: 'mosquitto.denied-publish',
    layer: 'broker',
    title: 'mosquitto: "Denied PUBLISH from …" (the ACL refused a publish)',
    patterns: [/Denied PUBLISH from \S{1,256}/],
    causes: [
      'The user has no write access to that topic in the ACL file / dynamic-security role',
      'The client builds the wrong topic (prefix, client id or user name substituted wrongly in %c / %u patterns)',
    ],
    confirm: 'mqtt-doctor probe mqtt://HOST:PORT -u USER -P PASS (then publish to that topic as the same user)',
    fix: 'Grant write on the topic (acl_file "topic write …" / dynsec addRoleACL publishClientSend) or fix the topic the client uses.',
    event: 'acl-denied',
    source: `${MOSQ}/handle_publish.c ("Denied PUBLISH from %s (d%d, q%d, r%d, m%d, '%s', ... (%ld bytes))", logged at debug level)`,
  },
  {
    id: 'mosquitto.bridge-connect-failed',
    layer: 'tcp',
    title:
      'mosquitto bridge: the bridge connection to the remote broker failed or dropped ("Unable to connect to bridge", "Error creating bridge", "Socket error on client local.…")',
    // The bridge's own connection is named local.<remote client id> unless local_clientid is set (src/conf.c
    // snprintf "local.%s"), so a socket error on a local.* client is the bridge's link to the remote, not a client's.
    patterns: [
      /Unable to connect to bridge \S{1,256}/,
      /Error creating bridge: /,
      /Socket error on client local\.[^\s,]{1,256}, disconnecting/,
    ],
    causes: [
      'The remote broker closed the bridge connection right after CONNECT: it refused the credentials or client id, hit its connection or socket limit, or the TLS verification of the bridge failed',
      'The remote broker is unreachable from this host (address, port, firewall, DNS)',
      'TLS settings of the bridge (bridge_cafile, bridge_insecure, certificates) do not match the remote',
      'The remote refuses the bridge credentials (remote_username / remote_password) or its client id',
    ],
    confirm: 'mqtt-doctor probe mqtts://REMOTE:8883 --ca bridge-ca.pem (from the bridging host)',
    fix: 'Check address, bridge_cafile and remote credentials in the connection block; the text after "Error creating bridge:" is the underlying error.',
    event: 'disconnect',
    source: `${MOSQ}/bridge.c ("Warning: Unable to connect to bridge %s.", "Error creating bridge: %s."); ${MOSQ}/conf.c (default local_clientid "local.%s")`,
  },
  {
    id: 'mosquitto.bridge-connecting',
    layer: 'broker',
    title: 'mosquitto bridge: "Connecting bridge …" (the bridge is (re)connecting)',
    patterns: [/Connecting bridge (?:\(step [12]\) )?\S{1,256} \(/],
    causes: [
      'Routine at start; repeated every few seconds it means the bridge connection keeps failing or being closed by the remote (see the lines that follow, and the remote broker log)',
    ],
    confirm: 'mqtt-doctor explain-error --file mosquitto.log (look for a regular pattern)',
    fix: 'If it repeats, read the remote broker log for why it closes the bridge (duplicate bridge client id is common).',
    event: 'connect',
    source: `${MOSQ}/bridge.c ("Connecting bridge %s (%s:%d)")`,
  },
];

const AWS_SRC = 'https://github.com/awslabs/aws-c-mqtt/blob/main/source/mqtt.c (error strings)';
const AWS_FAQ =
  'https://github.com/aws/aws-iot-device-sdk-cpp-v2/blob/main/documents/FAQ.md ("I keep getting AWS_ERROR_MQTT_UNEXPECTED_HANGUP")';
const AWS_CRT: KbEntry[] = [
  {
    id: 'aws-crt.AWS_ERROR_MQTT_UNEXPECTED_HANGUP',
    layer: 'broker',
    title: 'AWS CRT / IoT Device SDK v2: AWS_ERROR_MQTT_UNEXPECTED_HANGUP ("The connection was closed unexpectedly.")',
    names: ['AWS_ERROR_MQTT_UNEXPECTED_HANGUP'],
    patterns: [/The connection was closed unexpectedly\./],
    causes: [
      "AWS IoT closed it for the IoT policy: the certificate's policy does not allow iot:Connect for this client id, or iot:Publish/iot:Subscribe for the topic (AWS IoT disconnects on an unauthorised action)",
      'Another connection used the same client id (AWS IoT disconnects the older one)',
      'The certificate is inactive or not attached to a thing / policy',
    ],
    confirm:
      'mqtt-doctor probe mqtts://ENDPOINT:8883 --cert dev.pem --key dev.key --ca AmazonRootCA1.pem --client-id ID; then the AWS IoT logs (AWSIotLogsV2 in CloudWatch) for that client id',
    fix: 'Fix the IoT policy (client id and topic ARNs), use a unique client id per connection, and activate / attach the certificate.',
    event: 'disconnect',
    source: `${AWS_SRC}; ${AWS_FAQ}`,
  },
  {
    id: 'aws-crt.AWS_IO_TLS_ERROR_NEGOTIATION_FAILURE',
    layer: 'tls',
    title: 'AWS CRT (aws-c-io): AWS_IO_TLS_ERROR_NEGOTIATION_FAILURE ("TLS (SSL) negotiation failed")',
    names: ['AWS_IO_TLS_ERROR_NEGOTIATION_FAILURE'],
    patterns: [/TLS \(SSL\) negotiation failed/],
    causes: [
      'The broker certificate did not verify against the CA given (not AmazonRootCA1 for an ATS endpoint, or a wrong CA file)',
      'The device certificate / key pair is wrong, inactive or revoked, so the mutual-TLS handshake is refused',
      'A proxy or firewall intercepts port 8883/443, or the clock is wrong',
    ],
    confirm:
      'mqtt-doctor probe mqtts://ENDPOINT:8883 --cert dev.pem --key dev.key --ca AmazonRootCA1.pem --verbose; debug-level CRT logs (tls-handler) name the failing step',
    fix: 'Use the CA that issued the endpoint certificate, an active certificate with its own key, and a synced clock.',
    source:
      'https://github.com/awslabs/aws-c-io/blob/main/source/io.c (AWS_IO_TLS_ERROR_NEGOTIATION_FAILURE, "TLS (SSL) negotiation failed")',
  },
  {
    id: 'aws-crt.AWS_IO_DNS_INVALID_NAME',
    layer: 'dns',
    title:
      'AWS CRT (aws-c-io): AWS_IO_DNS_INVALID_NAME ("Host name was invalid for dns resolution."): the endpoint name did not resolve',
    names: ['AWS_IO_DNS_INVALID_NAME'],
    patterns: [/Host name was invalid for dns resolution/],
    causes: [
      'No network at that moment (the device is offline, Wi-Fi/cellular down), so no resolver answered',
      'The endpoint name is mistyped or belongs to another region/account (getaddrinfo EAI_NONAME)',
    ],
    confirm:
      "mqtt-doctor probe mqtts://ENDPOINT:8883 from the device's network (DNS is its first phase); getent hosts ENDPOINT on the device",
    fix: 'Check the network is up before connecting and copy the endpoint from the AWS IoT console (Settings).',
    source:
      'https://github.com/awslabs/aws-c-io/blob/main/source/io.c (AWS_IO_DNS_INVALID_NAME); source/posix/host_resolver.c (getaddrinfo EAI_NONAME → AWS_IO_DNS_INVALID_NAME)',
  },
  {
    id: 'aws-crt.AWS_IO_DNS_QUERY_FAILED',
    layer: 'dns',
    title:
      'AWS CRT (aws-c-io): AWS_IO_DNS_QUERY_FAILED ("A query to dns failed to resolve."): the resolver gave no answer',
    names: ['AWS_IO_DNS_QUERY_FAILED'],
    patterns: [/A query to dns failed to resolve/],
    causes: [
      'No DNS server reachable or configured on the device (getaddrinfo EAI_AGAIN: temporary failure in name resolution)',
      'A firewall blocks DNS, or the container/VM has no resolv.conf',
    ],
    confirm:
      "mqtt-doctor probe mqtts://ENDPOINT:8883 from the device's network (DNS is its first phase); cat /etc/resolv.conf on the device",
    fix: 'Give the device a working resolver (DHCP/resolv.conf) and check outbound DNS is allowed.',
    source:
      'https://github.com/awslabs/aws-c-io/blob/main/source/io.c (AWS_IO_DNS_QUERY_FAILED); source/posix/host_resolver.c (other getaddrinfo errors → AWS_IO_DNS_QUERY_FAILED)',
  },
  {
    id: 'aws-crt.AWS_ERROR_MQTT_TIMEOUT',
    layer: 'client',
    title: 'AWS CRT: AWS_ERROR_MQTT_TIMEOUT ("Time limit between request and response has been exceeded.")',
    names: ['AWS_ERROR_MQTT_TIMEOUT'],
    patterns: [/Time limit between request and response has been exceeded/],
    causes: [
      'No answer to a request (CONNACK, PUBACK, SUBACK, PINGRESP) within the operation / ping timeout: the path died silently or the service throttled',
      'The keepalive / ping timeout is shorter than the path latency',
    ],
    confirm: 'mqtt-doctor keepalive-tune mqtts://ENDPOINT:8883 --discover-idle',
    fix: 'Set keep_alive_secs and ping_timeout_ms (SDK v2 connection builder) to fit the path; reconnect with backoff.',
    event: 'disconnect',
    source: AWS_SRC,
  },
  {
    id: 'aws-crt.AWS_ERROR_MQTT_NOT_CONNECTED',
    layer: 'client',
    title: 'AWS CRT: AWS_ERROR_MQTT_NOT_CONNECTED (operation while the connection is not open)',
    names: ['AWS_ERROR_MQTT_NOT_CONNECTED'],
    patterns: [/The requested operation is invalid as the connection is not open/],
    causes: ['Publish / subscribe before connect() completed or after the connection dropped'],
    confirm: 'mqtt-doctor probe mqtts://ENDPOINT:8883',
    fix: 'Wait for the connection-success callback before operations; queue them while interrupted.',
    source: AWS_SRC,
  },
  {
    id: 'aws-crt.AWS_ERROR_MQTT_PROTOCOL_ERROR',
    layer: 'mqtt',
    title: 'AWS CRT: AWS_ERROR_MQTT_PROTOCOL_ERROR ("Protocol error occurred.")',
    names: ['AWS_ERROR_MQTT_PROTOCOL_ERROR'],
    causes: [
      'The service sent or the client decoded a packet that breaks the MQTT rules: often a proxy or a non-MQTT endpoint in the path, or an SDK bug',
    ],
    confirm: 'mqtt-doctor probe mqtts://ENDPOINT:8883 --verbose',
    fix: 'Check the endpoint (ATS data endpoint, port 8883 or 443 with ALPN x-amzn-mqtt-ca) and update the SDK.',
    source: AWS_SRC,
  },
  {
    id: 'aws-crt.AWS_ERROR_MQTT_CONNECTION_SHUTDOWN',
    layer: 'client',
    title: 'AWS CRT: AWS_ERROR_MQTT_CONNECTION_SHUTDOWN (operation interrupted by connection shutdown)',
    names: ['AWS_ERROR_MQTT_CONNECTION_SHUTDOWN'],
    patterns: [/MQTT operation interrupted by connection shutdown/],
    causes: [
      'The connection closed while the operation was in flight (see the error that closed it, often UNEXPECTED_HANGUP)',
    ],
    confirm: 'mqtt-doctor soak mqtts://ENDPOINT:8883 --duration 10m',
    fix: 'Explain the error that closed the connection; resend at-least-once operations after reconnect.',
    source: AWS_SRC,
  },
  {
    id: 'aws-crt.AWS_ERROR_MQTT_QUEUE_FULL',
    layer: 'client',
    title: 'AWS CRT: AWS_ERROR_MQTT_QUEUE_FULL ("MQTT request queue is full.")',
    names: ['AWS_ERROR_MQTT_QUEUE_FULL'],
    patterns: [/MQTT request queue is full/],
    causes: [
      'More operations queued than the client holds while offline or slow: publishing faster than the connection drains',
    ],
    confirm: 'mqtt-doctor soak mqtts://ENDPOINT:8883 --qos 1',
    fix: 'Publish slower or wait for completions; find why the connection is slow or offline.',
    source: AWS_SRC,
  },
];

const RUNTIMES: KbEntry[] = [
  {
    id: 'java.pkix-path',
    layer: 'tls',
    title:
      'Java: "PKIX path building failed … unable to find valid certification path to requested target" (the broker certificate is not trusted)',
    names: ['SunCertPathBuilderException'],
    // The last text is Android's for the same condition (its trust manager wraps CertPathValidatorException).
    patterns: [
      /PKIX path building failed/,
      /unable to find valid certification path to requested target/,
      /Trust anchor for certification path not found/,
    ],
    causes: [
      'The broker certificate chain ends in a CA that is not in the JVM trust store (a private CA, or a self-signed broker certificate)',
      'The broker sends only its own certificate without the intermediate CA',
      'A TLS-inspecting proxy replaced the certificate',
    ],
    confirm:
      'mqtt-doctor probe mqtts://HOST:8883 --ca ca.pem; openssl s_client -connect HOST:8883 -showcerts (see the chain)',
    fix: 'Trust the CA: a trust store with the CA (keytool -importcert) passed as javax.net.ssl.trustStore, or an SSLSocketFactory built from it; have the broker send the full chain.',
    source:
      'https://docs.oracle.com/en/java/javase/17/security/java-secure-socket-extension-jsse-reference-guide.html (troubleshooting: "unable to find valid certification path"); https://developer.android.com/privacy-and-security/security-ssl#CommonProblems ("Trust anchor for certification path not found")',
  },
  {
    id: 'go.io-timeout',
    layer: 'tcp',
    title: 'Go: "dial tcp …: i/o timeout" (the TCP connect got no answer in time)',
    patterns: [/\bdial tcp \S{1,300}: i\/o timeout/],
    causes: [
      'A firewall or security group drops the SYN (no RST: the connect just hangs)',
      'Wrong address (a host that does not exist on that network)',
      'The broker host is overloaded or the path loses packets',
    ],
    confirm: 'mqtt-doctor probe mqtt://HOST:PORT --connect-timeout 10s',
    fix: 'Open the port on the path (security group, firewall) or fix the address; set the client ConnectTimeout above the path RTT.',
    fixFor: { 'paho-go': 'opts.SetConnectTimeout(10 * time.Second)' },
    source: 'https://pkg.go.dev/net#Dialer (Timeout); https://pkg.go.dev/os#ErrDeadlineExceeded ("i/o timeout")',
  },
  {
    id: 'go.x509-unknown-authority',
    layer: 'tls',
    title: 'Go: "x509: certificate signed by unknown authority" (the broker certificate is not trusted)',
    patterns: [/x509: certificate signed by unknown authority/],
    causes: [
      'The CA of the broker certificate is not in the system pool or in tls.Config.RootCAs',
      'The broker sends its certificate without the intermediate',
      'A self-signed broker certificate',
    ],
    confirm: 'mqtt-doctor probe mqtts://HOST:8883 --ca ca.pem; openssl s_client -connect HOST:8883 -showcerts',
    fix: 'Load the CA into tls.Config.RootCAs (x509.NewCertPool + AppendCertsFromPEM) and pass it to the client.',
    fixFor: { 'paho-go': 'opts.SetTLSConfig(&tls.Config{RootCAs: pool})' },
    source: 'https://pkg.go.dev/crypto/x509#UnknownAuthorityError',
  },
];

/** More message texts for rows that exist: [entry id, pattern, where that text comes from]. */
export const ALIASES: ReadonlyArray<[string, RegExp, string]> = [
  [
    'tls.ssl.wrong-version-number',
    // Go's TLS client when the first bytes back are not a TLS record: a plain port (crypto/tls conn.go readRecordOrCCS).
    /\btls: first record does not look like a TLS handshake\b/,
    'https://github.com/golang/go/blob/master/src/crypto/tls/conn.go ("tls: first record does not look like a TLS handshake")',
  ],
  [
    'tls.x509.HOSTNAME_MISMATCH',
    // Go's host name check (crypto/x509 HostnameError.Error): the certificate names other hosts, has no IP SANs,
    // or (Go 1.15+) has only a Common Name, which Go no longer matches.
    /x509: certificate (?:is valid for \S{1,300}, not \S{1,253}|relies on legacy Common Name field|is not valid for any names)|x509: cannot validate certificate for \S{1,64} because it doesn't contain any IP SANs/,
    'https://github.com/golang/go/blob/master/src/crypto/x509/verify.go (HostnameError.Error)',
  ],
  [
    'errno.ENOTFOUND',
    // ESPHome's MQTT client when the broker name does not resolve (mqtt_client.cpp dns_found_callback).
    /\bCouldn't resolve IP address for '[^']{1,253}'/,
    "https://github.com/esphome/esphome/blob/dev/esphome/components/mqtt/mqtt_client.cpp (\"Couldn't resolve IP address for '%s'!\")",
  ],
  [
    'tls.x509.HOSTNAME_MISMATCH',
    // Java JSSE's host name check (sun.security.util.HostnameChecker): the certificate names another host or IP.
    /No subjectAltNames on the certificate match|No subject alternative (?:DNS )?names? matching \S{1,253} found/,
    'https://github.com/openjdk/jdk/blob/master/src/java.base/share/classes/sun/security/util/HostnameChecker.java',
  ],
  [
    'tls.ssl.tlsv13-alert-certificate-required',
    // The server side's words when the client sent no certificate to a listener that requires one: JSSE 8
    // "null cert chain", JSSE 11+ "Empty client certificate chain", OpenSSL 1.0/1.1 "peer did not return a certificate".
    /\bnull cert chain\b|\bEmpty client certificate chain\b|\bpeer did not return a certificate\b/i,
    'https://github.com/openjdk/jdk/blob/master/src/java.base/share/classes/sun/security/ssl/CertificateMessage.java ("Empty client certificate chain"); https://github.com/openssl/openssl/blob/OpenSSL_1_1_1-stable/crypto/err/openssl.txt (SSL_R_PEER_DID_NOT_RETURN_A_CERTIFICATE)',
  ],
  [
    // Netty-based brokers (HiveMQ, ActiveMQ Artemis, Moquette, ThingsBoard) log this when the first bytes on a TLS
    // port are not a TLS record: plain MQTT or HTTP to the TLS listener.
    'tls.ssl.packet-length-too-long',
    /\bNotSslRecordException: not an SSL\/TLS record/,
    'https://github.com/netty/netty/blob/4.1/handler/src/main/java/io/netty/handler/ssl/NotSslRecordException.java',
  ],
  [
    'errno.ENOTFOUND',
    /java\.net\.UnknownHostException/,
    'https://docs.oracle.com/en/java/javase/17/docs/api/java.base/java/net/UnknownHostException.html',
  ],
  [
    'errno.ENOTFOUND',
    /\blookup \S{1,253} on \S{1,60}: no such host/,
    'https://pkg.go.dev/net#DNSError ("no such host")',
  ],
  [
    'errno.ENOTFOUND',
    /\bName does not resolve\b/,
    'musl gai_strerror(EAI_NONAME), https://git.musl-libc.org/cgit/musl/tree/src/network/gai_strerror.c (Alpine images)',
  ],
  [
    'tls.ssl.tlsv1-alert-unknown-ca',
    /Received fatal alert: unknown_ca/,
    'https://docs.oracle.com/en/java/javase/17/docs/api/java.base/javax/net/ssl/SSLHandshakeException.html (JSSE alert names, RFC 8446 §6.2 unknown_ca)',
  ],
  [
    'errno.EAI_AGAIN',
    /Temporary failure in name resolution/i,
    'glibc gai_strerror(EAI_AGAIN), https://sourceware.org/git/?p=glibc.git;a=blob;f=sysdeps/posix/gai_strerror-strs.h',
  ],
  [
    'tls.ssl.sslv3-alert-handshake-failure',
    /Received fatal alert: handshake_failure/,
    'https://docs.oracle.com/en/java/javase/17/docs/api/java.base/javax/net/ssl/SSLHandshakeException.html (JSSE alert text)',
  ],
  [
    'errno.ETIMEDOUT',
    /java\.net\.SocketTimeoutException: (?:connect )?timed out/,
    'https://docs.oracle.com/en/java/javase/17/docs/api/java.base/java/net/SocketTimeoutException.html',
  ],
];

// Home Assistant's MQTT integration waits for the broker's ack of each publish/subscribe (components/mqtt/client.py).
const HOME_ASSISTANT: KbEntry[] = [
  {
    id: 'home-assistant.no-ack',
    layer: 'client',
    title:
      'Home Assistant MQTT: no ack from the broker for a message id ("No ACK from MQTT server", "Timed out waiting for mid")',
    patterns: [/No ACK from MQTT server in \d{1,4} seconds/, /Timed out waiting for mid \d{1,6}/],
    causes: [
      'The connection to the broker is down or half-open (the broker was restarted or the link died) and the client has not noticed yet',
      'The broker is overloaded and slow to answer',
    ],
    confirm: 'mqtt-doctor probe mqtt://HOST:PORT; then mqtt-doctor soak mqtt://HOST:PORT --qos 1 --duration 5m',
    fix: 'Check the broker is up and reachable; look for a disconnect just before; keep keepalive short enough to notice a dead link.',
    source:
      'https://github.com/home-assistant/core/blob/dev/homeassistant/components/mqtt/client.py ("No ACK from MQTT server in %s seconds (mid: %s)")',
  },
];

// ESPHome's MQTT client prints "MQTT Disconnected: <reason>" with AsyncMqttClient's reasons (TCP_DISCONNECTED first).
const ESPHOME: KbEntry[] = [
  {
    id: 'esphome.tcp-disconnected',
    layer: 'tcp',
    title: 'ESPHome / AsyncMqttClient: MQTT disconnected, reason TCP disconnected (the TCP connection closed)',
    names: ['TCP_DISCONNECTED'],
    // AsyncMqttClient / espMqttClient DisconnectReason TCP_DISCONNECTED, as firmwares print it ("reason: TCP
    // disconnect", "reason = TCP_DISCONNECTED", "MQTT Disconnected: TCP disconnected").
    patterns: [/MQTT Disconnected: TCP disconnected/i, /\breason ?[:=]? ?TCP[ _]disconnect(?:ed)?\b/i],
    causes: [
      'The broker closed the connection: duplicate client id (takeover), refused auth after connect, keepalive exceeded',
      'Wi-Fi dropped or the device was too busy (BLE scanning, long loops) to keep the connection serviced',
    ],
    confirm: 'mqtt-doctor soak mqtt://HOST:PORT --duration 10m (and read the broker log at the same second)',
    fix: 'Give each device a unique client id; check the broker log for the close reason; reduce blocking work on the device.',
    event: 'disconnect',
    source:
      'https://github.com/esphome/esphome/blob/dev/esphome/components/mqtt/mqtt_client.cpp ("MQTT Disconnected: %s"); https://github.com/marvinroger/async-mqtt-client/blob/develop/src/AsyncMqttClient/DisconnectReasons.hpp (TCP_DISCONNECTED); https://github.com/bertmelis/espMqttClient/blob/main/src/TypeDefs.h (DisconnectReason::TCP_DISCONNECTED)',
  },
];

// Node-RED's MQTT config node logs its connection state with the broker URL (locales/en-US/messages.json "state").
const NODE_RED_SRC =
  'https://github.com/node-red/node-red/blob/master/packages/node_modules/@node-red/nodes/locales/en-US/messages.json (mqtt.state: "Connected to broker", "Disconnected from broker", "Connection failed to broker"); core/network/10-mqtt.js';
const NODE_RED: KbEntry[] = [
  {
    id: 'node-red.connect-failed',
    layer: 'client',
    title: 'Node-RED MQTT: "Connection failed to broker" (the connection attempt failed; Node-RED retries every 15 s)',
    patterns: [/\bConnection failed to broker: \S{1,300}/],
    causes: [
      'The broker is down or unreachable at that address (device powered off, wrong or stale IP, container networking: localhost inside a container is the container)',
      'Wrong credentials or not authorised: Node-RED prints the same line for a CONNACK refusal',
      'TLS: wrong port for mqtts://, or the certificate does not name the address dialled (the line never mentions certificates)',
    ],
    confirm: 'mqtt-doctor probe mqtt://USER@HOST:PORT (the URL after the @ in the line)',
    fix: 'Check the broker is up at that URL; set user/password in the broker config node (Security tab); match scheme and port.',
    event: 'refused',
    source: NODE_RED_SRC,
  },
  {
    id: 'node-red.disconnected',
    layer: 'client',
    title: 'Node-RED MQTT: "Disconnected from broker" (an established connection was lost)',
    patterns: [/\bDisconnected from broker: \S{1,300}/],
    causes: [
      'The broker closed it: duplicate client id (two flows or instances with the same id), keepalive exceeded, broker restart',
      'The network path died (Wi-Fi, NAT idle timeout)',
    ],
    confirm: 'mqtt-doctor soak mqtt://HOST:PORT --duration 10m (and read the broker log at the same second)',
    fix: 'Give each Node-RED broker node a unique client id; read the broker log for the reason.',
    event: 'disconnect',
    source: NODE_RED_SRC,
  },
  {
    id: 'node-red.connected',
    layer: 'client',
    title: 'Node-RED MQTT: "Connected to broker"',
    patterns: [/\bConnected to broker: \S{1,300}/],
    causes: ['Normal connect (or reconnect)'],
    confirm: 'mqtt-doctor probe mqtt://HOST:PORT',
    fix: 'Nothing to fix.',
    event: 'connect',
    source: NODE_RED_SRC,
  },
];

// The Azure IoT C SDK reports connection changes as IOTHUB_CLIENT_CONNECTION_STATUS_REASON values
// (iothub_client/inc/iothub_client_core_common.h); the other Azure SDKs use the same names in their own casing.
const AZURE_C_SRC =
  'https://github.com/Azure/azure-iot-sdk-c/blob/main/iothub_client/inc/iothub_client_core_common.h (IOTHUB_CLIENT_CONNECTION_STATUS_REASON)';
const AZURE_CONNECTION: KbEntry[] = (
  [
    [
      'EXPIRED_SAS_TOKEN',
      'the SAS token the connection was opened with expired',
      [
        'Normal when it repeats at the token lifetime: IoT Hub closes the connection when the SAS token expires and the SDK reconnects with a new one',
        'The device clock is wrong (no SNTP), so every new token is already expired or lives much shorter than intended',
      ],
      'disconnect',
      'Sync the clock before connecting; if reconnects fail, lengthen the token lifetime (OPTION_SAS_TOKEN_LIFETIME) and check the retry policy.',
    ],
    [
      'BAD_CREDENTIAL',
      'IoT Hub refused the credentials',
      [
        'Wrong device key or connection string, or a device certificate the hub does not know',
        'The device clock is far off, so the SAS token is not yet valid or already expired',
      ],
      'refused',
      'Check the connection string / certificate for this device id, and the device clock.',
    ],
    [
      'DEVICE_DISABLED',
      'the device is disabled (or the hub refused it as if it were)',
      [
        'The device identity is disabled or deleted in IoT Hub',
        'Older SDKs reported an expired or rejected token this way',
      ],
      'refused',
      'Enable the device in IoT Hub, or update the SDK.',
    ],
    [
      'NO_NETWORK',
      'the network is down',
      ['No route / Wi-Fi or cellular link lost', 'DNS for the hub name failed'],
      'disconnect',
      'Check the network path to HUB.azure-devices.net:8883 (or 443 for MQTT over WebSockets).',
    ],
    [
      'COMMUNICATION_ERROR',
      'a transport (socket or TLS) error ended the connection',
      ['The TCP connection was reset or a TLS record failed', 'A proxy or firewall in the path cut the connection'],
      'disconnect',
      'Look at the transport error logged just before; keep the keepalive below middlebox idle timeouts.',
    ],
    [
      'NO_PING_RESPONSE',
      'no PINGRESP came back within the keepalive',
      [
        'The path died silently (NAT or firewall dropped the idle flow, radio link lost)',
        'The hub was unreachable for longer than the keepalive',
      ],
      'disconnect',
      'Keep the keepalive below the path idle timeout (mqtt-doctor keepalive-tune finds it).',
    ],
    [
      'RETRY_EXPIRED',
      'the retry policy gave up reconnecting',
      ['One of the reasons above lasted longer than the retry policy timeout'],
      'disconnect',
      'Fix the underlying reason; set a retry policy that never gives up on unattended devices.',
    ],
  ] as const
).map(
  ([reason, what, causes, event, fix]): KbEntry => ({
    id: `azure-iot.IOTHUB_CLIENT_CONNECTION_${reason}`,
    layer: 'client',
    title: `Azure IoT SDK connection status reason ${reason}: ${what}`,
    names: [`IOTHUB_CLIENT_CONNECTION_${reason}`],
    causes: [...causes],
    confirm: 'mqtt-doctor probe mqtts://HUB.azure-devices.net:8883 (TLS and reachability from the same network)',
    fix,
    event,
    source: AZURE_C_SRC,
  }),
);

export const FIELD_ENTRIES: KbEntry[] = [
  ...ESPHOME,
  ...PUBSUBCLIENT,
  ...MOSQUITTO_MORE,
  ...AWS_CRT,
  ...RUNTIMES,
  ...HOME_ASSISTANT,
  ...NODE_RED,
  ...AZURE_CONNECTION,
];
