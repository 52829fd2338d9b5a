/**
 * MQTT over WebSocket: close codes (RFC 6455 §7.4.1 and the IANA WebSocket Close Code registry) and HTTP
 * upgrade failures as the Node `ws` library reports them (`lib/websocket.js`: "Unexpected server response: N").
 * Reference §E5.
 */
import type { ClientId, KbEntry } from './entry.js';

const CLOSE_SRC = 'RFC 6455 §7.4.1; IANA WebSocket Close Code Number registry';
const WS_SRC = 'ws lib/websocket.js ("Unexpected server response"); RFC 9110 status codes';

const PATH_FIX: Partial<Record<ClientId, string>> = {
  mqttjs: 'put the path in the URL (wss://host:443/mqtt); MQTT.js defaults to "/"',
  'paho-python':
    'mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, transport="websockets"); client.ws_set_options(path="/mqtt")',
  'paho-java': 'use a ws:// or wss:// URI including the path, e.g. wss://host:443/mqtt',
  'paho-go': 'opts.AddBroker("wss://host:443/mqtt")',
  mosquitto: 'mosquitto listens for WebSocket on its own port with protocol websockets (any path)',
  esp32: 'esp_mqtt_client_config_t.broker.address.uri = "wss://host:443/mqtt" (or .path)',
};

type CloseRow = [code: number, name: string, causes: string[], fix: string, event?: 'disconnect'];

const CLOSE_ROWS: CloseRow[] = [
  [
    1000,
    'Normal Closure',
    ['Clean close by one side'],
    'Nothing to fix unless it was unexpected; then check the broker log.',
    'disconnect',
  ],
  [
    1001,
    'Going Away',
    ['Broker or proxy restarting', 'Browser page navigated away'],
    'Reconnect with backoff.',
    'disconnect',
  ],
  [
    1002,
    'Protocol Error',
    ['WebSocket framing violation by one side or a proxy'],
    'Update the WebSocket library; bypass the proxy to test.',
    'disconnect',
  ],
  [
    1003,
    'Unsupported Data',
    ['Text frame sent where MQTT needs binary frames'],
    'Send MQTT as binary frames.',
    'disconnect',
  ],
  [
    1005,
    'No Status Received',
    ['Close frame without a status code (reserved, never sent)'],
    'Look at the side that closed.',
    'disconnect',
  ],
  [
    1006,
    'Abnormal Closure',
    [
      'The TCP connection dropped without a close frame: upgrade refused, TLS failure, idle load balancer/NAT cut, keepalive kill',
      'Browsers report almost every failure as 1006; look at the network tab or the broker log',
    ],
    'Find the real failure with a probe; keep the MQTT keepalive below the proxy idle timeout.',
    'disconnect',
  ],
  [1007, 'Invalid frame payload data', ['Invalid UTF-8 in a text frame'], 'Use binary frames.', 'disconnect'],
  [
    1008,
    'Policy Violation',
    ['Authentication or policy rejection by the WebSocket endpoint'],
    'Check credentials / signed URL / authorizer.',
    'disconnect',
  ],
  [
    1009,
    'Message Too Big',
    ['Frame larger than the server limit (API Gateway: 32 KB frames)'],
    'Send smaller messages or raise the limit.',
    'disconnect',
  ],
  [
    1010,
    'Mandatory Extension',
    ['Extension negotiation failed'],
    'Disable or align WebSocket extensions.',
    'disconnect',
  ],
  [1011, 'Internal Error', ['Server hit an unexpected condition'], 'Check the broker/proxy log.', 'disconnect'],
  [1012, 'Service Restart', ['Server is restarting'], 'Reconnect with backoff and jitter.', 'disconnect'],
  [1013, 'Try Again Later', ['Server overloaded'], 'Reconnect with backoff and jitter.', 'disconnect'],
  [
    1014,
    'Bad Gateway',
    ['A gateway got an invalid response upstream'],
    'Check the proxy → broker connection.',
    'disconnect',
  ],
  [
    1015,
    'TLS handshake failure',
    ['TLS failed before the WebSocket opened (reserved, never sent)'],
    'Diagnose TLS with a probe.',
    'disconnect',
  ],
];

function closeEntry([code, name, causes, fix, event]: CloseRow): KbEntry {
  return {
    id: `ws.close.${code}`,
    layer: 'ws',
    title: `WebSocket close code ${code} "${name}"`,
    names: [],
    patterns: [new RegExp(`\\b(close[d]?|code)\\D{0,20}\\b${code}\\b`, 'i')],
    numbers: [['ws-close', code]],
    causes,
    confirm: 'mqtt-doctor probe wss://HOST:443/mqtt --verbose',
    fix,
    ...(event ? { event } : {}),
    source: CLOSE_SRC,
  };
}

type HttpRow = [status: number, causes: string[], fix: string];

