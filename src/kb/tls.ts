/**
 * TLS failures: Node's X.509 verification codes (Node src/crypto X509ErrorCode() ← OpenSSL X509_V_ERR_*),
 * OpenSSL reason strings with their packed codes (OpenSSL 3: 0A000xxx; 1.1.1: 14xxxxxx), TLS alert numbers
 * (RFC 8446 §6; OpenSSL alert reasons are 1000 + alert) and Node's own TLS messages. Reference §E4.
 */
import type { ClientId, KbEntry, NumberSpace } from './entry.js';

const X509_SRC =
  'https://github.com/nodejs/node/blob/main/src/crypto/crypto_common.cc X509ErrorCode(); https://github.com/openssl/openssl/blob/master/include/openssl/x509_vfy.h.in';
const SSL_SRC =
  'https://github.com/openssl/openssl/blob/master/include/openssl/sslerr.h, ssl/ssl_err.c; https://www.rfc-editor.org/rfc/rfc8446#section-6 (alerts)';

const CA_FIX: Partial<Record<ClientId, string>> = {
  mqttjs: 'connect(url, { ca: fs.readFileSync("ca.pem") }) (never rejectUnauthorized: false in production)',
  'paho-python': 'client.tls_set(ca_certs="ca.pem")',
  'paho-java': 'MqttConnectOptions.setSocketFactory(...) built from a TrustManager holding ca.pem',
  'paho-go': 'opts.SetTLSConfig(&tls.Config{RootCAs: pool}) with ca.pem added to the pool',
  mosquitto: 'mosquitto_tls_set(mosq, "ca.pem", NULL, NULL, NULL, NULL) / --cafile ca.pem',
  umqtt: 'MicroPython: ssl_params / SSLContext with cadata=ca.der (older ports cannot verify at all)',
  esp32: 'esp_mqtt_client_config_t.broker.verification.certificate = ca_pem',
};

const CERT_FIX: Partial<Record<ClientId, string>> = {
  mqttjs: 'connect(url, { cert: fs.readFileSync("client.crt"), key: fs.readFileSync("client.key"), ca })',
  'paho-python': 'client.tls_set(ca_certs="ca.pem", certfile="client.crt", keyfile="client.key")',
  'paho-go': 'tls.Config{Certificates: []tls.Certificate{pair}}',
  mosquitto: '--cert client.crt --key client.key',
  esp32: 'broker.verification.certificate plus credentials.authentication.certificate / key',
};

interface X509Row {
  code: string;
  num: number;
  msg: string;
  title: string;
  causes: string[];
  fix: string;
  /**
   * The alert OpenSSL sends when its own verification fails with this error (ssl_x509err2alert in
   * ssl/statem/statem_lib.c), as its info callback logs it: "SSL alert write:fatal:certificate expired" (Paho C
   * trace, `openssl s_client -state`). Only where the alert points at this error first.
   */
  alertSent?: string;
}

