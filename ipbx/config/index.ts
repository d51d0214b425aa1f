// Public entry of the configuration area: loading and validating voiplab.yaml, the file-backed
// ConfigService, first-run defaults, TLS material and the admin token.

export { ConfigSchema, type VoiplabConfig, type AccountConfig, type GroupConfig, type DialplanRule, type DialplanAction, type SipListenerConfig, type HttpListenerConfig } from './config-schema.ts';
export type { ConfigService, ConfigServiceEvents, AccountInput, AccountPatch } from './config-service.ts';
export { ConfigError, CONFIG_ERROR_CODES, configError, formatIssue, type ConfigErrorCode, type ConfigIssue } from './config-errors.ts';
export { loadConfig, parseConfigText, type LoadedConfig } from './load-config.ts';
export { ConfigFileService, type ConfigFileServiceOptions } from './config-file-service.ts';
export { ha1Hashes, HA1_ALGORITHMS } from './account-credentials.ts';
export { ensureDefaultConfig, ensureDataDir, defaultConfigText, createFirstRunSecrets, DEFAULT_DATA_DIR, CONFIG_FILE_NAME, DEFAULT_DOMAIN, type FirstRunSecrets, type ConfigLocation } from './default-config.ts';
export { loadTlsMaterial, generateSelfSigned, type TlsMaterial, type TlsOptions } from './tls-material.ts';
export { resolveAdminToken, ADMIN_TOKEN_ENV, type ResolvedAdminToken, type AdminTokenSource } from './admin-token.ts';
export { generatePassword, generateToken } from './secrets.ts';
export { writeFileAtomic } from './atomic-write.ts';
export { configSchemaJson } from './config-schema-json.ts';