const HTTP_ROWS: HttpRow[] = [
  [
    200,
    [
      'A plain web server answered without upgrading: wrong port or path (a dashboard or web UI instead of the MQTT WebSocket listener)',
    ],
    'Use the broker WebSocket port and path (often 8083/8084 or 443 with /mqtt).',
  ],
  [301, ['Redirect, usually http→https: ws:// used where the server wants wss://'], 'Use wss:// and the final URL.'],
  [
    302,
    ['Redirect to another URL or a login page (reverse proxy with authentication)'],
    'Use the final URL; exempt the MQTT path from web login.',
  ],
  [
    400,
    [
      'Missing or wrong Sec-WebSocket-Protocol (must be "mqtt") or upgrade headers',
      'Plain HTTP client to a WebSocket endpoint',
    ],
    'Send subprotocol "mqtt" and a proper upgrade request.',
  ],
  [
    401,
    ['Authentication required: missing or bad signed URL / token', 'AWS SigV4 signature wrong or expired'],
    'Refresh credentials; check the clock (SigV4 is time-limited).',
  ],
  [
    403,
    ['Forbidden: custom authorizer, IP restriction or expired pre-signed URL'],
    'Check the authorizer/policy and URL signature.',
  ],
  [
    404,
    ['Wrong path: MQTT.js defaults to "/", EMQX/HiveMQ/AWS IoT expect "/mqtt", Azure IoT Hub "/$iothub/websocket"'],
    'Use the broker path in the URL, usually /mqtt.',
  ],
  [
    426,
    ['Upgrade Required: the server wants a WebSocket (or other protocol) upgrade'],
    'Connect with ws:// or wss:// and proper headers.',
  ],
  [
    502,
    ['Reverse proxy cannot reach the broker WebSocket listener'],
    'Check the proxy upstream (broker port, protocol websockets).',
  ],
  [503, ['Broker behind the proxy is down or overloaded'], 'Check broker health; retry with backoff.'],
  [504, ['Proxy timed out waiting for the broker'], 'Check the proxy upstream and its timeouts.'],
];

function httpEntry([status, causes, fix]: HttpRow): KbEntry {
  return {
    id: `ws.http.${status}`,
    layer: 'ws',
    title: `WebSocket upgrade refused with HTTP ${status}`,
    names: [],
    patterns: [new RegExp(`Unexpected server response:? ${status}\\b`, 'i'), new RegExp(`HTTP/1\\.1 ${status}\\b`)],
    numbers: [['http', status]],
    causes,
    confirm: 'mqtt-doctor probe wss://HOST:443/mqtt --verbose',
    fix,
    fixFor: PATH_FIX,
    event: 'refused',
    source: WS_SRC,
  };
}

const OTHER: KbEntry[] = [
  {
    id: 'ws.invalid-upgrade',
    layer: 'ws',
    title: 'Server answered without a WebSocket upgrade',
    patterns: [/Invalid Upgrade header/i, /Invalid Sec-WebSocket-Accept header/i],
    causes: [
      'A plain HTTP server or proxy answered instead of the broker WebSocket listener',
      'Proxy strips the Upgrade/Connection headers',
    ],
    confirm: 'mqtt-doctor probe ws://HOST:PORT/mqtt --verbose',
    fix: 'Point at the broker WebSocket listener; configure the proxy to pass Upgrade and Connection headers.',
    source: WS_SRC,
  },
  {
    id: 'ws.subprotocol',
    layer: 'ws',
    title: 'WebSocket subprotocol mismatch',
    patterns: [/Server sent (no|an invalid) subprotocol/i, /Server sent a subprotocol but none was requested/i],
    causes: [
      'Broker did not echo "mqtt" in Sec-WebSocket-Protocol',
      'Client requested "mqttv3.1" (MQTT 3.1) from a broker expecting "mqtt"',
    ],
    confirm: 'mqtt-doctor probe ws://HOST:PORT/mqtt --verbose',
    fix: 'Use subprotocol "mqtt" (MQTT 3.1.1/5, spec §6).',
    source: WS_SRC + '; MQTT 3.1.1 §6 / 5.0 §6',
  },
  {
    id: 'ws.mqttjs-websocket-error',
    layer: 'ws',
    title: 'MQTT.js in a browser: "WebSocket error" (details hidden by the browser)',
    names: [],
    patterns: [/^\s*(Error:\s*)?WebSocket error\b/im],
    causes: [
      'Upgrade refused (404 wrong path, 401/403 auth)',
      'TLS failure (certificate not trusted by the browser)',
      'Mixed content (ws:// from an https:// page) or CORS/proxy',
    ],
    confirm: 'mqtt-doctor probe wss://HOST:443/mqtt --verbose',
    fix: 'Use wss:// from https pages, the right path (/mqtt), and a certificate the browser trusts.',
    fixFor: PATH_FIX,
    source: 'https://github.com/mqttjs/MQTT.js/blob/main/src/lib/connect/ws.ts',
  },
];

export const WEBSOCKET_ENTRIES: KbEntry[] = [...CLOSE_ROWS.map(closeEntry), ...HTTP_ROWS.map(httpEntry), ...OTHER];
