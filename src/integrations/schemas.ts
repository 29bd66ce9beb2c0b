// TypeBox schemas of the risk score integration (Cloudflare: dlp_RiskScoreIntegration and its bodies).
import { Type, type Static } from '@sinclair/typebox';
import { AccountId, Uuid } from '../cloudflare/identifiers.js';

const IntegrationType = Type.Union([Type.Literal('Okta')], {
  description: 'The type of integration; Okta is the only one.',
});

/** A tenant's base URL; the real API refuses anything that is not an absolute http(s) URI. */
const TenantUrl = Type.String({
  format: 'uri',
  pattern: '^(https?|HTTPS?)://[^/?#\\s]+',
  maxLength: 2048,
  description: 'The base url of the tenant, e.g. "https://tenant.okta.com".',
});

/** Nullable the OpenAPI 3.0 way, as Cloudflare's schema writes it (one validator error, not an anyOf). */
const NullableReferenceId = Type.Unsafe<string | null>({
  type: 'string',
  nullable: true,
  minLength: 1,
  maxLength: 255,
  description:
    'A reference id that can be supplied by the client, e.g. the Access-Okta IDP id. Unique within the account; a fresh UUIDv4 when omitted or null.',
});

export const Integration = Type.Object(
  {
    id: Type.String({ format: 'uuid', description: 'The id of the integration, a UUIDv4.' }),
    account_tag: Type.String({ description: 'The Cloudflare account tag.' }),
    integration_type: IntegrationType,
    reference_id: Type.String({ description: 'A reference ID defined by the client.' }),
    tenant_url: Type.String({ description: 'The base URL for the tenant.' }),
    well_known_url: Type.String({ description: 'The URL of the Shared Signals Framework configuration.' }),
    active: Type.Boolean({ description: 'Whether this integration is enabled and exports risk score changes.' }),
    created_at: Type.String({ format: 'date-time', description: 'When the integration was created, RFC 3339.' }),
  },
  { description: 'A risk score integration.' },
);
export type Integration = Static<typeof Integration>;

export const CreateIntegrationBody = Type.Object({
  integration_type: IntegrationType,
  tenant_url: TenantUrl,
  reference_id: Type.Optional(NullableReferenceId),
});
export type CreateIntegrationBody = Static<typeof CreateIntegrationBody>;

export const UpdateIntegrationBody = Type.Object({
  tenant_url: TenantUrl,
  active: Type.Boolean({ description: 'Whether this integration is enabled.' }),
  reference_id: Type.Optional(NullableReferenceId),
});
export type UpdateIntegrationBody = Static<typeof UpdateIntegrationBody>;

export const IntegrationParams = Type.Object({ account_id: AccountId, integration_id: Uuid });
export const ReferenceParams = Type.Object({
  account_id: AccountId,
  reference_id: Type.String({ minLength: 1, maxLength: 255 }),
});
