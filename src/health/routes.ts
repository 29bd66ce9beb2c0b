// Liveness and readiness probes for Docker HEALTHCHECK, docker-compose and Testcontainers: cheap, no credentials.
import type { FastifyPluginAsync } from 'fastify';
import { Type } from '@sinclair/typebox';
import { schemaVersionReader, type Database } from '../db/database.js';

export interface HealthOptions {
  db: Database;
  /** The schema version the code expects (the highest migration number). */
  expectedVersion: number;
}

const Health = Type.Object({ status: Type.String(), schema_version: Type.Optional(Type.Integer()) });
const TAG = 'Emulator health';

export const healthRoutes: FastifyPluginAsync<HealthOptions> = async (app, { db, expectedVersion }) => {
  const currentVersion = schemaVersionReader(db);

  app.get(
    '/healthz',
    { schema: { operationId: 'emulator-healthz', summary: 'Liveness: the process answers.', tags: [TAG], response: { 200: Health } } },
    async () => ({ status: 'ok' }),
  );

  app.get(
    '/readyz',
    {
      schema: {
        operationId: 'emulator-readyz',
        summary: 'Readiness: the database is open and fully migrated (503 otherwise).',
        tags: [TAG],
        response: { 200: Health, 503: Health },
      },
    },
    async (_request, reply) => {
      const version = currentVersion();
      if (version !== expectedVersion) {
        return reply.code(503).send({ status: 'unavailable', ...(version === undefined ? {} : { schema_version: version }) });
      }
      return { status: 'ready', schema_version: version };
    },
  );
};
