// The fixed part of the OpenAPI document; @fastify/swagger adds every route from its TypeBox schemas.
import { readFileSync } from 'node:fs';
import type { SwaggerTransformObject } from '@fastify/swagger';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
  name: string;
  version: string;
  description: string;
};

export const PACKAGE_NAME = pkg.name;
export const PACKAGE_VERSION = pkg.version;

export function openapiDocument() {
  return {
    openapi: '3.0.3',
    info: {
      title: 'Cloudflare Zero Trust risk scoring (local emulator)',
      description: `${pkg.description}. Paths, operationIds and schemas follow Cloudflare's API; the base is /client/v4.`,
      version: pkg.version,
    },
    // Relative, so the document (and Swagger UI's "Try it out") works on whatever host and port serves it.
    servers: [{ url: '/client/v4', description: 'This emulator' }],
    components: {
      securitySchemes: {
        api_token: { type: 'http' as const, scheme: 'bearer' },
        api_email: { type: 'apiKey' as const, in: 'header' as const, name: 'X-Auth-Email' },
        api_key: { type: 'apiKey' as const, in: 'header' as const, name: 'X-Auth-Key' },
        emulator_admin: {
          type: 'http' as const,
          scheme: 'bearer',
          description: 'EMULATOR_ADMIN_TOKEN, needed by the control API only when the emulator is started with one.',
        },
      },
    },
    security: [{ api_token: [] }, { api_email: [], api_key: [] }] as Array<Record<string, string[]>>,
  };
}

/** TypeBox writes JSON Schema's `exclusiveMinimum: 0`; OpenAPI 3.0.3 says `minimum: 0, exclusiveMinimum: true`. */
export const asOpenapi30: SwaggerTransformObject = (document) => {
  const visit = (node: unknown): void => {
    if (!node || typeof node !== 'object') return;
    const schema = node as { exclusiveMinimum?: unknown };
    if (typeof schema.exclusiveMinimum === 'number') Object.assign(schema, { minimum: schema.exclusiveMinimum, exclusiveMinimum: true });
    Object.values(schema).forEach(visit);
  };
  visit(document);
  return 'openapiObject' in document ? document.openapiObject : document.swaggerObject;
};
