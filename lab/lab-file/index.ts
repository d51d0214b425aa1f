// Public entry of the lab file: schema, loading with positioned errors, secrets, TLS trust.

export { LabFileSchema, type LabFile, type StudentGroup, type TlsTrustConfig, type XivoConfig } from './lab-schema.ts';
export { loadLabFile, parseLabText } from './load-lab-file.ts';
export { labSchemaJson } from './lab-schema-json.ts';
export { readLabSecrets, type LabSecrets } from './lab-secrets.ts';
export { loadTlsTrust } from './lab-tls.ts';
