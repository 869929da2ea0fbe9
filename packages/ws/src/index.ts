export { CLOSE_CODES, closeCodeFor, errorBody } from './close-codes.js';
export {
  createUpgradeGate,
  DEFAULT_MAX_PAYLOAD_BYTES,
  type GateLease,
  type UpgradeGate,
  type UpgradeGateOptions,
  type WsSession,
} from './gate.js';
export {
  checkHandshake,
  type HandshakeDecision,
  type HandshakeFailure,
  type HandshakeRequest,
} from './handshake.js';
export {
  createHeartbeat,
  DEFAULT_MAX_MISSED_PONGS,
  DEFAULT_PING_INTERVAL_MS,
  type Heartbeat,
  type HeartbeatOptions,
  type PingSocket,
} from './heartbeat.js';
export { type RefuseOptions, refuseUpgrade } from './refuse.js';
export { createSender, type Sender, type SenderOptions, type SendSocket } from './sender.js';
