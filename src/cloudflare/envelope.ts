// The envelope every Cloudflare v4 answer is wrapped in, as TypeBox schemas and a constructor.
import { Type, type TSchema } from '@sinclair/typebox';

const Message = Type.Object(
  {
    code: Type.Integer({ minimum: 1000 }),
    message: Type.String(),
    documentation_url: Type.Optional(Type.String()),
    source: Type.Optional(Type.Object({ pointer: Type.String() })),
  },
);

/** An error entry may carry an `error_chain` of further entries (Cloudflare's 6003). */
const ErrorEntry = Type.Object({
  code: Type.Integer({ minimum: 1000 }),
  message: Type.String(),
  documentation_url: Type.Optional(Type.String()),
  source: Type.Optional(Type.Object({ pointer: Type.String() })),
  error_chain: Type.Optional(Type.Array(Type.Object({ code: Type.Integer(), message: Type.String() }))),
});

export const FailureEnvelope = Type.Object(
  {
    success: Type.Literal(false),
    errors: Type.Array(ErrorEntry, { minItems: 1 }),
    messages: Type.Array(Message),
    result: Type.Null(),
  },
  { description: 'Failure envelope: errors is never empty.' },
);

const ResultInfo = Type.Object({
  count: Type.Integer(),
  page: Type.Integer(),
  per_page: Type.Integer(),
  total_count: Type.Integer(),
  total_pages: Type.Optional(Type.Integer()),
});

function SuccessEnvelope<T extends TSchema>(result: T) {
  return Type.Object({
    success: Type.Literal(true),
    errors: Type.Array(Message),
    messages: Type.Array(Message),
    result,
  });
}

/** Response schemas for a route: the success body under 200, the failure envelope for every 4xx. */
export function responses<T extends TSchema>(result: T) {
  return { 200: SuccessEnvelope(result), '4xx': FailureEnvelope } as const;
}

/** As `responses`, for the reads that also answer `result_info` (summary, per-user risk). */
export function responsesWithInfo<T extends TSchema>(result: T) {
  return {
    200: Type.Composite([SuccessEnvelope(result), Type.Object({ result_info: ResultInfo })]),
    '4xx': FailureEnvelope,
  } as const;
}

export function success<T>(result: T): { success: true; errors: []; messages: []; result: T } {
  return { success: true, errors: [], messages: [], result };
}
