// The integrations table as a state document carries it: every value as the integration endpoints accept it.
import { Flag, type AccountTable } from '../db/accountTables.js';
import { CreateIntegrationBody, Integration, IntegrationParams, ReferenceParams } from './schemas.js';

export const integrationTables: AccountTable[] = [
  {
    table: 'integrations',
    columns: {
      id: IntegrationParams.properties.integration_id,
      integration_type: CreateIntegrationBody.properties.integration_type,
      reference_id: ReferenceParams.properties.reference_id,
      tenant_url: CreateIntegrationBody.properties.tenant_url,
      active: Flag,
      created_at: Integration.properties.created_at,
    },
  },
];
