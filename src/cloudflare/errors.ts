// The one error type every failure is thrown as, and the catalogue of codes the emulator answers with.
// Codes Cloudflare is known to use are reused; the 1xxx codes are the emulator's own (listed in the README).

export interface ErrorMessage {
  code: number;
  message: string;
  documentation_url?: string;
  source?: { pointer: string };
  error_chain?: ErrorMessage[];
}

export class ApiError extends Error {
  readonly statusCode: number;
  readonly errors: ErrorMessage[];
  /** Extra response headers, e.g. Retry-After for an injected 429. */
  readonly headers: Record<string, string>;

  constructor(statusCode: number, errors: ErrorMessage[], headers: Record<string, string> = {}) {
    super(errors.map((e) => `${e.code}: ${e.message}`).join('; '));
    this.name = 'ApiError';
    this.statusCode = statusCode;
    this.errors = errors;
    this.headers = headers;
  }
}

export const ErrorCode = {
  internal: 1000,
  validation: 1001,
  malformedJson: 1002,
  unsupportedMediaType: 1003,
  bodyTooLarge: 1004,
  badRequest: 1005,
  integrationNotFound: 1101,
  referenceIdConflict: 1102,
  unknownRiskBehavior: 1201,
  riskUserNotFound: 1202,
  ssfStreamNotFound: 1301,
  ssfInvalidStream: 1302,
  // Emulator controls and auth modes: 1400-1499.
  adminTokenRequired: 1401,
  invalidState: 1410,
  faultNotFound: 1420,
  invalidFault: 1421,
  injectedFault: 1450,
  jsonTooDeep: 1500,
  noRoute: 7000,
  methodNotAllowed: 7001,
  couldNotRoute: 7003,
  invalidHeaders: 6003,
  invalidEmailHeader: 6102,
  invalidKeyHeader: 6103,
  invalidAuthorizationHeader: 6111,
  missingCredentials: 9106,
  authentication: 10000,
} as const;

/** Cloudflare's answer for an unknown route or a malformed object identifier in the path. */
export function noRoute(path: string): ApiError {
  return new ApiError(404, [
    {
      code: ErrorCode.couldNotRoute,
      message: `Could not route to ${path}, perhaps your object identifier is invalid?`,
    },
    { code: ErrorCode.noRoute, message: 'No route for that URI' },
  ]);
}

export function notFound(code: number, message: string): ApiError {
  return new ApiError(404, [{ code, message }]);
}

export function badRequest(code: number, message: string, pointer?: string): ApiError {
  return new ApiError(400, [{ code, message, ...(pointer === undefined ? {} : { source: { pointer } }) }]);
}

/** A JSON pointer token: `~` and `/` escaped (RFC 6901). */
export function pointerToken(key: string): string {
  return key.replaceAll('~', '~0').replaceAll('/', '~1');
}
