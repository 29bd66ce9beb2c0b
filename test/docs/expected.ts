// How a doc's shown output is compared with what its snippet printed: strictly, except where the doc
// writes the placeholder `…` for a value that changes from run to run (ids, timestamps).
//
// JSON: the output is a sequence of JSON values (one per command that prints). A string that is exactly
// "…" stands for any one value (of any type); "…" inside a longer string stands for any run of characters
// ("http://127.0.0.1:4010/.well-known/sse-configuration/…"). Everything else must be equal: same keys,
// same array lengths, same values.
// Text: line for line; `…` inside a line stands for any run of characters within that line.

const PLACEHOLDER = '…';

/** Parses whitespace-separated JSON values, e.g. the bodies printed by three curl calls in a row. */
export function parseJsonSequence(text: string): unknown[] {
  const values: unknown[] = [];
  let i = 0;
  while (i < text.length) {
    if (/\s/.test(text[i])) {
      i++;
      continue;
    }
    const start = i;
    if (text[i] === '{' || text[i] === '[' || text[i] === '"') {
      let depth = 0;
      let inString = false;
      for (; i < text.length; i++) {
        const c = text[i];
        if (inString) {
          if (c === '\\') i++;
          else if (c === '"') inString = false;
        } else if (c === '"') inString = true;
        else if (c === '{' || c === '[') depth++;
        else if (c === '}' || c === ']') depth--;
        if (depth === 0 && !inString) break;
      }
      i++;
    } else {
      while (i < text.length && !/\s/.test(text[i])) i++;
    }
    const slice = text.slice(start, i);
    try {
      values.push(JSON.parse(slice));
    } catch {
      throw new Error(`not JSON: ${slice.slice(0, 200)}`);
    }
  }
  return values;
}

/**
 * The expected value with each placeholder replaced by what `actual` has in its place, when it fits
 * there; so `expect(actual).toEqual(resolve(expected, actual))` passes exactly when the doc is right,
 * and its diff shows only the real differences.
 */
export function resolve(expected: unknown, actual: unknown): unknown {
  if (expected === PLACEHOLDER) return actual;
  if (typeof expected === 'string') {
    return typeof actual === 'string' && wildcard(expected).test(actual) ? actual : expected;
  }
  if (Array.isArray(expected)) {
    return expected.map((item, index) => resolve(item, Array.isArray(actual) ? actual[index] : undefined));
  }
  if (expected !== null && typeof expected === 'object') {
    const inActual = actual !== null && typeof actual === 'object' && !Array.isArray(actual) ? (actual as Record<string, unknown>) : {};
    return Object.fromEntries(Object.entries(expected).map(([key, value]) => [key, resolve(value, inActual[key])]));
  }
  return expected;
}

/** Text: each expected line containing the placeholder becomes the actual line when it fits. */
export function resolveText(expected: string, actual: string): string {
  const actualLines = actual.split('\n');
  return expected
    .split('\n')
    .map((line, index) => (line.includes(PLACEHOLDER) && wildcard(line).test(actualLines[index] ?? '') ? actualLines[index] : line))
    .join('\n');
}

function wildcard(pattern: string): RegExp {
  const parts = pattern.split(PLACEHOLDER).map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  return new RegExp(`^${parts.join('.*')}$`, 's');
}
