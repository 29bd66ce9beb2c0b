// The fixed part of the OpenAPI document; @fastify/swagger adds every route from its TypeBox schemas.
import type { SwaggerTransformObject } from '@fastify/swagger';
import { PACKAGE_DESCRIPTION, PACKAGE_VERSION } from './package.js';

export function openapiDocument() {
  return {
    openapi: '3.0.3',
    info: {
      title: 'Cloudflare Zero Trust risk scoring (local emulator)',
      description: `${PACKAGE_DESCRIPTION}. Paths, operationIds and schemas follow Cloudflare's API; the base is /client/v4.`,
      version: PACKAGE_VERSION,
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
