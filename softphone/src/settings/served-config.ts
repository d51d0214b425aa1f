// What `voiplab serve` tells the softphone it serves (GET /phone/config.json): the IPBX's own
// SIP-over-WebSocket URL and domain, so users only type their extension and password. Plain
// data, shared by the IPBX route (Node) and the app (browser).

export interface ServedPhoneConfig {
  /** ws:// or wss:// URL of the IPBX's SIP WebSocket listener, as reachable from the page; null when none fits. */
  server: string | null;
  /** SIP domain of the accounts. */
  domain: string;
}
