// Timestamps as Cloudflare writes them: RFC 3339 in UTC, whole seconds without a fraction (2025-03-19T19:53:56Z).

/** RFC 3339 in UTC, truncated to the second. */
export function rfc3339Seconds(date: Date): string {
  return `${date.toISOString().slice(0, 19)}Z`;
}

/** RFC 3339 in UTC; a time with milliseconds keeps them, whole seconds are written without a fraction. */
export function rfc3339(date: Date): string {
  const iso = date.toISOString();
  return iso.endsWith('.000Z') ? `${iso.slice(0, 19)}Z` : iso;
}
