// ajv for the lab file, with the config area's check: defaults filled in place, each ajv error
// turned into one readable PathIssue.

import { schemaCheck, type SchemaCheck } from '../../ipbx/config/schema-validator.ts';
import { LabFileSchema } from './lab-schema.ts';

/** Mutates `data` (fills defaults). Returns the issues, empty when valid. */
export const validateLabSchema: SchemaCheck = schemaCheck(LabFileSchema);
