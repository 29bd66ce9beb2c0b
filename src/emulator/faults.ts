// Fault injection: rules that make matching requests fail the way Cloudflare's API fails (429 with
// Retry-After, 5xx), wait first, or drop the connection, so clients can test their retries and timeouts.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ApiError, ErrorCode, type ErrorMessage } from '../cloudflare/errors.js';
import { accountOf, compilePathPattern, isInternal, routedPath, type PathPattern } from './requests.js';
import type { FaultRule, FaultRuleInput } from './schemas.js';

const DEFAULT_MESSAGES: Record<number, string> = {
  400: 'Bad request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not found',
  408: 'Request timeout',
  409: 'Conflict',
  429: 'Rate limited. Please wait and consider throttling your request speed',
  500: 'Internal server error',
  502: 'Bad gateway',
  503: 'Service temporarily unavailable',
  504: 'Gateway timeout',
};

/** Every request is tried against every rule: their number, and their patterns' total length, bound that work. */
const MAX_FAULT_RULES = 1000;
const MAX_PATTERN_CHARACTERS = 32_768;

interface CompiledRule {
  rule: FaultRule;
  path: PathPattern;
  method: string | undefined;
}

function invalidFault(message: string, pointer: string): ApiError {
  return new ApiError(400, [{ code: ErrorCode.invalidFault, message, source: { pointer } }]);
}

export class FaultRules {
  private rules: CompiledRule[] = [];
  private readonly sleeping = new Map<NodeJS.Timeout, () => void>();

  constructor(
    private readonly newId: () => string,
    private readonly random: () => number,
  ) {}

  /** Adds the fault check to the root instance, ahead of credentials and routes. */
  install(app: FastifyInstance): void {
    // Callback style, so a server without rules (the usual case) pays no promise or microtask per request.
    app.addHook('onRequest', (request, reply, done) => {
      if (this.rules.length === 0) {
        done();
        return;
      }
      this.apply(request, reply).then(() => done(), done);
    });
    // Requests waiting on an injected latency go on at once when the server closes.
    app.addHook('onClose', async () => {
      for (const [timer, wake] of this.sleeping) {
        clearTimeout(timer);
        wake();
      }
      this.sleeping.clear();
    });
  }

  add(input: FaultRuleInput): FaultRule {
    if (this.rules.length >= MAX_FAULT_RULES) {
      throw invalidFault(`there are already ${MAX_FAULT_RULES} fault rules, the most the emulator keeps; remove some first`, '/');
    }
    const characters = this.rules.reduce((sum, r) => sum + r.rule.path.length, input.path.length);
    if (characters > MAX_PATTERN_CHARACTERS) {
      throw invalidFault(
        `the fault rules' path patterns would total ${characters} characters, more than the ${MAX_PATTERN_CHARACTERS} a request is matched against; remove some first`,
        '/path',
      );
    }
    const path = compilePathPattern(input.path);
    if (!path) throw invalidFault(`path ${JSON.stringify(input.path)} is not a path pattern (it starts with "/"; "*" matches within a segment, "**" across)`, '/path');
    if (input.status === undefined && input.latency_ms === undefined && input.disconnect !== true) {
      throw invalidFault('a rule needs status, latency_ms or disconnect: true', '/status');
    }
    if (input.disconnect === true && input.status !== undefined) {
      throw invalidFault('a rule that disconnects answers nothing: give status or disconnect, not both', '/disconnect');
    }
    if (input.retry_after !== undefined && input.status === undefined) {
      throw invalidFault('retry_after goes with a status (429 or 503)', '/retry_after');
    }
    const method = input.method === undefined || input.method === '*' ? undefined : input.method.toUpperCase();
    const rule: FaultRule = {
      id: this.newId(),
      method: method ?? '*',
      path: input.path,
      account: input.account ?? null,
      times: input.times ?? null,
      remaining: input.times ?? null,
      probability: input.probability ?? null,
      status: input.status ?? null,
      retry_after: input.retry_after ?? (input.status === 429 ? 1 : null),
      latency_ms: input.latency_ms ?? null,
      disconnect: input.disconnect ?? false,
      errors: input.errors ?? null,
      hits: 0,
    };
    this.rules.push({ rule, path, method });
    return rule;
  }

  list(account?: string): FaultRule[] {
    return this.rules.filter((r) => account === undefined || r.rule.account === account).map((r) => r.rule);
  }

  get(id: string): FaultRule | undefined {
    return this.rules.find((r) => r.rule.id === id)?.rule;
  }

  remove(id: string): boolean {
    const before = this.rules.length;
    this.rules = this.rules.filter((r) => r.rule.id !== id);
    return this.rules.length < before;
  }

  /** Removes every rule, or those scoped to one account; returns how many. */
  clear(account?: string): number {
    const before = this.rules.length;
    this.rules = account === undefined ? [] : this.rules.filter((r) => r.rule.account !== account);
    return before - this.rules.length;
  }

  /** The first rule that matches and fires (its share drawn, one of its times used), if any. */
  private pick(method: string, path: string): FaultRule | undefined {
    const account = accountOf(path);
    for (const { rule, path: pattern, method: m } of this.rules) {
      if (m !== undefined && m !== method) continue;
      if (rule.account !== null && rule.account !== account) continue;
      if (rule.remaining !== null && rule.remaining <= 0) continue;
      if (!pattern.matches(path)) continue;
      if (rule.probability !== null && this.random() >= rule.probability) continue;
      if (rule.remaining !== null) rule.remaining--;
      rule.hits++;
      return rule;
    }
    return undefined;
  }

  private async apply(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    // The control API itself is never faulted, so a rule can always be removed.
    if (isInternal(request)) return;
    const path = routedPath(request.url);
    const rule = this.pick(request.method, path);
    if (!rule) return;
    request.emulatorFault = rule.id;
    reply.header('x-emulator-fault', rule.id);
    if (rule.latency_ms !== null) await this.sleep(rule.latency_ms);
    if (rule.disconnect) {
      reply.hijack();
      request.raw.socket.destroy();
      return;
    }
    if (rule.status !== null) {
      const errors: ErrorMessage[] = rule.errors ?? [
        { code: ErrorCode.injectedFault, message: DEFAULT_MESSAGES[rule.status] ?? `HTTP ${rule.status}` },
      ];
      const headers: Record<string, string> = { 'x-emulator-fault': rule.id };
      if (rule.retry_after !== null) headers['retry-after'] = String(rule.retry_after);
      throw new ApiError(rule.status, errors, headers);
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.sleeping.delete(timer);
        resolve();
      }, ms);
      this.sleeping.set(timer, resolve);
    });
  }
}
