/**
 * Idle timeouts of common middleboxes and cloud front doors: a connection that dies after one of these, idle,
 * points at the box. log-timeline matches a regular connection lifetime against them; keepalive advice keeps
 * the MQTT keepalive below the shortest one on the path.
 */
export interface IdleTimeout {
  seconds: number;
  name: string;
  source: string;
}

export const KNOWN_IDLE_TIMEOUTS: readonly IdleTimeout[] = [
  {
    seconds: 60,
    name: 'AWS ALB / Classic ELB default idle timeout (60 s)',
    source:
      'https://docs.aws.amazon.com/elasticloadbalancing/latest/application/application-load-balancers.html#connection-idle-timeout',
  },
  {
    seconds: 240,
    name: 'Azure Load Balancer default idle timeout (4 min)',
    source: 'https://learn.microsoft.com/en-us/azure/load-balancer/load-balancer-tcp-idle-timeout',
  },
  {
    seconds: 350,
    name: 'AWS NAT gateway / NLB idle timeout (350 s)',
    source:
      'https://docs.aws.amazon.com/vpc/latest/userguide/nat-gateway-troubleshooting.html; https://docs.aws.amazon.com/elasticloadbalancing/latest/network/update-idle-timeout.html',
  },
  {
    seconds: 600,
    name: 'API Gateway WebSocket idle timeout (10 min)',
    source:
      'https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-execution-service-websocket-limits-table.html',
  },
  {
    seconds: 1200,
    name: 'GCP Cloud NAT established-TCP idle timeout (1200 s)',
    source:
      'https://cloud.google.com/nat/docs/tune-nat-configuration#tcp-established (tcpEstablishedIdleTimeoutSec default 1200 s)',
  },
  {
    seconds: 1767,
    name: 'Azure IoT Hub keepalive cap (1767 s)',
    source: 'https://learn.microsoft.com/en-us/azure/iot/iot-mqtt-connect-to-iot-hub#default-keep-alive-timeout',
  },
];

/** Known idle timeouts within ±max(10 %, 5 s) of `seconds` (empty: none known, the caller says so). */
export function idleTimeoutsNear(seconds: number): IdleTimeout[] {
  return KNOWN_IDLE_TIMEOUTS.filter((t) => Math.abs(seconds - t.seconds) <= Math.max(0.1 * t.seconds, 5));
}
