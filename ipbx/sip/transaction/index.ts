// Public entry of the SIP transaction layer (RFC 3261 §17, RFC 6026).
export { TransactionLayer, type TransactionUser, type TransactionLayerOptions, type TransactionCounts, type ClientTransaction, type ServerTransaction } from './transaction-layer.ts';
export { InviteClientTransaction, IctState, ICT_TRANSITIONS } from './invite-client-transaction.ts';
export { NonInviteClientTransaction, NictState, NICT_TRANSITIONS } from './non-invite-client-transaction.ts';
export { InviteServerTransaction, IstState, IST_TRANSITIONS } from './invite-server-transaction.ts';
export { NonInviteServerTransaction, NistState, NIST_TRANSITIONS } from './non-invite-server-transaction.ts';
export { Transaction, type TransitionTable, type TransactionKind, type TimerName, type ClientTransactionHandlers, type ServerTransactionEvents, type TransactionContext } from './transaction.ts';
export { DEFAULT_TIMER_CONFIG, resolveTimerConfig, transactionTimers, type TimerConfig, type TransactionTimers } from './timer-config.ts';
export { serverTransactionKey, clientTransactionKey, responseTransactionKey, legacyBucketKey, matchesLegacy, type MatchMode } from './transaction-key.ts';
export { responseTarget, defaultPort } from './response-target.ts';
export { buildNon2xxAck } from './build-ack.ts';
export { TransactionError, TRANSACTION_ERROR_CODES, type TransactionErrorCode } from './transaction-errors.ts';
