// What the journal and fault rules know of a request: whether its route is the emulator's own, its path as
// routed, the account it names, and the path patterns they filter by (matched without /client/v4).
import type { FastifyInstance, FastifyRequest } from 'fastify';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** A route of the emulator itself (controls, health, docs): never journaled, never answered by a fault rule. */
    internal?: boolean;
  }
}

/** Marks every route registered in `instance` (and its children) as the emulator's own. */
export function markInternal(instance: FastifyInstance): void {
  instance.addHook('onRoute', (route) => {
    route.config = { ...route.config, internal: true };
  });
}

export function isInternal(request: FastifyRequest): boolean {
  return request.routeOptions.config.internal === true;
}

const API_PREFIX = '/client/v4';
const ACCOUNT_IN_PATH = /^\/accounts\/([^/?]+)/;

/** The path a request is routed on: no /client/v4 base, no query, no trailing slash. */
export function routedPath(url: string): string {
  const q = url.indexOf('?');
  let path = q === -1 ? url : url.slice(0, q);
  if (path === API_PREFIX || path.startsWith(`${API_PREFIX}/`)) path = path.slice(API_PREFIX.length);
  if (path.length > 1 && path.endsWith('/')) path = path.slice(0, -1);
  return path || '/';
}

/** The account a Cloudflare path names, if any. */
export function accountOf(path: string): string | undefined {
  return ACCOUNT_IN_PATH.exec(path)?.[1];
}

/** Longer paths match no pattern: no route of the emulator comes near it, and it bounds the work of a match. */
const MAX_MATCHED_PATH = 2048;

const CHAR = 0;
const ONE = 1; // one character other than "/" (the first of "{name}")
const STAR = 2; // any run of characters other than "/"
const ANY = 3; // any run of characters ("**")
const SLASH = 0x2f;

export interface PathPattern {
  /** True when the whole of `path` (as routedPath gives it) matches. */
  matches(path: string): boolean;
}

/**
 * Compiles a path pattern: `*` matches within one segment, `**` across segments, `{name}` one whole
 * segment (so paths copied from the OpenAPI document work). Undefined when the pattern is not a path.
 *
 * No backtracking: the pattern is a chain of states (one per character or wildcard), run as a set of states
 * over the path's characters, kept as bits in 32-bit words. A match costs at most (path length) x (pattern
 * length / 32) word operations, whatever the pattern and the path.
 */
export function compilePathPattern(pattern: string): PathPattern | undefined {
  if (!pattern.startsWith('/') || /\s/.test(pattern)) return undefined;
  const path = routedPath(pattern);
  const kinds: number[] = [];
  const chars: number[] = [];
  const push = (kind: number, char = -1) => {
    const last = kinds.length - 1;
    // Adjacent wildcards are one: `**` absorbs a `*` beside it.
    if ((kind === STAR || kind === ANY) && (kinds[last] === STAR || kinds[last] === ANY)) {
      if (kind === ANY) kinds[last] = ANY;
      return;
    }
    kinds.push(kind);
    chars.push(char);
  };
  for (let i = 0; i < path.length; i++) {
    const c = path.charCodeAt(i);
    if (c === 0x2a && path.charCodeAt(i + 1) === 0x2a) {
      push(ANY);
      i++;
    } else if (c === 0x2a) push(STAR);
    else if (c === 0x7b) {
      const end = path.indexOf('}', i);
      if (end === -1) return undefined;
      push(ONE);
      push(STAR);
      i = end;
    } else push(CHAR, c);
  }
  return new ChainMatcher(kinds, chars);
}

/** The literal characters of `chars` from `from` while `kinds` are CHAR, as a string. */
function literalRun(kinds: number[], chars: number[], from: number, step: 1 | -1): string {
  const codes: number[] = [];
  for (let k = from; k >= 0 && k < kinds.length && kinds[k] === CHAR; k += step) codes.push(chars[k] as number);
  return String.fromCharCode(...(step === 1 ? codes : codes.reverse()));
}

/** The pattern as a chain of states: state k has matched the first k elements; the last state accepts. */
class ChainMatcher implements PathPattern {
  private readonly words: number;
  /** Character class of a character code: 0 for any character the pattern does not name. */
  private readonly classOf = new Map<number, number>();
  /** Per class and word: states that move on by one on a character of that class. */
  private readonly advance: Int32Array;
  /** Per class and word: states that stay (a `*` or `**` consuming the character). */
  private readonly stay: Int32Array;
  /** States that may be passed without consuming anything (`*`, `**`). */
  private readonly optional: Int32Array;
  /** For a `*` or `**` state, the lowest state it stands in for. */
  private readonly floor: Int32Array;
  private readonly accept: number;
  /** What every match starts and ends with, and its least length: checked first, in constant time. */
  private readonly prefix: string;
  private readonly suffix: string;
  private readonly minLength: number;
  /** The live states while matching (one match at a time: JavaScript runs one at a time). */
  private readonly live: Int32Array;

