/**
 * How each client library pings and gives up, and a snippet that applies keepalive-tune's numbers in that
 * library's own terms. Each row names the library's public repository and the files its defaults and ping
 * logic come from. The snippet text is ours.
 */

export type ClientLibId = 'mqttjs' | 'paho-python' | 'paho-go' | 'paho-java' | 'umqtt' | 'mosquitto-cli';

/** The numbers a snippet applies (seconds unless named otherwise). */
export interface SnippetSettings {
  host: string;
  port: number;
  secure: boolean;
  keepaliveS: number;
  pingTimeoutS: number;
  connectTimeoutS: number;
  backoff: { minS: number; maxS: number; factor: number; jitterPct: number; resetAfterS: number };
  tcpKeepalive: { idleS: number; intervalS: number; count: number };
  willTopic: string;
}

export interface ClientLib {
  id: ClientLibId;
  title: string;
  defaultKeepaliveS: number;
  /** Can the PINGRESP wait be set independently of the keepalive? */
  pingTimeoutSettable: boolean;
  /** How long the library really waits for PINGRESP with these settings (s). */
  pingWaitS(keepaliveS: number, pingTimeoutS: number): number;
  /** How late after K the ping may leave, because of the library's timer granularity (s). */
  lateByS(keepaliveS: number): number;
  /** Smallest non-zero keepalive the library accepts. */
  minKeepaliveS: number;
  /** One line on this library's ping semantics, for the report. */
  semantics: string;
  source: string;
  snippet(s: SnippetSettings): string;
}

/** Worst-case time for the client to notice a dead link after its last packet (s). */
export function clientDetectionS(lib: ClientLib, keepaliveS: number, pingTimeoutS: number): number {
  return keepaliveS + lib.lateByS(keepaliveS) + lib.pingWaitS(keepaliveS, pingTimeoutS);
}

const ms = (s: number) => Math.round(s * 1000);

