// Liveness and readiness probes for Docker HEALTHCHECK, docker-compose and Testcontainers: cheap, no credentials.
import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import { Type } from '@sinclair/typebox';
import { schemaVersionReader, type Database } from '../db/database.js';

export interface HealthOptions {
  db: Database;
  /** The schema version the code expects (the highest migration number). */
  expectedVersion: number;
}

const Health = Type.Object({ status: Type.String(), schema_version: Type.Optional(Type.Integer()) });
const TAG = 'Emulator health';

/**
 * The probes send their JSON already serialised, the bytes the schema's serializer would write: a probe is
 * what answers first after a start, and it should not wait for fast-json-stringify and Ajv to load (the
 * serializers compile on first use, src/schemaCompilers.ts). Failures (faults, errors) still go through it.
 */
function health(reply: FastifyReply, status: string, schemaVersion?: number): FastifyReply {
  const body = schemaVersion === undefined ? { status } : { status, schema_version: schemaVersion };
  return reply.type('application/json; charset=utf-8').send(JSON.stringify(body));
}

export const healthRoutes: FastifyPluginAsync<HealthOptions> = async (app, { db, expectedVersion }) => {
  const currentVersion = schemaVersionReader(db);

  app.get(
    '/healthz',
    { schema: { operationId: 'emulator-healthz', summary: 'Liveness: the process answers.', tags: [TAG], security: [], response: { 200: Health } } },
    async (_request, reply) => health(reply, 'ok'),
  );

  app.get(
    '/readyz',
    {
      schema: {
        operationId: 'emulator-readyz',
        summary: 'Readiness: the database is open and fully migrated (503 otherwise).',
        tags: [TAG],
        security: [],
        response: { 200: Health, 503: Health },
      },
    },
    async (_request, reply) => {
      const version = currentVersion();
      if (version !== expectedVersion) return health(reply.code(503), 'unavailable', version);
      return health(reply, 'ready', version);
    },
  );
};
