// The OpenAPI document at /openapi.json (and .yaml), and Swagger UI at /docs with a working "Try it out".
// Both are made on the first request for them: @fastify/swagger and @fastify/swagger-ui, with the YAML and
// static-file modules they load, would otherwise add about 100 ms to every start (docs/performance.md), and most
// runs never ask. The app notes its routes as they are registered; the first request builds a second Fastify
// instance holding the two plugins and those routes (with handlers that never run), and /docs requests are
// handed to its router.
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyPluginAsync, type FastifyReply, type FastifyRequest, type FastifyServerOptions, type RouteOptions } from 'fastify';
import { answerFailures } from '../cloudflare/failures.js';
import { asOpenapi30, openapiDocument } from '../openapi.js';

/**
 * The routes the document describes, noted as `app` registers them: call it before any route is registered. The
 * route objects themselves are kept, so what a plugin's own onRoute hook adds later (the controls' security) is
 * in them when the document is made. HEAD twins and hidden routes are never documented.
 */
export function documentedRoutes(app: FastifyInstance): RouteOptions[] {
  const routes: RouteOptions[] = [];
  app.addHook('onRoute', (route) => {
    if (route.method !== 'HEAD' && route.schema?.hide !== true) routes.push(route);
  });
  return routes;
}

function neverCalled(): never {
  throw new Error('the documentation instance only describes routes');
}

interface DocsOptions {
  /** The routes to describe, from documentedRoutes(). */
  routes: readonly RouteOptions[];
  /** The app's, so that every spelling of a /docs path the app routes here is routed alike. */
  routerOptions: FastifyServerOptions['routerOptions'];
}

async function documentation({ routes, routerOptions }: DocsOptions, log: FastifyBaseLogger): Promise<FastifyInstance> {
  const [{ default: swagger }, { default: swaggerUi }] = await Promise.all([import('@fastify/swagger'), import('@fastify/swagger-ui')]);
  const docs = Fastify({ loggerInstance: log, routerOptions, logController: new LogController({ disableRequestLogging: true }) });
  // Only the schemas are read here, by @fastify/swagger: nothing is validated or serialised with them.
  docs.setValidatorCompiler(() => () => true);
  docs.setSerializerCompiler(() => (data) => JSON.stringify(data));
  answerFailures(docs);
  await docs.register(swagger, { openapi: openapiDocument(), transformObject: asOpenapi30 });
  for (const route of routes) docs.route({ method: route.method, url: route.url, schema: route.schema, config: route.config, handler: neverCalled });
  // The document's server is the relative /client/v4, so "Try it out" calls whatever host serves the page.
  await docs.register(swaggerUi, {
    routePrefix: '/docs',
    uiConfig: { deepLinking: true, tryItOutEnabled: false, displayOperationId: true, persistAuthorization: true },
  });
  await docs.ready();
  return docs;
}

export const docsRoutes: FastifyPluginAsync<DocsOptions> = async (app, options) => {
  let built: Promise<FastifyInstance> | undefined;
  const docs = () =>
    (built ??= documentation(options, app.log).catch((error: unknown) => {
      built = undefined;
      throw error;
    }));
  app.addHook('onClose', async () => {
    await (await built?.catch(() => undefined))?.close();
  });

  app.get('/openapi.json', { schema: { hide: true } }, async (_request, reply) => reply.type('application/json; charset=utf-8').send((await docs()).swagger()));
  app.get('/openapi.yaml', { schema: { hide: true } }, async (_request, reply) =>
    reply.type('application/yaml; charset=utf-8').send((await docs()).swagger({ yaml: true })),
  );
  // Swagger UI's page, files and copies of the document: its instance's router answers on this connection, with
  // the headers this app has set so far (CORS).
  const swaggerUi = async (request: FastifyRequest, reply: FastifyReply) => {
    const instance = await docs();
    for (const [name, value] of Object.entries(reply.getHeaders())) if (value !== undefined) reply.raw.setHeader(name, value);
    reply.hijack();
    instance.routing(request.raw, reply.raw);
  };
  app.get('/docs', { schema: { hide: true } }, swaggerUi);
  app.get('/docs/*', { schema: { hide: true } }, swaggerUi);
};
