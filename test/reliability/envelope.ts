// What every refused request must look like, whichever route refused it.
import { expect } from 'vitest';

/** Asserts `text` is Cloudflare's failure envelope: success false, errors non-empty, codes >= 1000. */
export function expectFailureEnvelope(text: string): { code: number; message: string }[] {
  const body = JSON.parse(text) as { success: unknown; errors: { code: number; message: string }[]; messages: unknown; result: unknown };
  expect(body.success).toBe(false);
  expect(body.result).toBeNull();
  expect(body.messages).toEqual([]);
  expect(body.errors.length).toBeGreaterThan(0);
  for (const error of body.errors) {
    expect(Number.isInteger(error.code) && error.code >= 1000).toBe(true);
    expect(typeof error.message === 'string' && error.message.length > 0).toBe(true);
  }
  return body.errors;
}