const X509_ROWS: X509Row[] = [
  {
    code: 'CERT_NOT_YET_VALID',
    num: 9,
    msg: 'certificate is not yet valid',
    title: 'Certificate not yet valid',
    causes: [
      'Device clock is behind (no RTC, TLS started before NTP sync)',
      'Certificate issued moments ago with a future notBefore',
    ],
    fix: 'Sync the clock (NTP/SNTP) before opening TLS.',
  },
  {
    code: 'EE_KEY_TOO_SMALL',
    num: 66,
    msg: 'EE certificate key too weak',
    title: 'Broker/client certificate key too weak for the security level',
    causes: [
      'RSA key under 2048 bits (or a weak curve) rejected by OpenSSL security level 2 (Debian/Ubuntu default)',
      'An old test certificate generated years ago',
    ],
    fix: 'Reissue the certificate with an RSA 2048+ or P-256 key.',
  },
  {
    code: 'CA_KEY_TOO_SMALL',
    num: 67,
    msg: 'CA certificate key too weak',
    title: 'CA certificate key too weak for the security level',
    causes: [
      'The CA file holds an old CA with an RSA key under 2048 bits (OpenSSL security level 2 rejects it)',
      'A test broker CA that was replaced upstream (download the current one)',
    ],
    fix: 'Use the current CA certificate (RSA 2048+ / P-256); do not lower the security level in production.',
  },
  {
    code: 'CERT_HAS_EXPIRED',
    num: 10,
    msg: 'certificate has expired',
    title: 'Certificate has expired',
    alertSent: 'certificate expired',
    causes: [
      'The broker (or an intermediate) certificate really expired',
      'The device clock is wrong (far ahead, or reset to 1970 then corrected)',
      'Old root store on the device (e.g. expired cross-signed root)',
    ],
    fix: 'Renew the certificate; sync the clock; update the CA bundle.',
  },
  {
    code: 'DEPTH_ZERO_SELF_SIGNED_CERT',
    num: 18,
    msg: 'self[- ]signed certificate',
    title: 'Broker uses a self-signed certificate',
    causes: [
      'The broker certificate signs itself (typical for a test mosquitto)',
      'Client was not given that certificate as trusted CA',
    ],
    fix: 'Trust exactly that certificate by passing it as the CA file; do not turn verification off.',
  },
  {
    code: 'SELF_SIGNED_CERT_IN_CHAIN',
    num: 19,
    msg: 'self[- ]signed certificate in certificate chain',
    title: 'Untrusted private root in the chain',
    causes: ['Private CA root not in the client trust store', 'Corporate TLS inspection proxy re-signs traffic'],
    fix: 'Add the private root (or the proxy root) to the CA file.',
  },
  {
    code: 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
    num: 20,
    msg: 'unable to get local issuer certificate',
    title: 'Issuer (root CA) not found locally',
    alertSent: 'unknown CA',
    causes: [
      'Root CA missing from the CA file (AWS IoT: AmazonRootCA1; Azure since 2023: DigiCert Global Root G2)',
      'CA file given is the wrong one',
    ],
    fix: 'Pass the root CA that issued the broker chain as the CA file.',
  },
  {
    code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
    num: 21,
    msg: 'unable to verify the first certificate',
    title: 'Incomplete chain: intermediate certificate missing',
    causes: [
      'Broker sends only its leaf certificate, without the intermediate',
      'CA file holds only the intermediate or only the root of another chain',
    ],
    fix: 'Configure the broker with the full chain (leaf + intermediates, e.g. mosquitto certfile = fullchain.pem) or add the intermediate to the CA file.',
  },
  {
    code: 'UNABLE_TO_GET_ISSUER_CERT',
    num: 2,
    msg: 'unable to get issuer certificate',
    title: 'Issuer certificate not available',
    causes: ['Chain incomplete and the issuer is not in the trust store'],
    fix: 'Provide the full chain on the broker and the root in the CA file.',
  },
  {
    code: 'CERT_SIGNATURE_FAILURE',
    num: 7,
    msg: 'certificate signature failure',
    title: 'Certificate signature does not verify',
    causes: [
      'Certificate corrupted or signed by a different key than the CA given',
      'Mixed-up CA file after a rotation',
    ],
    fix: 'Re-issue the certificate or use the matching CA.',
  },
  {
    code: 'CERT_CHAIN_TOO_LONG',
    num: 22,
    msg: 'certificate chain too long',
    title: 'Certificate chain too long',
    causes: ['Chain longer than the verify depth'],
    fix: 'Shorten the chain or raise the verify depth.',
  },
  {
    code: 'CERT_REVOKED',
    num: 23,
    msg: 'certificate revoked',
    title: 'Certificate revoked',
    causes: ['The certificate was revoked by its CA (CRL/OCSP)'],
    fix: 'Issue and deploy a new certificate.',
  },
  {
    code: 'INVALID_CA',
    num: 24,
    msg: 'invalid CA certificate',
    title: 'A CA certificate in the chain is not a valid CA',
    causes: ['An intermediate lacks basicConstraints CA:TRUE', 'A leaf certificate was passed as CA'],
    fix: 'Use a proper CA certificate (CA:TRUE) as issuer.',
  },
  {
    code: 'PATH_LENGTH_EXCEEDED',
    num: 25,
    msg: 'path length constraint exceeded',
    title: 'Path length constraint exceeded',
    causes: ['Chain deeper than a CA pathlen allows'],
    fix: 'Re-issue with a correct pathlen.',
  },
  {
    code: 'INVALID_PURPOSE',
    num: 26,
    msg: 'unsupported certificate purpose',
    title: 'Certificate not valid for this purpose',
    causes: ['Server certificate lacks extendedKeyUsage serverAuth (or client cert lacks clientAuth)'],
    fix: 'Re-issue with the right extendedKeyUsage.',
  },
  {
    code: 'CERT_UNTRUSTED',
    num: 27,
    msg: 'certificate not trusted',
    title: 'Certificate not trusted',
    causes: ['Root present but not trusted for this purpose'],
    fix: 'Trust the right root for server authentication.',
  },
  {
    code: 'CERT_REJECTED',
    num: 28,
    msg: 'certificate rejected',
    title: 'Certificate rejected',
    causes: ['Root marked to reject this purpose'],
    fix: 'Check the trust settings of the root.',
  },
  {
    code: 'HOSTNAME_MISMATCH',
    num: 62,
    msg: 'Hostname mismatch',
    title: 'Host name does not match the certificate (OpenSSL check)',
    causes: ['Connected by IP or alias not in the certificate SAN'],
    fix: 'Connect by a DNS name in the certificate, or set the server name.',
  },
];