  constructor(kinds: number[], chars: number[]) {
    const n = kinds.length;
    this.accept = n;
    const W = (this.words = (n >>> 5) + 1);
    const codes = [...new Set(chars.filter((c) => c >= 0)).add(SLASH)];
    codes.forEach((code, i) => this.classOf.set(code, i + 1));
    const classes = codes.length + 1;
    this.advance = new Int32Array(classes * W);
    this.stay = new Int32Array(classes * W);
    this.optional = new Int32Array(W);
    this.floor = new Int32Array(n + 1);
    this.live = new Int32Array(W);
    this.prefix = literalRun(kinds, chars, 0, 1);
    this.suffix = this.prefix.length === n ? '' : literalRun(kinds, chars, n - 1, -1);
    this.minLength = kinds.filter((k) => k === CHAR || k === ONE).length;
    let segmentStart = 0;
    for (let k = 0; k < n; k++) {
      const bit = 1 << (k & 31);
      const w = k >>> 5;
      const kind = kinds[k];
      for (let cls = 0; cls < classes; cls++) {
        const slash = cls > 0 && codes[cls - 1] === SLASH;
        if ((kind === CHAR && cls > 0 && codes[cls - 1] === chars[k]) || (kind === ONE && !slash)) this.advance[cls * W + w]! |= bit;
        if ((kind === STAR && !slash) || kind === ANY) this.stay[cls * W + w]! |= bit;
      }
      if (kind === STAR || kind === ANY) this.optional[w]! |= bit;
      // A live `**` can go wherever a state below it can; a live `*` wherever one of its own segment (after
      // the last `**`) can. Those states are dropped, so dead alignments are not carried along.
      if (kind === ANY) {
        this.floor[k] = 0;
        segmentStart = k + 1;
      } else if (kind === STAR) this.floor[k] = segmentStart;
      else if (kind === CHAR && chars[k] === SLASH) segmentStart = k + 1;
    }
  }

  matches(path: string): boolean {
    if (path.length > MAX_MATCHED_PATH || path.length < this.minLength) return false;
    if (!path.startsWith(this.prefix) || !path.endsWith(this.suffix)) return false;
    const { live, advance, stay, optional } = this;
    live.fill(0);
    live[0] = 1 | ((optional[0]! & 1) << 1);
    // Only the words from `low` to `high` can hold live states.
    let low = 0;
    let high = 0;
    for (let i = 0; i < path.length; i++) {
      const base = (this.classOf.get(path.charCodeAt(i)) ?? 0) * this.words;
      const top = Math.min(high + 1, this.words - 1);
      let carryMoved = 0;
      let carrySkipped = 0;
      let newLow = -1;
      let newHigh = -1;
      for (let w = low; w <= top; w++) {
        const v = live[w]!;
        const moved = v & advance[base + w]!;
        let next = (moved << 1) | carryMoved | (v & stay[base + w]!);
        carryMoved = moved >>> 31;
        const skipped = next & optional[w]!;
        next |= (skipped << 1) | carrySkipped;
        carrySkipped = skipped >>> 31;
        live[w] = next;
        if (next !== 0) {
          if (newLow === -1) newLow = w;
          newHigh = w;
        }
      }
      if (newLow === -1) return false;
      low = this.dropDominated(newLow, newHigh);
      high = newHigh;
    }
    return (live[this.accept >>> 5]! & (1 << (this.accept & 31))) !== 0;
  }

  /** Clears the states the highest live `*`/`**` stands in for; returns the lowest word still live. */
  private dropDominated(low: number, high: number): number {
    const { live } = this;
    for (let w = high; w >= low; w--) {
      const loops = live[w]! & this.optional[w]!;
      if (loops === 0) continue;
      const h = (w << 5) + 31 - Math.clz32(loops);
      const f = this.floor[h]!;
      const fw = f >>> 5;
      const under = (1 << (f & 31)) - 1;
      const fromH = ~((1 << (h & 31)) - 1);
      if (fw === w) live[w] = live[w]! & (under | fromH);
      else {
        if (fw >= low) live[fw] = live[fw]! & under;
        for (let x = Math.max(fw + 1, low); x < w; x++) live[x] = 0;
        live[w] = live[w]! & fromH;
      }
      break;
    }
    while (low < high && live[low] === 0) low++;
    return low;
  }
}