export const CLIENT_LIBS: readonly ClientLib[] = [
  {
    id: 'mqttjs',
    title: 'MQTT.js 5',
    defaultKeepaliveS: 60,
    pingTimeoutSettable: false,
    // Timer ticks every K/2; the ping goes out on the 2nd tick and the 3rd tick without an answer fails.
    pingWaitS: (k) => k / 2,
    lateByS: () => 0,
    minKeepaliveS: 1,
    semantics:
      'pings K after the last reschedule and gives up at 1.5 × K, so it waits only 0.5 × K for PINGRESP; no ping timeout option, no backoff (fixed reconnectPeriod), no TCP keepalive',
    source: 'https://github.com/mqttjs/MQTT.js src/lib/KeepaliveManager.ts, src/lib/client.ts, src/lib/connect/tcp.ts',
    snippet: (s) => `import mqtt from 'mqtt';

// MQTT.js waits only 0.5 × keepalive for PINGRESP: ${s.keepaliveS / 2} s here,
// the path needs ${s.pingTimeoutS} s${s.keepaliveS / 2 < s.pingTimeoutS ? ' (TOO SHORT: expect false "Keepalive timeout" errors)' : ''}.
const client = mqtt.connect('${s.secure ? 'mqtts' : 'mqtt'}://${s.host}:${s.port}', {
  keepalive: ${s.keepaliveS},
  connectTimeout: ${ms(s.connectTimeoutS)},
  // MQTT.js only knows a fixed delay: back off by hand below.
  reconnectPeriod: 0,
  will: {
    topic: '${s.willTopic}',
    payload: 'offline',
    qos: 1,
    retain: true,
  },
});

let attempt = 0;
let upSince = 0;
client.on('connect', () => {
  upSince = Date.now();
  // MQTT.js leaves TCP keepalive off; with it on, Node probes every 1 s,
  // 10 times, after the idle delay.
  client.stream.setKeepAlive?.(true, ${ms(s.tcpKeepalive.idleS)});
});
client.on('close', () => {
  if (client.disconnecting || client.disconnected) return; // end() was called
  // It was stable: start the backoff over.
  if (upSince && Date.now() - upSince >= ${ms(s.backoff.resetAfterS)}) attempt = 0;
  upSince = 0;
  const base = Math.min(${s.backoff.maxS}, ${s.backoff.minS} * ${s.backoff.factor} ** attempt++);
  const delay = base * (1 + ${s.backoff.jitterPct / 100} * (2 * Math.random() - 1));
  setTimeout(() => {
    if (!client.disconnecting && !client.disconnected) client.reconnect();
  }, delay * 1000);
});`,
  },
  {
    id: 'paho-python',
    title: 'Paho Python 2.x',
    defaultKeepaliveS: 60,
    pingTimeoutSettable: false,
    // Gives up when no PINGRESP came within K of the ping (`now − ping_t ≥ keepalive`).
    pingWaitS: (k) => k,
    lateByS: () => 0,
    minKeepaliveS: 1,
    semantics:
      'pings when either direction was idle for K and waits K for PINGRESP, so detection takes about 2 × K; backoff doubles from min to max, no jitter',
    source:
      'https://github.com/eclipse-paho/paho.mqtt.python src/paho/mqtt/client.py _check_keepalive, reconnect_delay_set',
    snippet: (s) => `import socket
import paho.mqtt.client as mqtt

# Paho waits a whole keepalive (${s.keepaliveS} s) for PINGRESP, longer than the
# ${s.pingTimeoutS} s ping timeout: fine, only slower to notice.
client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2)
client.connect_timeout = ${s.connectTimeoutS}
# Doubles from min to max; no jitter.
client.reconnect_delay_set(min_delay=${s.backoff.minS}, max_delay=${s.backoff.maxS})
client.will_set("${s.willTopic}", "offline", qos=1, retain=True)

def on_connect(client, userdata, flags, reason_code, properties):
    sock = client.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
    tcp = socket.IPPROTO_TCP  # the three options below are Linux's
    sock.setsockopt(tcp, socket.TCP_KEEPIDLE, ${s.tcpKeepalive.idleS})
    sock.setsockopt(tcp, socket.TCP_KEEPINTVL, ${s.tcpKeepalive.intervalS})
    sock.setsockopt(tcp, socket.TCP_KEEPCNT, ${s.tcpKeepalive.count})

client.on_connect = on_connect
${s.secure ? 'client.tls_set()\n' : ''}client.connect("${s.host}", ${s.port}, keepalive=${s.keepaliveS})
client.loop_forever(retry_first_connection=True)`,
  },
  {
    id: 'paho-go',
    title: 'paho.mqtt.golang',
    defaultKeepaliveS: 30,
    pingTimeoutSettable: true,
    pingWaitS: (_k, pt) => pt,
    // ping.go checks every 5 s when K > 10 s, otherwise every K/4.
    lateByS: (k) => (k > 10 ? 5 : k / 4),
    minKeepaliveS: 1,
    semantics:
      'checks every 5 s (K/4 when K ≤ 10 s), pings after K idle and waits PingTimeout, a fixed 10 s unless set; reconnect doubles from 1 s up to MaxReconnectInterval, no jitter',
    source: 'https://github.com/eclipse/paho.mqtt.golang options.go NewClientOptions, ping.go, backoff.go',
    snippet: (s) => `opts := mqtt.NewClientOptions().
	AddBroker("${s.secure ? 'ssl' : 'tcp'}://${s.host}:${s.port}").
	SetKeepAlive(${s.keepaliveS} * time.Second).
	// PingTimeout's default is a fixed 10 s, whatever the keepalive.
	SetPingTimeout(${s.pingTimeoutS} * time.Second).
	SetConnectTimeout(${s.connectTimeoutS} * time.Second).
	SetAutoReconnect(true).
	// Starts at 1 s and doubles; add fleet jitter yourself.
	SetMaxReconnectInterval(${s.backoff.maxS} * time.Second).
	SetConnectRetry(true).
	SetConnectRetryInterval(${s.backoff.minS} * time.Second).
	SetWill("${s.willTopic}", "offline", 1, true).
	// KeepAliveConfig needs Go ≥ 1.23.
	SetDialer(&net.Dialer{
		Timeout:         ${s.connectTimeoutS} * time.Second,
		KeepAliveConfig: net.KeepAliveConfig{
			Enable:   true,
			Idle:     ${s.tcpKeepalive.idleS} * time.Second,
			Interval: ${s.tcpKeepalive.intervalS} * time.Second,
			Count:    ${s.tcpKeepalive.count},
		},
	})
client := mqtt.NewClient(opts)`,
  },
  {
    id: 'paho-java',
    title: 'Paho Java v3',
    defaultKeepaliveS: 60,
    pingTimeoutSettable: false,
    // ClientState.checkForActivity: a ping outstanding with no inbound traffic for K fails.
    pingWaitS: (k) => k,
    lateByS: () => 0,
    minKeepaliveS: 1,
    semantics:
      'pings when inbound or outbound was idle for K and fails when the ping stays unanswered for K (about 2 × K in all); automatic reconnect is off by default and doubles from 1 s to maxReconnectDelay',
    source:
      'https://github.com/eclipse/paho.mqtt.java MqttConnectOptions.java, internal/ClientState.java checkForActivity',
    snippet: (s) => `MqttConnectOptions o = new MqttConnectOptions();
// The PINGRESP wait is also about K: there is no separate timeout.
o.setKeepAliveInterval(${s.keepaliveS});
o.setConnectionTimeout(${s.connectTimeoutS});
o.setAutomaticReconnect(true); // off by default
// In ms; starts at 1 s and doubles, no jitter.
o.setMaxReconnectDelay(${ms(s.backoff.maxS)});
o.setWill("${s.willTopic}", "offline".getBytes(), 1, true);
MqttAsyncClient c = new MqttAsyncClient(
    "${s.secure ? 'ssl' : 'tcp'}://${s.host}:${s.port}", clientId, new MemoryPersistence());
c.connect(o);
// TCP keepalive: Paho Java has no option. Set the host's sysctls
// net.ipv4.tcp_keepalive_time=${s.tcpKeepalive.idleS}, tcp_keepalive_intvl=${s.tcpKeepalive.intervalS},
// tcp_keepalive_probes=${s.tcpKeepalive.count}, or use a custom SocketFactory.`,
  },
  {
    id: 'umqtt',
    title: 'MicroPython umqtt.simple',
    defaultKeepaliveS: 0,
    pingTimeoutSettable: true,
    pingWaitS: (_k, pt) => pt,
    // The loop below checks once a second.
    lateByS: () => 1,
    minKeepaliveS: 1,
    semantics:
      'never pings by itself (default keepalive 0) and has no PINGRESP timeout: the application must call ping() and time the answer',
    source: 'https://github.com/micropython/micropython-lib micropython/umqtt.simple/umqtt/simple.py',
    snippet: (s) => `import time
from umqtt.simple import MQTTClient

c = MQTTClient(client_id, "${s.host}", port=${s.port},
               keepalive=${s.keepaliveS}${s.secure ? ', ssl=ssl_ctx' : ''})
c.set_last_will("${s.willTopic}", "offline", retain=True, qos=1)
c.set_callback(on_message)
c.connect()
last_ping = time.time()
while True:
    c.check_msg()  # handles incoming PUBLISH; returns at once
    # umqtt never pings by itself.
    if time.time() - last_ping >= ${s.keepaliveS}:
        c.ping()
        last_ping = time.time()
        deadline = last_ping + ${s.pingTimeoutS}
        while True:  # wait_msg() returns None for PINGRESP
            left = deadline - time.time()
            if left <= 0:
                # Dead link: reconnect with backoff ${s.backoff.minS}..${s.backoff.maxS} s.
                raise OSError("no PINGRESP")
            # wait_msg() resets blocking mode after each read.
            c.sock.settimeout(left)
            if c.wait_msg() is None:
                break
    time.sleep(1)`,
  },
  {
    id: 'mosquitto-cli',
    title: 'mosquitto_sub / mosquitto_pub',
    defaultKeepaliveS: 60,
    pingTimeoutSettable: false,
    // libmosquitto gives up when more than 1.5 × K passes without a response.
    pingWaitS: (k) => k / 2,
    lateByS: () => 0,
    minKeepaliveS: 5,
    semantics: 'keepalive must be 0 or ≥ 5 s; gives up after 1.5 × K without a response; reconnects after a fixed 1 s',
    source: 'https://github.com/eclipse/mosquitto lib/connect.c, lib/mosquitto.c, man/mosquitto_sub.1.xml',
    snippet: (s) =>
      `mosquitto_sub -h ${s.host} -p ${s.port}${s.secure ? ' --capath /etc/ssl/certs' : ''} \\
  -k ${Math.max(5, s.keepaliveS)} -t 'sensors/#' \\
  --will-topic '${s.willTopic}' \\
  --will-payload offline --will-qos 1 --will-retain` +
      (s.keepaliveS < 5
        ? `\n# libmosquitto refuses keepalive below 5 s: ${s.keepaliveS} s is not possible\n# with the CLI tools.`
        : ''),
  },
];

export function getClientLib(id: ClientLibId): ClientLib {
  const lib = CLIENT_LIBS.find((l) => l.id === id);
  if (!lib) throw new Error(`no client library ${id}`);
  return lib;
}