function x509Entry(r: X509Row): KbEntry {
  const numbers: Array<[NumberSpace, number]> = [['x509', r.num]];
  return {
    id: `tls.x509.${r.code}`,
    layer: 'tls',
    title: `${r.title} (X509 verify error ${r.num})`,
    names: [r.code, `X509_V_ERR_${r.code}`],
    patterns: [
      new RegExp(`\\b${r.msg}\\b`, 'i'),
      new RegExp(`verify error:num=${r.num}:`),
      ...(r.alertSent ? [new RegExp(`\\bSSL3? alert write:fatal:${r.alertSent}\\b`, 'i')] : []),
    ],
    numbers,
    causes: r.causes,
    confirm: 'mqtt-doctor probe mqtts://HOST:8883 --ca ca.pem',
    fix: r.fix,
    fixFor: CA_FIX,
    source: X509_SRC,
  };
}

interface SslRow {
  reason: string;
  v3?: string;
  v111?: string;
  alert?: number;
  title: string;
  causes: string[];
  confirm?: string;
  fix: string;
  fixFor?: Partial<Record<ClientId, string>>;
  wraps?: NumberSpace[];
}

const SSL_ROWS: SslRow[] = [
  {
    reason: 'wrong version number',
    v3: '0A00010B',
    v111: '1408F10B',
    title: 'TLS client talking to a non-TLS port',
    causes: [
      'mqtts:// (TLS) to a plain MQTT port such as 1883',
      'wss:// to a plain ws port',
      'An HTTP/SOCKS proxy, captive portal or load balancer in the way answered in clear text (its first bytes are read as a TLS record header)',
      'The server answered with an SSL 3.0 / TLS record version the client refuses (very old broker or TLS terminator)',
    ],
    // The reason means the first bytes back were not a TLS record the client accepts (OpenSSL ssl/record/
    // ssl3_record.c, SSL_R_WRONG_VERSION_NUMBER); `openssl s_client` shows what actually answered.
    confirm:
      'mqtt-doctor probe mqtt://HOST:1883 (plain) and mqtt-doctor probe mqtts://HOST:8883; openssl s_client -connect HOST:8883 -servername HOST (shows what answers)',
    fix: 'Use mqtts:// with the TLS port (usually 8883) or mqtt:// with the plain port.',
  },
  {
    reason: 'unsupported protocol',
    v3: '0A000102',
    v111: '1425F102',
    title: 'No common TLS version',
    causes: [
      'Broker offers only TLS 1.0/1.1 while the client requires TLS 1.2+',
      'Client limited to old TLS, broker requires 1.2/1.3',
    ],
    fix: 'Enable TLS 1.2 on the broker (mosquitto tls_version tlsv1.2); do not lower the client minimum.',
  },
  {
    reason: 'sslv3 alert handshake failure',
    v3: '0A000410',
    v111: '14094410',
    alert: 40,
    title: 'Handshake failure alert from the peer',
    causes: [
      'SNI missing or wrong (AWS IoT requires SNI)',
      'No shared cipher suite or group',
      'Broker requires a client certificate that was not sent',
    ],
    fix: 'Send SNI (connect by host name / --servername), provide the client certificate, align cipher suites.',
    fixFor: CERT_FIX,
  },
  {
    reason: 'sslv3 alert bad certificate',
    v3: '0A000412',
    v111: '14094412',
    alert: 42,
    title: 'Peer rejected our certificate',
    causes: [
      'Client certificate does not match its key, or is malformed',
      'Broker could not verify the client certificate',
    ],
    fix: 'Check the client cert/key pair and that the broker trusts its CA.',
    fixFor: CERT_FIX,
  },
  {
    reason: 'sslv3 alert certificate expired',
    v3: '0A000415',
    v111: '14094415',
    alert: 45,
    title: 'Peer says our certificate expired',
    causes: ['Client certificate expired', 'Broker clock wrong'],
    fix: 'Renew the client certificate.',
    fixFor: CERT_FIX,
  },
  {
    reason: 'sslv3 alert certificate unknown',
    v3: '0A000416',
    v111: '14094416',
    alert: 46,
    title: 'Peer could not validate our certificate',
    causes: [
      'Client certificate not registered or not activated (AWS IoT inactive certificate)',
      'Verification on the server side failed for another reason',
    ],
    fix: 'Register/activate the client certificate and trust its CA on the broker.',
    fixFor: CERT_FIX,
  },
  {
    reason: 'tlsv1 alert unknown ca',
    v3: '0A000418',
    v111: '14094418',
    alert: 48,
    title: 'Peer does not trust the CA of the certificate it got',
    causes: [
      'Broker does not trust the CA that signed the client certificate (mosquitto cafile)',
      'In a broker log: the client rejected the broker certificate',
    ],
    fix: 'Put the client CA in the broker cafile, or give the client the broker CA.',
    fixFor: CERT_FIX,
  },
  {
    reason: 'tlsv1 alert access denied',
    v3: '0A000419',
    v111: '14094419',
    alert: 49,
    title: 'Access denied alert',
    causes: ['Certificate valid but the server policy refuses it'],
    fix: 'Check broker-side access policy for the certificate.',
  },
  {
    reason: 'tlsv1 alert decode error',
    v3: '0A00041A',
    alert: 50,
    title: 'Decode error alert',
    causes: ['Malformed handshake message, often a middlebox or a very old TLS stack'],
    fix: 'Update the TLS stack; bypass the middlebox to test.',
  },
  {
    reason: 'tlsv1 alert protocol version',
    v3: '0A00042E',
    v111: '1409442E',
    alert: 70,
    title: 'TLS version mismatch alert',
    causes: ['Client and broker have no TLS version in common'],
    fix: 'Enable TLS 1.2 on both sides.',
  },
  {
    reason: 'tlsv1 alert insufficient security',
    v3: '0A00042F',
    alert: 71,
    title: 'Insufficient security alert',
    causes: ['Only weak cipher suites offered'],
    fix: 'Enable modern cipher suites.',
  },
  {
    reason: 'tlsv1 alert internal error',
    v3: '0A000438',
    v111: '14094438',
    alert: 80,
    title: 'Peer had an internal error',
    causes: ['Server-side TLS failure (key file unreadable, engine error)'],
    fix: 'Check the broker log at the time of the handshake.',
  },
  {
    reason: 'tlsv1 unrecognized name',
    v3: '0A000458',
    v111: '14094458',
    alert: 112,
    title: 'SNI name not known to the server',
    causes: ['SNI does not match any certificate / route on the broker or load balancer'],
    fix: 'Connect with the host name the broker is configured for (--servername).',
  },
  {
    reason: 'tlsv13 alert certificate required',
    v3: '0A00045C',
    alert: 116,
    title: 'Broker requires a client certificate',
    causes: ['Mutual TLS broker (mosquitto require_certificate true, AWS IoT) and no client certificate sent'],
    fix: 'Provide client certificate and key.',
    fixFor: CERT_FIX,
  },
  {
    reason: 'unexpected eof while reading',
    v3: '0A000126',
    title: 'Peer closed without TLS close_notify',
    causes: [
      'Client dropped mid-handshake (often a port scanner or health check)',
      'Broker or proxy closed the connection abruptly',
    ],
    fix: 'Usually harmless in broker logs; if clients fail, look at the client side error.',
  },
  {
    reason: 'certificate verify failed',
    v3: '0A000086',
    title: 'Certificate verification failed (generic)',
    causes: ['See the verify code next to it (expired, self-signed, unknown issuer, host name)'],
    // OpenSSL appends the verify reason ("certificate verify failed: certificate has expired"): that reason,
    // as text or as number, explains the line better than this umbrella.
    wraps: ['x509'],
    fix: 'Read the verify error number and fix the trust chain accordingly.',
    fixFor: CA_FIX,
  },
  {
    reason: 'http request',
    v3: '0A00009C',
    v111: '1408F09C',
    title: 'Plain HTTP arrived on a TLS port',
    causes: ['ws:// (not wss://) to a TLS WebSocket port', 'Health check speaking HTTP to the TLS listener'],
    fix: 'Use wss:// for the TLS port.',
  },
  {
    reason: 'packet length too long',
    v3: '0A0000C6',
    v111: '1408F0C6',
    title: 'Non-TLS bytes parsed as a TLS record',
    causes: ['Plain MQTT or HTTP arrived where TLS was expected, or the reverse'],
    fix: 'Match scheme and port on both sides.',
  },
  {
    reason: 'no shared cipher',
    v3: '0A0000C1',
    title: 'No cipher suite in common',
    causes: [
      'Broker key type not supported by the client ciphers, or cipher lists too narrow',
      'PSK listener without PSK on the client',
    ],
    fix: 'Widen cipher suites or use a key type both support (RSA/ECDSA).',
  },
  {
    reason: 'tlsv1 alert decrypt error',
    v3: '0A00041B',
    alert: 51,
    title: 'Decrypt error alert',
    causes: ['Client certificate signature / key mismatch; wrong PSK'],
    fix: 'Check key pairs and PSK identities.',
  },
];

