/**
 * Broker-side evidence: mosquitto 1.x/2.x log lines, EMQX disconnect reasons, VerneMQ and RabbitMQ keepalive
 * lines, AWS IoT lifecycle `disconnectReason` values and Azure IoT Hub error numbers. Reference §B1, §B2.
 * `event` marks what the log timeline analysis counts (disconnects, takeovers, connects, restarts).
 */
import type { KbEntry } from './entry.js';

const TUNE = 'mqtt-doctor keepalive-tune mqtt://HOST:PORT --verify-broker';
const SOAK = 'mqtt-doctor soak mqtt://HOST:PORT --duration 10m';
const LOGS = 'mqtt-doctor explain-error --file broker.log';

const KA_CAUSES = [
  'The client sent nothing for 1.5 × its keepalive: network loop blocked, device asleep, or a client that never pings (umqtt.simple)',
  'A NAT or load balancer dropped the idle flow, so PINGREQs never arrived',
  'The link itself died (Wi-Fi/cellular loss) without a FIN/RST',
];
const KA_FIX =
  'Keep the client network loop running and choose a keepalive below the path idle timeout (keepalive-tune finds it).';
const TAKEOVER_CAUSES = [
  'Two devices or processes use the same client id and keep kicking each other off',
  'A client reconnected while its previous socket was still half-open (old connection is closed, harmless once)',
];
const TAKEOVER_FIX = 'Give each device a unique client id (e.g. derived from its MAC / serial).';

const MOSQ = 'https://github.com/eclipse/mosquitto/blob/master/src/loop.c';

