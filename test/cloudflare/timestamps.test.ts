// created_at is written as Cloudflare writes it: RFC 3339, UTC, whole seconds.
import { describe, expect, it } from 'vitest';
import { rfc3339Seconds } from '../../src/cloudflare/timestamps.js';

describe('rfc3339Seconds', () => {
  it('truncates to the second', () => {
    expect(
      ['2025-03-19T19:53:56.000Z', '2025-03-19T19:53:56.999Z', '2025-03-19T19:53:57.001Z', '2025-03-19T19:53:56.500Z', '1969-12-31T23:59:59.500Z', '1970-01-01T00:00:00.000Z'].map(
        (iso) => rfc3339Seconds(new Date(iso)),
      ),
    ).toEqual(['2025-03-19T19:53:56Z', '2025-03-19T19:53:56Z', '2025-03-19T19:53:57Z', '2025-03-19T19:53:56Z', '1969-12-31T23:59:59Z', '1970-01-01T00:00:00Z']);
  });

  it('refuses an invalid date every time, also after a valid one', () => {
    rfc3339Seconds(new Date('2025-03-19T19:53:56Z'));
    expect(() => rfc3339Seconds(new Date(Number.NaN))).toThrow(RangeError);
    expect(() => rfc3339Seconds(new Date(Number.NaN))).toThrow(RangeError);
  });
});