/**
 * Other TLS stacks name an alert by its RFC 8446 §6 AlertDescription name, not by OpenSSL's reason text:
 * Erlang/OTP ssl (EMQX, VerneMQ, RabbitMQ logs) `{tls_alert,{handshake_failure,…}}`, older OTP
 * `{tls_alert,"certificate unknown"}`, "Fatal - Handshake Failure" and OTP 19-20's "Fatal error: unknown ca"
 * (ssl_alert.erl level_txt, https://github.com/erlang/otp/blob/OTP-20.0/lib/ssl/src/ssl_alert.erl); Java JSSE "Received fatal alert:
 * handshake_failure"; Go crypto/tls "remote error: tls: handshake failure". The alert name follows the OpenSSL
 * reason's "sslv3 alert " / "tlsv1 alert " prefix (https://www.rfc-editor.org/rfc/rfc8446#section-6;
 * https://www.erlang.org/doc/apps/ssl/ssl.html type tls_alert(); https://github.com/golang/go/blob/master/src/crypto/tls/alert.go).
 */
function alertSpellings(r: SslRow): RegExp[] {
  if (r.alert === undefined) return [];
  const words = r.reason.replace(/^(?:sslv3|tlsv1|tlsv13) (?:alert )?/, '');
  const name = `(?:${words.replace(/ /g, '_')}|${words})`;
  return [
    // OpenSSL's info callback logs a received alert as "SSL alert read:fatal:unknown CA" (ssl/ssl_stat.c
    // SSL_alert_desc_string_long; Paho C trace, `openssl s_client -state`).
    new RegExp(
      `(?:tls_alert,\\s?\\{?"?|fatal alert: |Fatal - |Fatal error: |remote error: tls: |SSL3? alert read:fatal:)${name}\\b`,
      'i',
    ),
  ];
}

