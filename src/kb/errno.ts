/**
 * Socket and resolver errors by name and by number on each platform. Numbers: Linux asm-generic/errno.h,
 * macOS/BSD sys/errno.h, Windows winsock2.h (WSA*), libuv include/uv/errno.h (negative numbers Node reports as
 * err.errno on Windows), newlib sys/errno.h (ESP32 / MicroPython OSError). Meanings and causes:
 * https://nodejs.org/api/errors.html#common-system-errors and the headers above; wording is ours.
 */
import type { KbEntry, NumberSpace } from './entry.js';

type Nums = Partial<Record<'linux' | 'macos' | 'wsa' | 'libuv' | 'newlib', number>>;

const SRC = 'Linux errno.h; BSD sys/errno.h; winsock2.h; libuv include/uv/errno.h; newlib sys/errno.h';

function nums(n: Nums): Array<[NumberSpace, number]> {
  const out: Array<[NumberSpace, number]> = [];
  if (n.linux !== undefined) out.push(['errno-linux', n.linux]);
  if (n.macos !== undefined) out.push(['errno-macos', n.macos]);
  if (n.wsa !== undefined) out.push(['errno-wsa', n.wsa]);
  if (n.libuv !== undefined) out.push(['errno-libuv', n.libuv]);
  if (n.newlib !== undefined) out.push(['errno-newlib', n.newlib]);
  return out;
}

const RECONNECT_FIX = {
  mqttjs:
    'reconnectPeriod (fixed 1000 ms by default, no backoff): raise it or wrap connect in your own backoff with jitter',
  'paho-python': 'client.reconnect_delay_set(min_delay=1, max_delay=120) and loop_forever(retry_first_connection=True)',
  'paho-java': 'MqttConnectOptions.setAutomaticReconnect(true) and setMaxReconnectDelay(...)',
  'paho-go': 'opts.SetAutoReconnect(true), opts.SetConnectRetry(true), opts.SetMaxReconnectInterval(...)',
  mosquitto: 'mosquitto_reconnect_delay_set(mosq, 1, 60, true)',
  umqtt: 'use umqtt.robust or catch OSError around connect() and retry with a growing delay',
  esp32: 'esp_mqtt_client_config_t.network.reconnect_timeout_ms (ESP-IDF) or your own retry loop',
} as const;

