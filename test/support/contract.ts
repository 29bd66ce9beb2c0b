// Validates response bodies against Cloudflare's own OpenAPI schema (test/fixtures), operation by operation.
import { readFileSync } from 'node:fs';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';

// ajv-formats is CommonJS; its default export arrives wrapped under NodeNext resolution.
const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

interface Operation {
  operationId: string;
  responses: Record<string, { content?: { 'application/json'?: { schema: unknown } } }>;
}
interface Document {
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, unknown> };
}

const cloudflareSchema = JSON.parse(
  readFileSync(new URL('../fixtures/cloudflare-zt-risk-scoring.openapi.json', import.meta.url), 'utf8'),
) as Document;

/** Every operation of Cloudflare's schema: operationId -> method and path. */
export const cloudflareOperations = Object.entries(cloudflareSchema.paths).flatMap(([path, methods]) =>
  Object.entries(methods).map(([method, op]) => ({ operationId: op.operationId, method: method.toUpperCase(), path })),
);

const ajv = new Ajv({ strict: false, allErrors: true });
addFormats(ajv);
// OpenAPI 3.0 idioms that JSON Schema lacks: `nullable`, and `example` annotations.
ajv.addKeyword({ keyword: 'example' });
ajv.addSchema({ components: cloudflareSchema.components }, 'cloudflare');

/** Turns OpenAPI 3.0 nullable schemas into JSON Schema and points $refs at the registered document. */
function toJsonSchema(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(toJsonSchema);
  if (node === null || typeof node !== 'object') return node;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(node)) {
    if (key === '$ref' && typeof value === 'string') out.$ref = `cloudflare${value}`;
    else if (key !== 'nullable') out[key] = toJsonSchema(value);
  }
  if ((node as { nullable?: boolean }).nullable === true) return { anyOf: [out, { type: 'null' }] };
  return out;
}

// The components were registered before conversion; register the converted ones instead.
ajv.removeSchema('cloudflare');
ajv.addSchema({ components: toJsonSchema(cloudflareSchema.components) }, 'cloudflare');

const validators = new Map<string, ValidateFunction>();

function validatorFor(operationId: string, status: number): ValidateFunction {
  const key = `${operationId} ${status}`;
  const cached = validators.get(key);
  if (cached) return cached;
  const op = Object.values(cloudflareSchema.paths)
    .flatMap((methods) => Object.values(methods))
    .find((o) => o.operationId === operationId);
  if (!op) throw new Error(`no operation ${operationId} in Cloudflare's schema`);
  const response = op.responses[String(status)] ?? op.responses[`${String(status)[0]}XX`];
  const schema = response?.content?.['application/json']?.schema;
  if (!schema) throw new Error(`Cloudflare's schema has no JSON response ${status} for ${operationId}`);
  const validate = ajv.compile(toJsonSchema(schema) as object);
  validators.set(key, validate);
  return validate;
}

/** The validation errors of `body` as the answer `status` to `operationId`; empty when it conforms. */
export function contractErrors(operationId: string, status: number, body: unknown): string[] {
  const validate = validatorFor(operationId, status);
  if (validate(body)) return [];
  return (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? ''}`);
}