function sslEntry(r: SslRow): KbEntry {
  const code = 'ERR_SSL_' + r.reason.toUpperCase().replace(/[^A-Z0-9]+/g, '_');
  // The reason as BoringSSL (Dart, Chrome, Android) and CPython's "[SSL: …]" prefix print it: the SSL_R_ macro name
  // without its prefix, "WRONG_VERSION_NUMBER(tls_record.cc:231)" (BoringSSL crypto/err/err.c ERR_error_string_n).
  const names = [code, r.reason.toUpperCase().replace(/[^A-Z0-9]+/g, '_')];
  if (r.v3) names.push(r.v3);
  if (r.v111) names.push(r.v111);
  const numbers: Array<[NumberSpace, number]> = r.alert === undefined ? [] : [['tls-alert', r.alert]];
  return {
    id: `tls.ssl.${r.reason.replace(/\s+/g, '-')}`,
    layer: 'tls',
    title: r.title + ` (OpenSSL "${r.reason}"${r.alert !== undefined ? `, TLS alert ${r.alert}` : ''})`,
    names,
    patterns: [new RegExp(`\\b${r.reason}\\b`, 'i'), ...alertSpellings(r)],
    numbers,
    causes: r.causes,
    confirm: r.confirm ?? 'mqtt-doctor probe mqtts://HOST:8883 --ca ca.pem --verbose',
    fix: r.fix,
    ...(r.fixFor ? { fixFor: r.fixFor } : {}),
    ...(r.wraps ? { wraps: r.wraps } : {}),
    source: SSL_SRC,
  };
}