export const ERRNO_ENTRIES: KbEntry[] = [
  {
    id: 'errno.ECONNREFUSED',
    layer: 'tcp',
    title: 'Connection refused: the host answered the TCP SYN with a reset',
    names: ['ECONNREFUSED', 'WSAECONNREFUSED', 'UV_ECONNREFUSED', 'connection refused'],
    // "Connection Refused: not authorised." and friends are CONNACK refusals (mosquitto/Paho connack strings,
    // MQTT 3.1.1 §3.2.2.3; Paho Go packets/connack.go), not a TCP reset; Java's "Connection refused: connect" is the OS error.
    patterns: [
      /\bconnect ECONNREFUSED\b/i,
      /Connection refused(?!\s{0,2}[,:-]\s{0,2}(?:not authori[sz]ed|bad user ?name|user ?name or password|identifier rejected|client identifier|(?:broker|server) unavailable|unacceptable protocol|bad protocol))/i,
      /actively refused/i,
    ],
    numbers: nums({ linux: 111, macos: 61, wsa: 10061, libuv: -4078, newlib: 111 }),
    causes: [
      'Nothing listens on that host:port: wrong port (1883 plain, 8883 TLS, 443/8083/8084 WebSocket)',
      'The broker is down or restarting',
      'Mosquitto 2 without a listener binds to localhost only ("Starting in local only mode")',
      'A firewall rejects (not drops) the connection',
    ],
    confirm: 'mqtt-doctor probe tcp://HOST:PORT',
    fix: 'Use the port the broker really listens on; for mosquitto 2 add `listener 1883 0.0.0.0` (and an auth setting).',
    fixFor: RECONNECT_FIX,
    event: 'refused',
    source: SRC + '; mosquitto src/mosquitto.c (local only mode)',
  },
  {
    id: 'errno.ECONNRESET',
    layer: 'tcp',
    title: 'Connection reset by peer: the other side (or a middlebox) sent RST',
    names: ['ECONNRESET', 'WSAECONNRESET', 'connection reset by peer'],
    patterns: [/\bread ECONNRESET\b/i, /Connection reset by peer/i, /forcibly closed by the remote host/i],
    numbers: nums({ linux: 104, macos: 54, wsa: 10054, libuv: -4077, newlib: 104 }),
    causes: [
      'An idle NAT / load balancer mapping expired (AWS NAT gateway 350 s, Azure LB with TCP reset)',
      'The broker closed the client: duplicate client id, auth failure, malformed packet, keepalive timeout',
      'A TLS endpoint rejected the handshake by closing the socket',
      'TLS spoken to a plain listener (or plain MQTT to a TLS one): the broker drops what it cannot parse; match scheme and port (mqtt:// 1883, mqtts:// 8883)',
    ],
    confirm: 'mqtt-doctor soak mqtt://HOST:PORT --duration 10m --keepalive 30s',
    fix: 'Keep the keepalive below the shortest idle timeout on the path; check the broker log for why it closed.',
    fixFor: {
      mqttjs: 'keepalive (seconds) below the NAT/LB idle timeout, e.g. 30–60',
      'paho-python': 'client.connect(host, port, keepalive=30)',
      'paho-java': 'MqttConnectOptions.setKeepAliveInterval(30)',
      'paho-go': 'opts.SetKeepAlive(30 * time.Second)',
      mosquitto: 'mosquitto_connect(mosq, host, port, 30)',
      umqtt: 'MQTTClient(..., keepalive=30) and call client.ping() every < 30 s',
      esp32: 'esp_mqtt_client_config_t.session.keepalive = 30',
    },
    event: 'disconnect',
    source: SRC + '; Node doc/api/errors.md',
  },
  {
    id: 'errno.ETIMEDOUT',
    layer: 'tcp',
    title: 'Timed out: no answer to the SYN, or an established connection stopped being acknowledged',
    names: ['ETIMEDOUT', 'WSAETIMEDOUT', 'connection timed out'],
    // Java's SocketTimeoutException "connect timed out" is the same unanswered SYN (Paho Java wraps it in 32103/0).
    patterns: [/\bconnect ETIMEDOUT\b/i, /Connection timed out/i, /\bconnect timed out\b/i],
    numbers: nums({ linux: 110, macos: 60, wsa: 10060, libuv: -4039, newlib: 116 }),
    causes: [
      'A firewall silently drops the SYN (port blocked, security group, corporate network)',
      'Wrong IP address, or a host that is off',
      'On an established connection: retransmissions or TCP keepalive gave up (dead link, NAT dropped the flow silently)',
    ],
    confirm: 'mqtt-doctor probe tcp://HOST:PORT -c 5',
    fix: 'Open the port on every firewall in the path or use 443 (WebSocket/ALPN); check the address resolves to the broker.',
    fixFor: RECONNECT_FIX,
    event: 'disconnect',
    source: SRC,
  },
  {
    id: 'errno.EHOSTUNREACH',
    layer: 'tcp',
    title: 'No route to host',
    names: ['EHOSTUNREACH', 'WSAEHOSTUNREACH', 'no route to host'],
    patterns: [/\bEHOSTUNREACH\b/, /No route to host/i],
    numbers: nums({ linux: 113, macos: 65, wsa: 10065, libuv: -4073, newlib: 118 }),
    causes: [
      'Link down or Wi-Fi/cellular not attached yet',
      'Host in another subnet without a route, VPN down',
      'ICMP host-unreachable from a router or firewall',
    ],
    confirm: 'mqtt-doctor probe tcp://HOST:PORT',
    fix: 'Wait for the network (connect after the link is up), fix routing/VPN, or use the broker address reachable from this network.',
    source: SRC,
  },
  {
    id: 'errno.ENETUNREACH',
    layer: 'tcp',
    title: 'Network unreachable: no route to that network',
    names: ['ENETUNREACH', 'WSAENETUNREACH', 'network is unreachable'],
    patterns: [/\bENETUNREACH\b/, /Network is unreachable/i],
    numbers: nums({ linux: 101, macos: 51, wsa: 10051, libuv: -4062, newlib: 114 }),
    causes: [
      'An IPv6 address was tried on a host without IPv6 connectivity',
      'No default route (interface not configured)',
    ],
    confirm: 'mqtt-doctor probe mqtt://HOST:PORT --verbose',
    fix: 'Prefer IPv4 (connect by an A record / family 4) or fix the default route.',
    source: SRC,
  },
  {
    id: 'errno.ENETDOWN',
    layer: 'tcp',
    title: 'Network is down: the local interface is down',
    names: ['ENETDOWN', 'WSAENETDOWN'],
    numbers: nums({ linux: 100, macos: 50, wsa: 10050, libuv: -4063, newlib: 115 }),
    causes: ['Interface down (Wi-Fi lost, modem detached)', 'Laptop suspended or network manager restarting'],
    confirm: 'mqtt-doctor probe tcp://HOST:PORT',
    fix: 'Reconnect after the interface is back; add backoff so the retry loop does not spin.',
    fixFor: RECONNECT_FIX,
    source: SRC,
  },
  {
    id: 'errno.EPIPE',
    layer: 'tcp',
    title: 'Broken pipe: wrote to a connection the peer already closed',
    names: ['EPIPE', 'broken pipe'],
    patterns: [/\bwrite EPIPE\b/i, /Broken pipe/i],
    numbers: nums({ linux: 32, macos: 32, libuv: -4047, newlib: 32 }),
    causes: [
      'The broker closed silently first (keepalive timeout, takeover, auth) and the client wrote afterwards',
      'A middlebox dropped the flow',
    ],
    confirm: 'mqtt-doctor soak mqtt://HOST:PORT --duration 5m',
    fix: 'Find why the peer closed (broker log); make the client detect the close before writing (keepalive).',
    event: 'disconnect',
    source: SRC,
  },
  {
    id: 'errno.ECONNABORTED',
    layer: 'tcp',
    title: 'Connection aborted by the local network stack',
    names: ['ECONNABORTED', 'WSAECONNABORTED', 'software caused connection abort'],
    patterns: [/\bECONNABORTED\b/, /Software caused connection abort/i],
    numbers: nums({ linux: 103, macos: 53, wsa: 10053, libuv: -4079, newlib: 113 }),
    causes: [
      'Windows: the local stack gave up (retransmission timeout) or antivirus/firewall killed the socket',
      'ESP32/lwIP: the connection control block died (Wi-Fi dropped, peer vanished)',
    ],
    confirm: 'mqtt-doctor soak mqtt://HOST:PORT --duration 5m',
    fix: 'Treat as a lost connection: reconnect with backoff; on ESP32 check Wi-Fi signal and power saving.',
    fixFor: RECONNECT_FIX,
    event: 'disconnect',
    source: SRC,
  },
  {
    id: 'errno.EADDRNOTAVAIL',
    layer: 'tcp',
    title: 'Address not available',
    names: ['EADDRNOTAVAIL', 'WSAEADDRNOTAVAIL', 'cannot assign requested address'],
    patterns: [/Cannot assign requested address/i],
    numbers: nums({ linux: 99, macos: 49, wsa: 10049, libuv: -4090, newlib: 125 }),
    causes: [
      'Ephemeral ports exhausted by a reconnect storm (sockets in TIME_WAIT)',
      'Binding to a local address this host does not have',
    ],
    confirm: 'mqtt-doctor soak mqtt://HOST:PORT --reconnect exp:1s..60s+jitter',
    fix: 'Slow down reconnects (backoff with jitter); do not bind to a fixed local address.',
    fixFor: RECONNECT_FIX,
    source: SRC,
  },
  {
    id: 'errno.EADDRINUSE',
    layer: 'tcp',
    title: 'Address already in use: the port is taken',
    names: ['EADDRINUSE', 'WSAEADDRINUSE', 'address already in use'],
    patterns: [/\blisten EADDRINUSE\b/i, /Address already in use/i],
    numbers: nums({ linux: 98, macos: 48, wsa: 10048, libuv: -4091, newlib: 112 }),
    causes: [
      'Another broker (or an old instance) already listens on the port',
      'Two listeners configured on the same port',
    ],
    confirm: 'mqtt-doctor probe tcp://127.0.0.1:PORT',
    fix: 'Stop the other process or change the listener port.',
    source: SRC,
  },
  {
    id: 'errno.ENOTCONN',
    layer: 'tcp',
    title: 'Socket is not connected',
    names: ['ENOTCONN', 'WSAENOTCONN'],
    // strerror(ENOTCONN): newlib/lwIP and BSD "Socket is not connected", glibc "Transport endpoint is not connected".
    patterns: [/\bSocket is not connected\b/i, /\bTransport endpoint is not connected\b/i],
    numbers: nums({ linux: 107, macos: 57, wsa: 10057, libuv: -4053, newlib: 128 }),
    causes: ['Used a socket after it was closed or before connect finished'],
    confirm: 'mqtt-doctor probe mqtt://HOST:PORT',
    fix: 'Only publish after the connect callback; reconnect before use.',
    source:
      SRC +
      '; newlib libc/string/strerror.c and glibc sysdeps/gnu/errlist (strerror texts: "Socket is not connected", "Transport endpoint is not connected")',
  },
  {
    id: 'errno.EPROTO',
    layer: 'tls',
    title: 'Protocol error (often a TLS failure surfaced as errno)',
    names: ['EPROTO'],
    patterns: [/\bEPROTO\b/],
    numbers: nums({ linux: 71, macos: 100, libuv: -4046 }),
    causes: [
      'TLS client connected to a plain port (older Node reported "wrong version number" as EPROTO)',
      'A proxy speaks a different protocol',
    ],
    confirm: 'mqtt-doctor probe mqtts://HOST:8883',
    fix: 'Match scheme and port: mqtt:// to 1883, mqtts:// to 8883.',
    source: SRC,
  },
  {
    id: 'errno.EINPROGRESS',
    layer: 'tcp',
    title: 'Operation in progress (non-blocking connect not finished)',
    names: ['EINPROGRESS'],
    numbers: nums({ linux: 115, macos: 36, newlib: 119 }),
    causes: ['Non-blocking connect still running; on ESP32 often reported when a connect times out'],
    confirm: 'mqtt-doctor probe tcp://HOST:PORT',
    fix: 'Wait for the socket to become writable, or give connect a timeout and retry.',
    source: SRC,
  },
  {
    id: 'errno.EACCES',
    layer: 'tcp',
    title: 'Permission denied on a socket operation',
    names: ['EACCES', 'WSAEACCES', 'permission denied'],
    patterns: [/\blisten EACCES\b/i],
    numbers: nums({ linux: 13, macos: 13, wsa: 10013, libuv: -4092, newlib: 13 }),
    causes: [
      'Binding a port below 1024 without privileges',
      'A local firewall or SELinux policy forbids the connection',
    ],
    confirm: 'mqtt-doctor probe tcp://HOST:PORT',
    fix: 'Use a port ≥ 1024 or grant CAP_NET_BIND_SERVICE; check local security policy.',
    source: SRC,
  },
  {
    id: 'errno.EMFILE',
    layer: 'tcp',
    title: 'Too many open files',
    names: ['EMFILE', 'too many open files'],
    patterns: [/Too many open files/i],
    numbers: nums({ linux: 24, macos: 24, libuv: -4066, newlib: 24 }),
    causes: [
      'Process file-descriptor limit reached: many clients, or sockets leaked by a reconnect loop',
      'Broker hitting ulimit -n',
    ],
    confirm: 'mqtt-doctor soak mqtt://HOST:PORT --clients 100',
    fix: 'Raise ulimit -n (and the broker service LimitNOFILE); close sockets on reconnect.',
    source: SRC,
  },
  {
    id: 'errno.ENOBUFS',
    layer: 'tcp',
    title: 'No buffer space available',
    names: ['ENOBUFS', 'WSAENOBUFS'],
    numbers: nums({ linux: 105, macos: 55, wsa: 10055, libuv: -4060, newlib: 105 }),
    causes: [
      'Kernel or lwIP out of socket buffers (ESP32 with too many sockets or big messages)',
      'Windows ephemeral ports exhausted',
    ],
    confirm: 'mqtt-doctor soak mqtt://HOST:PORT --payload-size 1k',
    fix: 'Fewer simultaneous sockets, smaller messages; on ESP32 raise LWIP buffer settings.',
    source: SRC,
  },
  {
    id: 'errno.ENOTFOUND',
    layer: 'dns',
    title: 'DNS name not found (getaddrinfo EAI_NONAME / EAI_NODATA)',
    names: ['ENOTFOUND', 'EAI_NONAME', 'EAI_NODATA', 'WSAHOST_NOT_FOUND', 'UV_EAI_NONAME', 'UV_EAI_NODATA'],
    patterns: [
      /getaddrinfo ENOTFOUND/i,
      /Name or service not known/i,
      /nodename nor servname provided/i,
      /No such host (?:is )?known/i,
    ],
    numbers: [
      ['errno-wsa', 11001],
      ['errno-libuv', -3008],
      ['errno-libuv', -3007],
    ],
    causes: [
      'Typo in the host name',
      'A private DNS name resolved from outside its network (or missing search domain)',
      'The device has no DNS server configured',
    ],
    confirm: 'mqtt-doctor probe mqtt://HOST:PORT --verbose',
    fix: 'Correct the name, or use the DNS server that knows it; test with the IP to separate DNS from TCP.',
    source: SRC + '; Node doc/api/errors.md (ENOTFOUND)',
  },
  {
    id: 'errno.EAI_AGAIN',
    layer: 'dns',
    title: 'Temporary DNS failure: the resolver did not answer',
    names: ['EAI_AGAIN', 'WSATRY_AGAIN', 'UV_EAI_AGAIN'],
    patterns: [/getaddrinfo EAI_AGAIN/i],
    numbers: [
      ['errno-wsa', 11002],
      ['errno-libuv', -3001],
    ],
    causes: [
      'Resolver unreachable (offline, VPN/DNS down, container without DNS)',
      'Rate-limited or overloaded DNS server',
    ],
    confirm: 'mqtt-doctor probe mqtt://HOST:PORT',
    fix: 'Retry with backoff; check /etc/resolv.conf or the device DNS settings.',
    fixFor: RECONNECT_FIX,
    source: SRC,
  },
  {
    id: 'errno.esp32-getaddrinfo',
    layer: 'dns',
    title: 'MicroPython on ESP32: getaddrinfo failed (OSError -202)',
    names: ['OSError: -202'],
    patterns: [/OSError:?\s*\(?-202\)?/],
    causes: ['Wi-Fi not connected yet when connect() runs', 'No DNS server from DHCP', 'Host name typo'],
    confirm: 'mqtt-doctor probe mqtt://HOST:PORT (from a PC on the same network)',
    fix: 'Wait for wlan.isconnected() before connecting; set DNS via wlan.ifconfig(); or use the broker IP.',
    fixFor: {
      umqtt: 'wait for network.WLAN(network.STA_IF).isconnected() before MQTTClient.connect()',
      esp32: 'wait for IP_EVENT_STA_GOT_IP before esp_mqtt_client_start()',
    },
    source:
      'lwIP src/include/lwip/netdb.h (EAI_FAIL 202), which MicroPython on ESP32 raises as OSError(-202) (https://github.com/micropython/micropython/blob/master/extmod/modlwip.c); the causes are field reports with no single public source',
  },
  {
    id: 'node.happy-eyeballs',
    layer: 'tcp',
    title: 'Node happy eyeballs: every address failed (AggregateError)',
    names: ['AggregateError', 'internalConnectMultiple'],
    patterns: [/AggregateError/, /internalConnectMultiple/],
    causes: [
      'Every resolved address refused or timed out (see the inner errors, e.g. ECONNREFUSED for ::1 and 127.0.0.1)',
      'High-latency link: Node gives each address but the last only 250 ms (autoSelectFamilyAttemptTimeout), so slow IPv6 attempts are abandoned',
    ],
    confirm: 'mqtt-doctor probe mqtt://HOST:PORT --verbose',
    fix: 'Fix the inner error; on slow links raise autoSelectFamilyAttemptTimeout or connect by an IPv4 literal.',
    // MQTT.js's tcp.ts calls net.createConnection({port, host, path}) only, so set Node's defaults.
    fixFor: {
      mqttjs:
        'MQTT.js does not pass socket options to net.connect: call net.setDefaultAutoSelectFamilyAttemptTimeout(2000) (or net.setDefaultAutoSelectFamily(false)) before connecting, or use an IPv4 address in the URL',
    },
    source: 'Node doc/api/net.md (autoSelectFamily, autoSelectFamilyAttemptTimeout 250 ms)',
  },
  {
    id: 'node.socket-connection-timeout',
    layer: 'tcp',
    title: 'Node: socket connection timeout during happy-eyeballs connect',
    names: ['ERR_SOCKET_CONNECTION_TIMEOUT'],
    causes: ['Every address attempt hit the per-attempt timeout (slow link, filtered port)'],
    confirm: 'mqtt-doctor probe tcp://HOST:PORT',
    fix: 'Check the port is open; on slow links raise autoSelectFamilyAttemptTimeout.',
    source: 'Node doc/api/errors.md (ERR_SOCKET_CONNECTION_TIMEOUT)',
  },
];
