// The dashboard: one page (the same HTML at each of its addresses), its script and its style sheet under
// /__emulator/ui/, and the redirect a browser asking for / gets. None of them holds account data: the script reads
// it from the control API, sending the admin token the user gave when the emulator has one (docs/dashboard.md).
import { readFile } from 'node:fs/promises';
import type { FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';

const DASHBOARD_PREFIX = '/__emulator/ui';

/** The files are served as written, from public/ next to this module: src/dashboard/public/, or dist/public/ next to
 * the bundle (scripts/build.js copies them there). */
const PUBLIC = new URL('./public/', import.meta.url);

const FILES = {
  page: { name: 'index.html', type: 'text/html; charset=utf-8' },
  script: { name: 'dashboard.js', type: 'text/javascript; charset=utf-8' },
  style: { name: 'dashboard.css', type: 'text/css; charset=utf-8' },
} as const;
type File = (typeof FILES)[keyof typeof FILES];

/** Nothing but the emulator itself: no other origin, no inline script or style. */
const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "connect-src 'self'",
  "img-src 'self' data:",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/** Whether an Accept header ranks HTML above JSON, as a browser's navigation does (curl's * / * does not). */
function prefersHtml(accept: string | undefined): boolean {
  if (accept === undefined || !accept.includes('text/html')) return false;
  let html = 0;
  let json = 0;
  for (const range of accept.split(',')) {
    const [type, ...parameters] = range.split(';').map((part) => part.trim().toLowerCase());
    const q = parameters.find((parameter) => parameter.startsWith('q='));
    const weight = q === undefined ? 1 : Number(q.slice(2)) || 0;
    if (type === 'text/html') html = Math.max(html, weight);
    else if (type === 'application/json') json = Math.max(json, weight);
  }
  return html > 0 && html >= json;
}

type ConstraintStrategy = Parameters<FastifyInstance['addConstraintStrategy']>[0];
type RouteHandler = NonNullable<ReturnType<ReturnType<ConstraintStrategy['storage']>['get']>>;

export const dashboardRoutes: FastifyPluginAsync = async (app) => {
  // GET / exists only for a browser: a route constrained on Accept, so every other client still reaches the
  // not-found handler exactly as before (the 404 envelope for GET, and no 405 for other methods).
  app.addConstraintStrategy({
    name: 'accept',
    storage() {
      const handlers = new Map<unknown, RouteHandler>();
      return {
        get: (value: unknown) => handlers.get(value) ?? null,
        set: (value: unknown, handler: RouteHandler) => {
          handlers.set(value, handler);
        },
      };
    },
    deriveConstraint: (request: FastifyRequest['raw']) => (prefersHtml(request.headers.accept) ? 'html' : undefined),
    mustMatchWhenDerived: false,
  });
  app.get('/', { constraints: { accept: 'html' }, schema: { hide: true } }, async (_request, reply) => reply.redirect(`${DASHBOARD_PREFIX}/`, 302));

  const contents = new Map<string, Promise<Buffer>>();
  const serve = (file: File) => ({
    schema: { hide: true },
    handler: async (_request: FastifyRequest, reply: FastifyReply) => {
      // Read once, on first use.
      let body = contents.get(file.name);
      if (!body) {
        body = readFile(new URL(file.name, PUBLIC));
        contents.set(file.name, body);
        body.catch(() => contents.delete(file.name));
      }
      reply.type(file.type).header('cache-control', 'no-cache').header('x-content-type-options', 'nosniff');
      if (file === FILES.page) reply.header('content-security-policy', CONTENT_SECURITY_POLICY).header('referrer-policy', 'no-referrer');
      return reply.send(await body);
    },
  });

  // The page's addresses: the accounts, one account, one delivery (SET) of an account.
  app.get(`${DASHBOARD_PREFIX}/`, serve(FILES.page));
  app.get(`${DASHBOARD_PREFIX}/accounts/:account_id`, serve(FILES.page));
  app.get(`${DASHBOARD_PREFIX}/accounts/:account_id/deliveries/:jti`, serve(FILES.page));
  app.get(`${DASHBOARD_PREFIX}/dashboard.js`, serve(FILES.script));
  app.get(`${DASHBOARD_PREFIX}/dashboard.css`, serve(FILES.style));
};