const NODE_TLS: KbEntry[] = [
  {
    id: 'tls.node.altname-invalid',
    layer: 'tls',
    title: 'Host name / IP is not in the certificate (Node ERR_TLS_CERT_ALTNAME_INVALID)',
    names: ['ERR_TLS_CERT_ALTNAME_INVALID'],
    patterns: [/Hostname\/IP does not match certificate's altnames/i, /is not in the cert's (altnames|list)/i],
    causes: [
      'Connected by IP address while the certificate names a DNS name',
      'Connected through an alias / CNAME not in the SAN list',
      'Certificate issued for another host',
    ],
    confirm: 'mqtt-doctor probe mqtts://HOST:8883 --ca ca.pem --servername NAME-IN-CERT',
    fix: 'Connect by a name listed in the certificate SAN, set servername, or re-issue the certificate with the right SAN.',
    fixFor: {
      mqttjs: 'connect(url, { servername: "broker.example.com" }) or use that name in the URL',
      'paho-python': 'connect to the DNS name in the certificate (tls_insecure_set(True) only for tests)',
      'paho-go': 'tls.Config{ServerName: "broker.example.com"}',
      mosquitto: 'connect with -h broker.example.com (the name in the certificate)',
    },
    source: 'Node lib/tls.js checkServerIdentity',
  },
  {
    id: 'tls.node.socket-disconnected',
    layer: 'tls',
    title: 'Connection closed during the TLS handshake',
    names: [],
    patterns: [/Client network socket disconnected before secure TLS connection was established/i],
    causes: [
      'Wrong port: the server closed on seeing TLS',
      'IP allow-list or SNI-routing proxy rejected the connection',
      'AWS IoT rejected the certificate or policy and closed without an alert',
    ],
    confirm: 'mqtt-doctor probe mqtts://HOST:8883 --ca ca.pem --cert client.crt --key client.key --verbose',
    fix: 'Check port and SNI; for AWS IoT check the certificate is active and attached to a policy that allows iot:Connect.',
    fixFor: CERT_FIX,
    source: 'Node lib/_tls_wrap.js',
  },
  {
    id: 'tls.node.handshake-timeout',
    layer: 'tls',
    title: 'TLS handshake timed out',
    names: ['ERR_TLS_HANDSHAKE_TIMEOUT'],
    patterns: [/TLS handshake timeout/i],
    causes: [
      'Server accepted TCP but never answered TLS (plain port that waits for CONNECT)',
      'Very slow link or overloaded broker',
    ],
    confirm: 'mqtt-doctor probe mqtts://HOST:PORT --verbose',
    fix: 'Check the port is a TLS listener; raise the handshake timeout on slow links.',
    source: 'Node doc/api/errors.md (ERR_TLS_HANDSHAKE_TIMEOUT)',
  },
  {
    id: 'tls.node.cert-not-trusted-generic',
    layer: 'tls',
    title: 'Certificate verification failed in an embedded TLS stack (mbedTLS / ESP-TLS)',
    names: ['MBEDTLS_ERR_X509_CERT_VERIFY_FAILED', 'ESP_ERR_MBEDTLS_SSL_HANDSHAKE_FAILED'],
    patterns: [/mbedtls_ssl_handshake returned -0x2700/i, /-0x2700/],
    numbers: [['mbedtls', -0x2700]],
    causes: ['CA certificate missing or wrong on the device', 'Device clock not set (certificates look not yet valid)'],
    confirm: 'mqtt-doctor probe mqtts://HOST:8883 --ca ca.pem (from a PC, with the same CA file)',
    fix: 'Embed the right root CA and sync time via SNTP before connecting.',
    fixFor: CA_FIX,
    source: 'mbedTLS include/mbedtls/x509.h (MBEDTLS_ERR_X509_CERT_VERIFY_FAILED = -0x2700)',
  },
  {
    id: 'tls.mbedtls.fatal-alert',
    layer: 'tls',
    title:
      'mbedTLS: the peer sent a fatal TLS alert during the handshake (MBEDTLS_ERR_SSL_FATAL_ALERT_MESSAGE, -0x7780)',
    names: ['MBEDTLS_ERR_SSL_FATAL_ALERT_MESSAGE'],
    patterns: [/-0x7780\b/],
    numbers: [['mbedtls', -0x7780]],
    causes: [
      'The broker requires a client certificate the device did not send (EMQX fail_if_no_peer_cert, mosquitto require_certificate, AWS IoT)',
      'The broker rejected the client certificate, or there is no common TLS version or cipher suite',
      'The broker log at the same second names the alert (handshake_failure, certificate_required, bad_certificate)',
    ],
    confirm: 'mqtt-doctor probe mqtts://HOST:8883 --ca ca.pem --cert client.crt --key client.key (from a PC)',
    fix: 'Give the device its client certificate and key, or let the listener accept clients without one; align TLS versions and ciphers.',
    fixFor: CERT_FIX,
    source:
      'https://github.com/Mbed-TLS/mbedtls/blob/development/include/mbedtls/ssl.h (MBEDTLS_ERR_SSL_FATAL_ALERT_MESSAGE -0x7780)',
  },
  {
    id: 'tls.mbedtls.invalid-record',
    layer: 'tls',
    title: 'mbedTLS: the bytes that came back are not a TLS record (MBEDTLS_ERR_SSL_INVALID_RECORD, -0x7200)',
    names: ['MBEDTLS_ERR_SSL_INVALID_RECORD'],
    patterns: [/-0x7200\b/],
    numbers: [['mbedtls', -0x7200]],
    causes: [
      'The port does not speak TLS: a plain MQTT (1883) or plain WebSocket (ws://) listener answered the TLS ClientHello',
      'A proxy, captive portal or load balancer in front of the broker answered in clear text',
    ],
    confirm: 'mqtt-doctor probe mqtt://HOST:PORT (plain) and mqtts://HOST:PORT (TLS) against the same port, from a PC',
    fix: 'Use the TLS port of the broker (8883, wss) or turn TLS off for a plain listener (mqtt://, ws://).',
    source:
      'https://github.com/Mbed-TLS/mbedtls/blob/development/include/mbedtls/ssl.h (MBEDTLS_ERR_SSL_INVALID_RECORD -0x7200: "An invalid SSL record was received")',
  },
  {
    id: 'tls.mbedtls.conn-eof',
    layer: 'tls',
    title: 'mbedTLS: the peer closed the connection during the TLS exchange (MBEDTLS_ERR_SSL_CONN_EOF, -0x7280)',
    names: ['MBEDTLS_ERR_SSL_CONN_EOF'],
    patterns: [/-0x7280\b/],
    numbers: [['mbedtls', -0x7280]],
    causes: [
      'The broker closed the socket mid-handshake: it requires a client certificate, rejected the SNI/host name, or has no common TLS version',
      'A firewall or proxy between them reset the connection after the ClientHello',
    ],
    confirm: 'mqtt-doctor probe mqtts://HOST:8883 --ca ca.pem --cert client.crt --key client.key (from a PC)',
    fix: 'Read the broker log at the same second; give the device the certificate and TLS version the listener requires.',
    fixFor: CERT_FIX,
    source:
      'https://github.com/Mbed-TLS/mbedtls/blob/development/include/mbedtls/ssl.h (MBEDTLS_ERR_SSL_CONN_EOF -0x7280: "The connection indicated an EOF")',
  },
];

export const TLS_ENTRIES: KbEntry[] = [...X509_ROWS.map(x509Entry), ...SSL_ROWS.map(sslEntry), ...NODE_TLS];
