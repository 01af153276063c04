// OpenAPI for the built-in kinds: upstream-named definitions, the /openapi/v2 and /openapi/v3
// documents, the strategic-merge-patch view of the schemas, and strict-decoding's unknown fields.
export { definitions, definitionFor, definitionNameFor, resolve, type Schema, type GroupVersionKind } from './definitions.js';
export { openAPIV2, openAPIV3, openAPIV3Root, v3PathKey, SCHEMA_VERSION, type OpenAPIDocument, type OpenAPIOptions } from './documents.js';
export { patchSchemaFor } from './patch-schema.js';
export { unknownFields, pruneUnknownFields } from './unknown-fields.js';
