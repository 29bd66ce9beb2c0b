// The OpenAPI document at /openapi.json (and .yaml), and Swagger UI at /docs with a working "Try it out".
import type { FastifyPluginAsync } from 'fastify';
import fastifySwaggerUi from '@fastify/swagger-ui';

export const docsRoutes: FastifyPluginAsync = async (app) => {
  app.get('/openapi.json', { schema: { hide: true } }, async (_request, reply) => reply.type('application/json; charset=utf-8').send(app.swagger()));
  app.get('/openapi.yaml', { schema: { hide: true } }, async (_request, reply) =>
    reply.type('application/yaml; charset=utf-8').send(app.swagger({ yaml: true })),
  );
  // The document's server is the relative /client/v4, so "Try it out" calls whatever host serves the page.
  await app.register(fastifySwaggerUi, {
    routePrefix: '/docs',
    uiConfig: { deepLinking: true, tryItOutEnabled: false, displayOperationId: true, persistAuthorization: true },
  });
};