export const BROKER_ENTRIES: KbEntry[] = [
  // ---- mosquitto ---------------------------------------------------------------------------------------
  {
    id: 'mosquitto.keepalive-exceeded',
    layer: 'broker',
    title: 'mosquitto: client exceeded its keepalive timeout (no packet for > 1.5 × keepalive)',
    // Later 2.0.x releases print the client's [address:port] after its id (src/loop.c, handle_connect.c); every
    // mosquitto "Client <id> …" row below accepts it.
    patterns: [/Client \S{1,256}(?: \[[^\]\s]{1,100}\])? has exceeded timeout, disconnecting/i],
    causes: [
      ...KA_CAUSES,
      'A broker bug when many clients are cut at once: mosquitto 2.0.21 disconnected clients early when max_keepalive was set (https://github.com/eclipse-mosquitto/mosquitto/issues/3226: 2.0.20, or a larger max_keepalive, avoided it)',
    ],
    confirm: TUNE,
    fix: KA_FIX,
    event: 'disconnect',
    source: MOSQ + ' (do_disconnect, MOSQ_ERR_KEEPALIVE); src/keepalive.c',
  },
  {
    id: 'mosquitto.takeover',
    layer: 'broker',
    title: 'mosquitto: session takeover (a new connection used the same client id)',
    patterns: [/Client \S{1,256}(?: \[[^\]\s]{1,100}\])? already connected, closing old connection/i],
    causes: TAKEOVER_CAUSES,
    confirm: LOGS,
    fix: TAKEOVER_FIX,
    event: 'takeover',
    source: 'https://github.com/eclipse/mosquitto/blob/master/src/handle_connect.c',
  },
  {
    id: 'mosquitto.socket-error',
    layer: 'broker',
    title: 'mosquitto 1.x: socket error on client (connection lost or reset)',
    // A bridge's own connection is named local.<remote client id> (src/conf.c): its socket errors are the bridge's.
    patterns: [/Socket error on client (?!local\.)[^\s,]{1,256}, disconnecting/i],
    causes: [
      'The client went away without DISCONNECT (process killed, network lost, NAT reset)',
      'Mosquitto ≤ 1.6 only: 2.0 logs "closed its connection" instead',
      'Mosquitto ≤ 1.6: a refused login (wrong user name or password) is logged only as "Socket error on client <unknown>" right after "New connection from"; 2.0 says "not authorised" (https://github.com/eclipse-mosquitto/mosquitto/issues/2329)',
    ],
    confirm: SOAK,
    fix: 'Look at the client side for why it dropped; keep the keepalive below NAT timeouts.',
    event: 'disconnect',
    source: 'https://github.com/eclipse/mosquitto/blob/v1.6.12/src/loop.c',
  },
  {
    id: 'mosquitto.closed-connection',
    layer: 'broker',
    title: 'mosquitto 2.x: client closed its connection without DISCONNECT',
    patterns: [/Client \S{1,256}(?: \[[^\]\s]{1,100}\])? closed its connection/i],
    causes: [
      'Client process exited or crashed without disconnecting',
      'Client dropped the socket after its own keepalive timeout or error',
      'A middlebox reset the flow',
    ],
    confirm: SOAK,
    fix: 'Check the client log at that time; disconnect cleanly on shutdown.',
    event: 'disconnect',
    source: 'https://github.com/eclipse/mosquitto/blob/v2.0.11/src/loop.c',
  },
  {
    id: 'mosquitto.disconnected',
    layer: 'broker',
    title: 'mosquitto: client disconnected cleanly (DISCONNECT received)',
    patterns: [/Client \S{1,256}(?: \[[^\]\s]{1,100}\])? disconnected\.\s*$/im],
    causes: ['Normal: the client called disconnect()'],
    confirm: SOAK,
    fix: 'Nothing to fix, unless the client was not supposed to stop.',
    event: 'disconnect',
    source: MOSQ + '',
  },
  {
    id: 'mosquitto.not-authorised',
    layer: 'broker',
    title: 'mosquitto: client disconnected, not authorised',
    // 2.0 wrote "disconnected, not authorised."; later 2.0.x write "disconnected: not authorised." after the address.
    patterns: [/Client \S{1,256}(?: \[[^\]\s]{1,100}\])? disconnected[,:] not authori[sz]ed\.?/i],
    causes: ['Bad or missing credentials (mosquitto 2: allow_anonymous false by default)', 'ACL denies the client'],
    confirm: 'mqtt-doctor probe mqtt://USER@HOST:PORT',
    fix: 'Configure password_file / ACL, or allow_anonymous true on a test broker.',
    event: 'refused',
    source: MOSQ + '; ChangeLog 2.0.0',
  },
  {
    id: 'mosquitto.protocol-error',
    layer: 'broker',
    title: 'mosquitto: client disconnected due to protocol error',
    // mosquitto 2.0 prints mosquitto_strerror(MOSQ_ERR_PROTOCOL) after "disconnected: " (src/loop.c do_disconnect).
    // A named client had sent its CONNECT, so the protocol broke after it; `<unknown>` (no CONNECT yet: a failed TLS
    // handshake, non-MQTT bytes) is left to mosquitto.disconnected-reason.
    patterns: [
      /Client \S{1,256}(?: \[[^\]\s]{1,100}\])? disconnected due to protocol error/i,
      /Client (?!<unknown>)\S{1,256}(?: \[[^\]\s]{1,100}\])? disconnected: Protocol error\./i,
    ],
    causes: [
      'TLS or HTTP spoken to a plain MQTT listener',
      'A packet the spec forbids: packet identifier 0 on a QoS 1/2 PUBLISH or a SUBSCRIBE (MQTT 3.1.1 §2.3.1), reserved flag bits set, a second CONNECT on the same connection (§3.1.0-2)',
      'Client library bug or unsupported MQTT version',
      'Port scanner / health check (a TCP check that sends nothing MQTT)',
    ],
    confirm: 'mqtt-doctor probe mqtt://HOST:PORT',
    fix: "Match scheme and port (mqtts:// to the TLS listener); otherwise capture the client's packets (tcpdump -i any port PORT -w x.pcap) and update the client library.",
    event: 'disconnect',
    source:
      MOSQ +
      '; http://docs.oasis-open.org/mqtt/mqtt/v3.1.1/os/mqtt-v3.1.1-os.html#_Toc398718025 (§2.3.1 packet identifier)',
  },
  {
    id: 'mosquitto.malformed-packet',
    layer: 'broker',
    title: 'mosquitto: client disconnected due to malformed packet',
    patterns: [/Client \S{1,256}(?: \[[^\]\s]{1,100}\])? disconnected due to malformed packet/i],
    causes: ['Corrupt or non-MQTT bytes (wrong protocol on the port)', 'Client bug'],
    confirm: 'mqtt-doctor probe mqtt://HOST:PORT',
    fix: 'Match scheme and port; update the client.',
    event: 'disconnect',
    source: MOSQ + '',
  },
  {
    id: 'mosquitto.oversize-packet',
    layer: 'broker',
    title: 'mosquitto: client disconnected due to oversize packet',
    patterns: [/Client \S{1,256}(?: \[[^\]\s]{1,100}\])? disconnected due to oversize packet/i],
    causes: ['Packet larger than max_packet_size'],
    confirm: 'mqtt-doctor soak mqtt://HOST:PORT --payload-size 256k --duration 30s',
    fix: 'Send smaller messages or raise max_packet_size.',
    event: 'disconnect',
    source: MOSQ + '',
  },
  {
    id: 'mosquitto.bad-socket-rw',
    layer: 'broker',
    title: 'mosquitto: bad socket read/write on client',
    patterns: [/Bad socket read\/write on client \S+/i],
    causes: ['An error other than the usual ones; the text after the colon says which (mosquitto_strerror)'],
    confirm: SOAK,
    fix: 'Explain the text after the colon.',
    event: 'disconnect',
    source: MOSQ + '',
  },
  {
    id: 'mosquitto.disconnected-reason',
    layer: 'broker',
    title: 'mosquitto 2.0: client disconnected with an error text (mosquitto_strerror)',
    // Reasons with a row of their own (not authorised; a named client's protocol error) are left to it.
    patterns: [
      /Client <unknown>(?: \[[^\]\s]{1,100}\])? disconnected: (?!not authori[sz]ed\b)[A-Za-z][^.]{0,200}\./,
      /Client (?!<unknown>)\S{1,256}(?: \[[^\]\s]{1,100}\])? disconnected: (?!not authori[sz]ed\b|[Pp]rotocol error\.)[A-Za-z][^.]{0,200}\./,
    ],
    causes: [
      'The text after the colon is the error; "Protocol error" after an OpenSSL error means a failed TLS handshake',
      'A client that spoke the wrong protocol on the port',
    ],
    confirm: 'mqtt-doctor probe mqtts://HOST:8883 --ca ca.pem --verbose',
    fix: 'Explain the text after the colon and the OpenSSL line before it.',
    event: 'disconnect',
    source:
      'https://github.com/eclipse/mosquitto/blob/v2.0.11/src/loop.c do_disconnect (text seen in fixtures/errors/mosquitto-tls.log)',
  },
  {
    id: 'mosquitto.max-connections',
    layer: 'broker',
    title: 'mosquitto: connection denied, max_connections exceeded',
    patterns: [/denied: max_connections exceeded/i],
    causes: ['Listener max_connections reached (leaked connections or a reconnect storm)'],
    confirm: 'mqtt-doctor soak mqtt://HOST:PORT --clients 50',
    fix: 'Raise max_connections or find who holds connections.',
    event: 'refused',
    source: 'https://github.com/eclipse/mosquitto/blob/master/src/net.c',
  },
  {
    id: 'mosquitto.new-client',
    layer: 'broker',
    title:
      'mosquitto: new client connected (p = protocol: p2 = 3.1.1, p5 = MQTT 5; c = clean flag; k = keepalive in use)',
    patterns: [/New client connected from \S+ as \S+/i],
    causes: ['Normal connect; the k value is the keepalive the broker enforces (× 1.5)'],
    confirm: 'mqtt-doctor probe mqtt://HOST:PORT',
    fix: 'Nothing to fix; useful to read the keepalive (k) and protocol (p).',
    event: 'connect',
    source:
      'https://github.com/eclipse/mosquitto/blob/master/src/handle_connect.c; p values from mosquitto enum mosquitto__protocol, seen in fixtures/errors/*.log',
  },
  {
    id: 'mosquitto.local-only',
    layer: 'broker',
    title: 'mosquitto 2.x started in local only mode (no listener configured)',
    patterns: [/Starting in local only mode/i],
    causes: ['No listener line in mosquitto.conf: 2.0 then binds to loopback only, remote clients get ECONNREFUSED'],
    confirm: 'mqtt-doctor probe tcp://HOST:1883',
    fix: 'Add `listener 1883 0.0.0.0` plus password_file (or allow_anonymous true for tests).',
    source: 'https://github.com/eclipse/mosquitto/blob/master/src/mosquitto.c; ChangeLog 2.0.0',
  },
  {
    id: 'mosquitto.openssl-error',
    layer: 'tls',
    title: 'mosquitto: OpenSSL error during a TLS connection',
    patterns: [/OpenSSL Error\[\d+\]:/i],
    causes: [
      'TLS handshake failed; the OpenSSL reason after it says why (unknown ca, wrong version number, unexpected eof…)',
    ],
    confirm: 'mqtt-doctor probe mqtts://HOST:8883 --ca ca.pem --verbose',
    fix: 'Explain the OpenSSL reason text in the same line.',
    source: 'https://github.com/eclipse/mosquitto/blob/master/lib/net_mosq.c',
  },
  {
    id: 'mosquitto.starting',
    layer: 'broker',
    title: 'mosquitto starting',
    patterns: [/mosquitto version \S+ (\(build date[^)]{0,100}\) )?starting/i],
    causes: ['Broker (re)started: every client reconnects now'],
    confirm: LOGS,
    fix: 'If clients reconnect all at once afterwards, add jitter to their reconnect delay.',
    event: 'broker-start',
    source: 'https://github.com/eclipse/mosquitto/blob/master/src/mosquitto.c',
  },
  {
    id: 'mosquitto.terminating',
    layer: 'broker',
    title: 'mosquitto terminating',
    patterns: [/mosquitto version \S+ terminating/i],
    causes: ['Broker stopped (service restart, shutdown)'],
    confirm: LOGS,
    fix: 'Expected during maintenance.',
    event: 'broker-stop',
    source: 'https://github.com/eclipse/mosquitto/blob/master/src/mosquitto.c',
  },
  {
    id: 'mosquitto.session-expired',
    layer: 'broker',
    title: 'mosquitto: persistent session expired',
    patterns: [/Expiring client \S+ due to timeout/i],
    causes: [
      'The client stayed away longer than persistent_client_expiration / its Session Expiry Interval; queued messages are gone',
    ],
    confirm: 'mqtt-doctor soak mqtt://HOST:PORT --no-clean --session-expiry 1h',
    fix: 'Reconnect sooner (cap the backoff) or raise the session expiry.',
    source: 'https://github.com/eclipse/mosquitto/blob/master/src/session_expiry.c',
  },
  {
    id: 'mosquitto.cli-connack',
    layer: 'mqtt',
    title: 'mosquitto_sub/pub: connection refused by CONNACK',
    patterns: [/Connection error: Connection Refused: [a-z ]+/i],
    causes: [
      'The text after "Connection Refused:" is the CONNACK reason (not authorised, bad user name or password, identifier rejected…)',
    ],
    confirm: 'mqtt-doctor probe mqtt://USER@HOST:PORT -V 3.1.1',
    fix: 'Explain the reason text; fix credentials, client id or keepalive accordingly.',
    event: 'refused',
    source:
      'https://github.com/eclipse/mosquitto/blob/master/client/client_shared.c; lib/strings_mosq.c mosquitto_connack_string()',
  },

  // ---- EMQX ------------------------------------------------------------------------------------------------
  {
    id: 'emqx.keepalive-timeout',
    layer: 'broker',
    title: 'EMQX: keepalive_timeout (no packet within keepalive × multiplier)',
    names: ['keepalive_timeout'],
    patterns: [/\bkeepalive_timeout\b/],
    causes: KA_CAUSES,
    confirm: TUNE,
    fix: KA_FIX + ' EMQX checks only every keepalive_check_interval (30 s default).',
    event: 'disconnect',
    source:
      'https://github.com/emqx/emqx/blob/master/apps/emqx/src/emqx_channel.erl; emqx_schema.erl keepalive_multiplier',
  },
  {
    id: 'emqx.socket-closed',
    layer: 'broker',
    title: 'EMQX: the client closed its TCP connection without DISCONNECT ({shutdown,closed})',
    // EMQX 3.x tags the line [Channel] and prints the tuple with a space ("{shutdown, closed}").
    patterns: [
      /\[(?:MQTT|Channel)\] (?:Shutdown|Terminated) for \{?(?:shutdown, ?)?closed\}?/,
      /\breason: \{?shutdown,closed\}?/,
    ],
    causes: [
      'The client process or device closed the socket (crash, reboot, its own timeout) without sending DISCONNECT',
      'A NAT/firewall/load balancer between them dropped the idle connection and the client noticed first',
    ],
    confirm: 'mqtt-doctor soak mqtt://HOST:PORT --duration 10m',
    fix: 'Look at the client side (its log and reconnect reason); keep keepalive below the middlebox idle timeout.',
    event: 'disconnect',
    source:
      'https://github.com/emqx/emqx/blob/v4.3.0/src/emqx_connection.erl ("Shutdown for ~p", "Terminated for ~p"); https://github.com/emqx/emqx/issues/2152 (maintainer: {shutdown,closed} is the client socket closing)',
  },
  {
    id: 'emqx.takenover',
    layer: 'broker',
    title: 'EMQX: session takenover by a new connection with the same client id',
    names: ['takenover', 'takeovered'],
    patterns: [/\btakenover\b/],
    causes: TAKEOVER_CAUSES,
    confirm: LOGS,
    fix: TAKEOVER_FIX,
    event: 'takeover',
    source: 'https://github.com/emqx/emqx/blob/master/apps/emqx/src/emqx_channel.erl',
  },
  {
    id: 'emqx.discarded',
    layer: 'broker',
    title: 'EMQX: session discarded (a clean-start connection with the same client id replaced it)',
    names: ['discarded'],
    patterns: [/reason[:=]\s*"?\{?(shutdown,\s*)?discarded/i],
    causes: TAKEOVER_CAUSES,
    confirm: LOGS,
    fix: TAKEOVER_FIX,
    event: 'takeover',
    source: 'https://github.com/emqx/emqx/blob/master/apps/emqx/src/emqx_channel.erl',
  },
  {
    id: 'emqx.kicked',
    layer: 'broker',
    title: 'EMQX: client kicked by an administrator or API',
    names: ['kicked'],
    patterns: [/reason[:=]\s*"?\{?(shutdown,\s*)?kicked/i],
    causes: ['Dashboard / REST API / rule kicked the client'],
    confirm: LOGS,
    fix: 'Find who kicked it; nothing to change in the client.',
    event: 'disconnect',
    source: 'https://github.com/emqx/emqx/blob/master/apps/emqx/src/emqx_channel.erl',
  },

  {
    id: 'emqx.not-authorized',
    layer: 'broker',
    title: 'EMQX: publish or subscribe denied by authorization (ACL): cannot_publish_to_topic … not_authorized',
    patterns: [
      /\bcannot_publish_to_topic(?:_due_to_not_authorized)?\b/,
      /\bcannot_subscribe_topic_filter\b/,
      /Cannot publish (?:message )?to \S{1,300} (?:for ACL Deny|due to Not authorized)/i,
    ],
    causes: [
      'No authorization rule allows this client/user the topic: sources and rules are checked in order and the first match wins; when none matches, authorization.no_match decides (EMQX 5)',
      'A topic with a placeholder (%u, %c, ${username}) that does not expand to what the client uses',
      'An authorization backend (database, HTTP) that failed or timed out (its error is logged nearby)',
    ],
    confirm: LOGS,
    fix: 'Add or reorder the rule that allows the topic for this user/client (Dashboard: Access Control → Authorization), or publish only to allowed topics.',
    event: 'acl-denied',
    source:
      'https://github.com/emqx/emqx/blob/master/apps/emqx/src/emqx_channel.erl (cannot_publish_to_topic, reason not_authorized); https://docs.emqx.com/en/emqx/latest/access-control/authz/authz.html',
  },
  {
    id: 'emqx.login-failed',
    layer: 'mqtt',
    title: "EMQX 3.x/4.x: Client … (Username: '…') login failed for <reason> (CONNECT refused by authentication)",
    patterns: [/\bClient \S{1,256} \(Username: '[^']{0,256}'\) login failed for \w{2,60}/],
    causes: [
      'not_authorized / bad_username_or_password: no authentication source accepted the user name and password (allow_anonymous false, wrong or missing credentials)',
      "Username 'undefined' from unknown addresses: an internet scanner or a client without credentials reaching an open port",
      'An authentication backend (database, HTTP) that failed or timed out',
    ],
    confirm: 'mqtt-doctor probe mqtt://USER@HOST:PORT',
    fix: 'Send the credentials the authentication source holds (or add the user); do not expose the MQTT port to the internet without authentication.',
    event: 'refused',
    source:
      'https://github.com/emqx/emqx/blob/v4.3.0/src/emqx_channel.erl ("Client ~s (Username: \'~s\') login failed for ~0p"); EMQX 3.x emqx_protocol.erl',
  },
  {
    id: 'emqx.not-mqtt',
    layer: 'broker',
    title: 'EMQX: could not parse the bytes received as MQTT (Parse failed / frame_parse_error)',
    patterns: [/\[MQTT\][ ,]{0,4}Parse failed for \w{2,60}/, /\bframe_parse_error\b/],
    causes: [
      'Bytes that are not MQTT on the MQTT port: an HTTP request, a TLS ClientHello on the plain port, an internet scanner',
      'A client library that sends a malformed packet (a bug), or a packet above max_packet_size (frame_too_large)',
    ],
    confirm: 'mqtt-doctor probe mqtt://HOST:PORT (and mqtts://HOST:8883 for the TLS listener)',
    fix: 'Match scheme and port (mqtts:// to the TLS listener, ws:// to the WebSocket one); keep the port off the internet or behind authentication; update a client that sends malformed packets.',
    event: 'disconnect',
    source:
      'https://github.com/emqx/emqx/blob/v4.3.0/src/emqx_connection.erl parse_incoming ("Parse failed for ~0p"); EMQX 5 apps/emqx/src/emqx_connection.erl (frame_parse_error)',
  },
  {
    id: 'emqx.tls-file-error',
    layer: 'tls',
    title: 'EMQX: the TLS listener cannot read its certificate, key or CA file ({ssl_error,{options,{cacertfile,…}}})',
    patterns: [/\{ssl_error,\s?\{options,\s?\{(?:cacertfile|certfile|keyfile)/],
    causes: [
      'eacces: the emqx user cannot read the file (permissions, or a file under /root)',
      'enoent: the path in the listener config does not exist in the container or host',
      'A malformed PEM file',
    ],
    confirm:
      'mqtt-doctor probe mqtts://HOST:8883 --ca ca.pem (the listener fails its handshake); then ls -l FILE as the emqx user',
    fix: 'Put the files where the emqx user can read them (e.g. etc/certs) and point the listener at them.',
    event: 'refused',
    source:
      'https://www.erlang.org/doc/apps/ssl/ssl.html (option errors {options, {Option, Value, Reason}}); https://github.com/emqx/emqx/issues/6602 (maintainer: eacces is a file permission problem)',
  },
  {
    id: 'emqx.tls-handshake-timeout',
    layer: 'tls',
    title: 'EMQX: TLS handshake did not finish in time ({ssl_error,timeout} while upgrading the connection)',
    patterns: [/\{ssl_error,\s?timeout\}/, /\bssl_upgrade_timeout\b/],
    causes: [
      'A load-balancer health probe or port check opens TCP to the TLS port and never starts TLS (Azure Load Balancer, Kubernetes TCP probes)',
      'Plain MQTT sent to the TLS listener (the client waits for CONNACK, the broker for a ClientHello)',
      'A very slow link or device (handshake longer than the listener handshake_timeout, 15 s by default)',
    ],
    confirm: 'mqtt-doctor probe mqtts://HOST:8883 --ca ca.pem --verbose',
    fix: 'Point health checks at a plain port or make them speak TLS; use mqtts:// for the TLS port; raise handshake_timeout only for slow links.',
    event: 'disconnect',
    source:
      'https://github.com/emqx/emqx/issues/869 (maintainer: handshake timeout; reporter: Azure Load Balancer probe); https://docs.emqx.com/en/emqx/latest/configuration/configuration.html (listeners.ssl handshake_timeout)',
  },

  // ---- VerneMQ / RabbitMQ -----------------------------------------------------------------------------------
  {
    id: 'vernemq.keepalive',
    layer: 'broker',
    title: 'VerneMQ: client stopped due to keepalive expired',
    patterns: [/stopped due to keepalive expired/i],
    causes: KA_CAUSES,
    confirm: TUNE,
    fix: KA_FIX + ' VerneMQ may take up to ~2.25 × keepalive to notice.',
    event: 'disconnect',
    source: 'https://github.com/vernemq/vernemq/blob/main/apps/vmq_server/src/vmq_mqtt5_fsm.erl',
  },
  {
    id: 'rabbitmq.keepalive',
    layer: 'broker',
    title: 'RabbitMQ MQTT: closing connection (keepalive timeout)',
    // rabbitmq_web_mqtt logs the same texts with "Web MQTT" (rabbit_web_mqtt_handler.erl).
    patterns: [/closing (?:Web )?MQTT connection .{0,300}\(keepalive timeout\)/i],
    causes: KA_CAUSES,
    confirm: TUNE,
    fix: KA_FIX,
    event: 'disconnect',
    source: 'https://github.com/rabbitmq/rabbitmq-server/blob/main/deps/rabbitmq_mqtt/src/rabbit_mqtt_reader.erl',
  },
  {
    id: 'rabbitmq.network-error',
    layer: 'tcp',
    title: 'RabbitMQ MQTT: "MQTT detected network error" (the socket closed or failed under the connection)',
    patterns: [/(?:Web )?MQTT detected network error\b/],
    causes: [
      '"closed": the client (or a NAT/load balancer in between) closed the TCP connection without DISCONNECT',
      '"econnreset" / "etimedout": the link was reset or died (Wi-Fi/cellular loss, idle timeout on a middlebox)',
      'A load-balancer or port health check that opens and closes a TCP connection',
    ],
    confirm: SOAK,
    fix: 'Read the client log at that second; keep the keepalive below middlebox idle timeouts; disconnect cleanly on shutdown.',
    event: 'disconnect',
    source:
      'https://github.com/rabbitmq/rabbitmq-server/blob/main/deps/rabbitmq_mqtt/src/rabbit_mqtt_reader.erl ("MQTT detected network error on ~ts: ~tp"; 3.1.x rabbitmq-mqtt printed "for ~p")',
  },
  {
    id: 'rabbitmq.tls-upgrade-error',
    layer: 'tls',
    title: 'RabbitMQ MQTT: "MQTT detected TLS upgrade error" (the TLS handshake on the MQTT listener failed)',
    patterns: [/MQTT detected TLS upgrade error\b/],
    causes: [
      'The client spoke plain MQTT (or another protocol) to the TLS listener (8883)',
      'No common TLS version or cipher, or the client rejected the server certificate (the alert names which)',
    ],
    confirm: 'mqtt-doctor probe mqtts://HOST:8883 --ca ca.pem --verbose',
    fix: 'Match scheme and port (mqtts:// to 8883); explain the alert that follows the text.',
    event: 'disconnect',
    source: 'https://github.com/rabbitmq/rabbitmq-server/blob/main/deps/rabbitmq_mqtt/src/rabbit_mqtt_reader.erl',
  },
  {
    id: 'rabbitmq.protocol-error',
    layer: 'mqtt',
    title:
      'RabbitMQ MQTT: "MQTT protocol error <reason> for connection" (the plugin rejected a packet and closes the connection)',
    patterns: [/(?:Web )?MQTT protocol error \S{1,200} for connection/],
    causes: [
      'The client sent a packet the plugin does not accept (unsupported MQTT feature or version, invalid topic, a second CONNECT)',
      'A client library bug; the reason after "protocol error" names what was wrong',
    ],
    confirm: 'mqtt-doctor probe mqtt://HOST:PORT',
    fix: 'Read the reason word; capture the client packets (tcpdump -i any port PORT -w x.pcap) and update or fix the client.',
    event: 'disconnect',
    source: 'https://github.com/rabbitmq/rabbitmq-server/blob/main/deps/rabbitmq_mqtt/src/rabbit_mqtt_reader.erl',
  },
  {
    id: 'rabbitmq.login-failed',
    layer: 'mqtt',
    title:
      'RabbitMQ MQTT: "MQTT login failed" (CONNECT refused: credentials, vhost access or the guest user from a remote host)',
    // 3.9+ adds the closing line "MQTT connection … is closing due to an authentication failure".
    patterns: [/MQTT login failed for\b/, /\bis closing due to an authentication failure\b/],
    causes: [
      'Wrong user name or password, or no user given (anonymous MQTT connections need mqtt.allow_anonymous and default_user)',
      'The default guest user is only allowed from localhost (loopback_users)',
      'The user has no permissions on the vhost the plugin picked (mqtt.vhost or the port-to-vhost mapping)',
    ],
    confirm: 'mqtt-doctor probe mqtt://USER@HOST:PORT',
    fix: 'Create a user with permissions on the MQTT vhost (rabbitmqctl add_user / set_permissions); do not use guest remotely.',
    event: 'refused',
    source:
      'https://github.com/rabbitmq/rabbitmq-server/blob/main/deps/rabbitmq_mqtt/src/rabbit_mqtt_processor.erl; https://www.rabbitmq.com/docs/access-control (guest only from localhost)',
  },
  {
    id: 'rabbitmq.takeover',
    layer: 'broker',
    title: 'RabbitMQ MQTT: disconnecting duplicate client id (session takeover)',
    patterns: [/MQTT disconnecting duplicate client id\b/],
    causes: TAKEOVER_CAUSES,
    confirm: LOGS,
    fix: TAKEOVER_FIX,
    event: 'takeover',
    source: 'https://github.com/rabbitmq/rabbitmq-server/blob/main/deps/rabbitmq_mqtt/src/rabbit_mqtt_reader.erl',
  },
  {
    id: 'rabbitmq.access-refused',
    layer: 'broker',
    title: 'RabbitMQ MQTT: channel exception access_refused (the MQTT user lacks a permission on the vhost)',
    patterns: [/\bchannel exception access_refused\b/],
    causes: [
      'The user has no configure/write/read permission for the subscription queue (mqtt-subscription-…) or for amq.topic in the MQTT vhost',
      'Topic authorisation (topic permissions) denies the routing key the topic maps to',
    ],
    confirm:
      'mqtt-doctor soak mqtt://HOST:PORT -u USER -P PASS -n 1 -d 10s (the subscription or publish is refused); then rabbitmqctl list_permissions -p VHOST and list_topic_permissions -p VHOST',
    fix: 'Grant the MQTT user permissions on the vhost (rabbitmqctl set_permissions -p VHOST USER ".*" ".*" ".*", or narrower).',
    event: 'acl-denied',
    source:
      'https://www.rabbitmq.com/docs/access-control (permissions the MQTT plugin needs: queue.declare/bind on mqtt-subscription-*, publish to amq.topic)',
  },
  {
    id: 'rabbitmq.connection-accepted',
    layer: 'broker',
    title: 'RabbitMQ MQTT: accepting (Web) MQTT connection',
    patterns: [/accepting (?:Web )?MQTT connection\b/],
    causes: ['Normal: a client opened a TCP (or WebSocket) connection to the MQTT listener'],
    confirm: LOGS,
    fix: 'Nothing to fix.',
    event: 'connect',
    source: 'https://github.com/rabbitmq/rabbitmq-server/blob/main/deps/rabbitmq_mqtt/src/rabbit_mqtt_reader.erl',
  },
  {
    id: 'vernemq.queue-drop',
    layer: 'broker',
    title: 'VerneMQ: subscriber … dropped N messages (its online queue was full)',
    patterns: [/\b(?:subscriber|client) \{\[[^\]\n]{0,100}\],\s?<<"[^"\n]{0,256}">>\} dropped \d{1,12} messages/],
    causes: [
      'A slow consumer: the client reads slower than messages arrive, its queue reached max_online_messages (default 1000) and VerneMQ dropped the overflow',
      'A burst (retained flood, fan-out to one subscriber) larger than max_online_messages',
      'QoS 0 to an offline client beyond max_offline_messages',
    ],
    confirm: 'mqtt-doctor soak mqtt://HOST:PORT --duration 5m',
    fix: 'Make the subscriber keep up (shared subscriptions, faster handler, more instances), or raise max_online_messages in vernemq.conf if the bursts are expected.',
    event: 'queue-drop',
    source:
      'https://github.com/vernemq/vernemq/blob/main/apps/vmq_server/src/vmq_mqtt_fsm.erl ("subscriber ~p dropped ~p messages"); https://docs.vernemq.com/configuring-vernemq/message-queues (max_online_messages)',
  },
  {
    id: 'vernemq.auth-failed',
    layer: 'mqtt',
    title: "VerneMQ: can't authenticate client (CONNECT refused by the auth plugins)",
    // The reason may be an Erlang term ("due to {noproc,{gen_server,call,…}}": the auth plugin's process is gone).
    patterns: [/can't authenticate client [^\n]{1,400} due to \{?\w{2,60}/],
    causes: [
      'invalid_credentials: wrong user name or password for the auth plugin (vmq_passwd file, database plugin)',
      'plugin_chain_exhausted / no_matching_hook_found: no auth plugin accepted the client (allow_anonymous off and no user configured, or the plugin is not enabled yet)',
      '"error": the auth plugin (webhook, database) itself failed or returned an answer VerneMQ could not use',
      "{noproc,…} or {timeout,…}: the auth plugin's process or its backend connection (Redis, database) was gone or too slow",
    ],
    confirm: 'mqtt-doctor probe mqtt://USER@HOST:PORT',
    fix: 'Check the user in the auth backend (vmq-admin plugin show lists the enabled ones); allow_anonymous only on a test broker.',
    event: 'refused',
    source:
      'https://github.com/vernemq/vernemq/blob/main/apps/vmq_server/src/vmq_mqtt_fsm.erl ("can\'t authenticate client ~p from ~s due to ~p"); vmq_mqtt5_fsm.erl',
  },
  {
    id: 'vernemq.publish-not-authorized',
    layer: 'broker',
    title: "VerneMQ: can't auth publish/subscribe (ACL denied; an MQTT 3.1.1 publisher is disconnected)",
    patterns: [/can't auth (?:publish|subscribe) [^\n]{1,600} due to \w{2,60}/, /\bpublish_not_authorized_3_1_1\b/],
    causes: [
      'No plugin authorized the topic (chain_exhausted): the ACL file or the auth backend has no rule for this client and topic',
      'MQTT 3.1.1 has no negative PUBACK, so the broker closes the connection on a denied publish (MQTT 3.1.1 [MQTT-3.3.5-2])',
    ],
    confirm: LOGS,
    fix: 'Add the topic to the ACL for that user/client (vmq_acl.acl_file or the auth backend), or publish only to allowed topics.',
    event: 'acl-denied',
    source:
      'https://github.com/vernemq/vernemq/blob/main/apps/vmq_server/src/vmq_mqtt_fsm.erl (auth_on_publish); http://docs.oasis-open.org/mqtt/mqtt/v3.1.1/os/mqtt-v3.1.1-os.html#_Toc398718042 (§3.3.5)',
  },
  {
    id: 'vernemq.unexpected-frame',
    layer: 'mqtt',
    title: 'VerneMQ: session stopped on an unexpected or invalid packet (protocol violation by the client)',
    patterns: [
      /stopped connected session, due to unexpected frame type/,
      /session stopped abnormally due to '?\{error,unexpected_message/,
    ],
    causes: [
      'The client sent a packet the parser rejected: no topic (no_topic_provided), an invalid topic filter such as # inside a level (no_#_allowed_in_word, MQTT 3.1.1 §4.7.1.2)',
      'A second CONNECT on an already connected session (mqtt_connect frame; MQTT 3.1.1 §3.1.0-2): a client library that reconnects without closing the socket',
      'A client library bug; the term in braces names the packet',
    ],
    confirm:
      'mqtt-doctor probe mqtt://HOST:PORT (a clean client is not cut); then vmq-admin trace client client-id=CLIENTID to see the offending frame',
    fix: 'Find the client (vmq-admin trace) and fix its topic strings or its reconnect logic; update the client library.',
    event: 'disconnect',
    source:
      'https://github.com/vernemq/vernemq/blob/main/apps/vmq_server/src/vmq_mqtt_fsm.erl ("stopped connected session, due to unexpected frame type ~p"); apps/vmq_server/src/vmq_ranch.erl (teardown)',
  },
  {
    id: 'vernemq.not-mqtt',
    layer: 'mqtt',
    title: 'VerneMQ: the first bytes on the listener are not an MQTT CONNECT (cant_parse_connect_fixed_header)',
    patterns: [/\bcant_parse_(?:connect_)?fixed_header\b/, /\bunknown_protocol_magic\b/],
    causes: [
      'Another protocol on the MQTT port: HTTP (a browser, an internet scanner), TLS to a plain listener, or plain MQTT to a TLS listener',
      'A load-balancer health check or port scanner',
      'A client that sends garbage before CONNECT (wrong serial framing, a proxy header the listener does not expect)',
    ],
    confirm: 'mqtt-doctor probe mqtt://HOST:PORT (and mqtts://HOST:8883 for the TLS listener)',
    fix: 'Match scheme and port; the bytes in <<…>> show what was sent (71,69,84 = "GET"); firewall the listener from the internet.',
    event: 'disconnect',
    source:
      'https://github.com/vernemq/vernemq/blob/main/apps/vmq_commons/src/vmq_parser.erl; apps/vmq_server/src/vmq_mqtt_pre_init.erl',
  },
  {
    id: 'vernemq.takeover',
    layer: 'broker',
    title: 'VerneMQ: client disconnected due to multiple sessions not allowed (session takeover)',
    patterns: [/disconnected due to multiple sessions not allowed/],
    causes: TAKEOVER_CAUSES,
    confirm: LOGS,
    fix: TAKEOVER_FIX,
    event: 'takeover',
    source:
      'https://github.com/vernemq/vernemq/blob/main/apps/vmq_server/src/vmq_queue.erl (allow_multiple_sessions = off)',
  },
];

// ---- AWS IoT Core lifecycle disconnectReason ----------------------------------------------------------------

const AWS_SRC = 'https://docs.aws.amazon.com/iot/latest/developerguide/life-cycle-events.html';
const AWS_ROWS: Array<[string, string, string[], string, KbEntry['event']]> = [
  [
    'AUTH_ERROR',
    'authentication failed',
    ['Certificate inactive/revoked, bad custom-authorizer token, wrong credentials'],
    'Activate the certificate / fix the authorizer token.',
    'refused',
  ],
  [
    'CLIENT_INITIATED_DISCONNECT',
    'client sent DISCONNECT',
    ['Normal: the client disconnected'],
    'Nothing to fix.',
    'disconnect',
  ],
  [
    'CLIENT_ERROR',
    'client did something wrong',
    ['Malformed packet, publish to a reserved topic, payload too large, protocol violation'],
    'Check topics, payload size (128 KB) and QoS (max 1).',
    'disconnect',
  ],
  [
    'CONNECTION_LOST',
    'connection lost',
    ['TCP dropped: network loss, NAT timeout, device reset'],
    'Keepalive below the NAT timeout; reconnect with backoff.',
    'disconnect',
  ],
  ['DUPLICATE_CLIENTID', 'another connection used the same client id', TAKEOVER_CAUSES, TAKEOVER_FIX, 'takeover'],
  [
    'FORBIDDEN_ACCESS',
    'policy denies the action',
    ['IoT policy lacks iot:Connect for this client id, or iot:Publish/Subscribe for the topic'],
    'Fix the IoT policy resource ARNs (client id, topic).',
    'refused',
  ],
  [
    'MQTT_KEEP_ALIVE_TIMEOUT',
    'no traffic for 1.5 × keepalive',
    KA_CAUSES,
    KA_FIX + ' AWS clamps keepalive to 30..1200 s (230 s via VPC endpoints).',
    'disconnect',
  ],
  ['SERVER_ERROR', 'AWS internal error', ['Service-side problem'], 'Reconnect with backoff and jitter.', 'disconnect'],
  [
    'SERVER_INITIATED_DISCONNECT',
    'AWS closed the connection',
    ['Maintenance or load balancing by the service'],
    'Reconnect with backoff and jitter.',
    'disconnect',
  ],
  [
    'API_INITIATED_DISCONNECT',
    'disconnected by an API call',
    ['Someone called the disconnect API or deleted the thing/cert'],
    'Check CloudTrail for who did it.',
    'disconnect',
  ],
  [
    'THROTTLED',
    'connect or message rate limit exceeded',
    ['Too many connects per second per client id (reconnect storm), or message rate limits'],
    'Add exponential backoff with jitter; spread reconnects.',
    'refused',
  ],
];

const AWS_ENTRIES: KbEntry[] = AWS_ROWS.map(([name, title, causes, fix, event]) => ({
  id: `aws-iot.${name}`,
  layer: 'broker',
  title: `AWS IoT lifecycle disconnectReason ${name}: ${title}`,
  names: [name],
  causes,
  confirm:
    name === 'THROTTLED'
      ? 'mqtt-doctor soak mqtts://HOST:8883 --reconnect exp:1s..120s+jitter'
      : 'mqtt-doctor probe mqtts://HOST:8883 --ca AmazonRootCA1.pem --cert client.crt --key client.key',
  fix,
  ...(event ? { event } : {}),
  source: AWS_SRC,
}));

// ---- Azure IoT Hub error numbers -------------------------------------------------------------------------

const AZ_REF = 'https://learn.microsoft.com/en-us/azure/iot/iot-mqtt-connect-to-iot-hub';
const AZ_DOCS = 'https://learn.microsoft.com/en-us/azure/iot-hub/troubleshoot-error-codes';
const AZURE_ROWS: Array<[number, string, string[], string, string, KbEntry['event']]> = [
  [
    404104,
    'DeviceConnectionClosedRemotely',
    [
      'Keepalive expired at the hub (1.5 × keepalive, capped at 1767 s)',
      'Device lost its network',
      'Another connection with the same device id',
    ],
    'Keepalive ≤ 1177 s and below NAT timeouts; unique device ids.',
    AZ_REF,
    'disconnect',
  ],
  [
    400027,
    'ConnectionForcefullyClosedOnNewConnection',
    TAKEOVER_CAUSES,
    'One connection per device id.',
    AZ_DOCS,
    'takeover',
  ],
  [
    401003,
    'IoTHubUnauthorized',
    ['SAS token expired or signed for another device/hub', 'Device clock wrong (SAS expiry checked against it)'],
    'Regenerate the SAS token; sync the clock.',
    AZ_DOCS,
    'refused',
  ],
  [
    404001,
    'DeviceNotFound',
    ['Device id not registered in this hub'],
    'Register the device or fix the device id / hub name.',
    AZ_DOCS,
    'refused',
  ],
  [
    409002,
    'LinkCreationConflict',
    ['Two connections for the same device id'],
    'One connection per device id.',
    AZ_DOCS,
    'takeover',
  ],
  [
    429001,
    'ThrottlingException',
    ['Hub throttling limits exceeded (connects or messages)'],
    'Back off with jitter; spread reconnects.',
    AZ_DOCS,
    'refused',
  ],
  [
    403002,
    'IoTHubQuotaExceeded',
    ['Daily message quota exhausted'],
    'Raise the hub tier/units or send less.',
    AZ_DOCS,
    'refused',
  ],
  [500001, 'ServerError', ['Hub internal error'], 'Retry with backoff.', AZ_DOCS, 'disconnect'],
];

const AZURE_ENTRIES: KbEntry[] = AZURE_ROWS.map(([num, name, causes, fix, source, event]) => ({
  id: `azure-iot.${num}`,
  layer: 'broker',
  title: `Azure IoT Hub error ${num} ${name}`,
  names: [name],
  patterns: [new RegExp(`\\b${num}\\b`)],
  numbers: [['azure', num]],
  causes,
  confirm: 'mqtt-doctor probe mqtts://HUB.azure-devices.net:8883 -V 3.1.1',
  fix,
  ...(event ? { event } : {}),
  source,
}));

/**
 * HiveMQ's event.log lines ("Client ID: abc, IP:x.x.x.x was disconnected. reason: …" then "… disconnected
 * ungracefully."), with the meanings HiveMQ's knowledge base gives each of them.
 */
const HIVEMQ_KB = 'https://hivemq.atlassian.net/wiki/spaces/KB/pages/733446532 (Disconnect reasons (event.log))';
const HIVEMQ_ID = 'Client ID: \\S{1,256}, IP: ?\\S{1,64}';
const HIVEMQ_ROWS: Array<[string, string, RegExp, string[], string, string, KbEntry['event']]> = [
  [
    'health-check',
    'HiveMQ: "Client ID: UNKNOWN … disconnected ungracefully" (TCP closed before any CONNECT)',
    /Client ID: UNKNOWN, IP: ?\S{1,64} disconnected ungracefully/,
    [
      'A TCP load balancer health check (opens TCP, sends nothing)',
      'A port scan, or a client that fails TLS or closes before CONNECT',
    ],
    LOGS,
    "Nothing to fix for health checks (HiveMQ's Heartbeat Extension answers them); otherwise look at the client.",
    undefined,
  ],
  [
    'ungraceful',
    'HiveMQ: "Client ID: … disconnected ungracefully" (the TCP connection was lost without DISCONNECT)',
    new RegExp(`Client ID: (?!UNKNOWN,)\\S{1,256}, IP: ?\\S{1,64} disconnected ungracefully`),
    [
      'Alone: the connection was lost (network, NAT, client crash); the broker did not close it',
      'After a "was disconnected. reason: …" line: the broker closed it for that reason',
    ],
    SOAK,
    "Read the line before it for the broker's reason; otherwise find why the client or the path dropped.",
    'disconnect',
  ],
  [
    'idle',
    'HiveMQ: "was disconnected. reason: Client was idle for too long" (keepalive exceeded)',
    new RegExp(`${HIVEMQ_ID} was disconnected\\. reason: Client was idle for too long`),
    KA_CAUSES,
    TUNE,
    KA_FIX,
    'disconnect',
  ],
  [
    'takeover',
    'HiveMQ: "was disconnected. reason: Another client connected with the same clientId" (take-over)',
    /was disconnected\. reason: Another client connected with the same clientId/,
    ['The client lost its connection and reconnected before the broker noticed (harmless once)', ...TAKEOVER_CAUSES],
    LOGS,
    TAKEOVER_FIX,
    'takeover',
  ],
  [
    'receive-maximum',
    'HiveMQ: "was disconnected. reason: Sent too many concurrent PUBLISH messages" (Receive Maximum exceeded)',
    /was disconnected\. reason: Sent too many concurrent PUBLISH messages/,
    [
      'An MQTT 5 client sent more unacknowledged QoS 1/2 PUBLISH than the Receive Maximum in the CONNACK (MQTT 5 §3.3.4, [MQTT-3.3.4-9]; DISCONNECT 0x93)',
    ],
    SOAK,
    "Make the client honour the broker's Receive Maximum (its in-flight window), or raise the broker limit.",
    'disconnect',
  ],
  [
    'second-connect',
    'HiveMQ: "was disconnected. reason: Sent second CONNECT message" (protocol violation)',
    /was disconnected\. reason: Sent second CONNECT message/,
    ['The client sent CONNECT again on a connection that was already established ([MQTT-3.1.0-2])'],
    LOGS,
    'Fix the client: reconnect on a new network connection, never re-send CONNECT on an open one.',
    'disconnect',
  ],
];

const HIVEMQ_ENTRIES: KbEntry[] = HIVEMQ_ROWS.map(([name, title, pattern, causes, confirm, fix, event]) => ({
  id: `hivemq-broker.${name}`,
  layer: 'broker',
  title,
  patterns: [pattern],
  causes,
  confirm,
  fix,
  ...(event ? { event } : {}),
  source: HIVEMQ_KB,
}));

export const BROKER_LOG_ENTRIES: KbEntry[] = [...BROKER_ENTRIES, ...AWS_ENTRIES, ...AZURE_ENTRIES, ...HIVEMQ_ENTRIES];
