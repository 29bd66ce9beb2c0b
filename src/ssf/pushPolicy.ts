// SSF_PUSH: which receivers the transmitter may push SETs to. By default only local ones, so that an example
// tenant such as https://acme.okta.com never receives signed SETs from a developer's laptop. Deciding needs no
// DNS lookup: only the URL's host is read.
import { isIP } from 'node:net';
import type { FastifyBaseLogger } from 'fastify';
import type { SsfPush } from '../config.js';

/** IPv4 loopback, private (RFC 1918), link-local, and 0.0.0.0 (this host). */
function isLocalIpv4(address: string): boolean {
  const [a, b] = address.split('.').map(Number) as [number, number];
  return a === 127 || a === 10 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168) || (a === 169 && b === 254) || address === '0.0.0.0';
}

/** IPv6 loopback, unique local (fc00::/7), link-local (fe80::/10), and IPv4-mapped local addresses. */
function isLocalIpv6(address: string): boolean {
  const lower = address.toLowerCase();
  if (lower === '::1' || lower === '::') return true;
  // IPv4-mapped, as written (::ffff:192.168.0.1) or as URL normalises it (::ffff:c0a8:1).
  const dotted = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(lower);
  if (dotted) return isLocalIpv4(dotted[1] as string);
  const hex = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(lower);
  if (hex) {
    const [high, low] = [Number.parseInt(hex[1] as string, 16), Number.parseInt(hex[2] as string, 16)];
    return isLocalIpv4(`${high >> 8}.${high & 0xff}.${low >> 8}.${low & 0xff}`);
  }
  const first = Number.parseInt(lower.split(':')[0] || '0', 16);
  return (first & 0xfe00) === 0xfc00 || (first & 0xffc0) === 0xfe80;
}

/** Whether a push URL's host is local: an address above, localhost, *.localhost, a single-label name, host.docker.internal. */
export function isLocalHost(url: string): boolean {
  let hostname: string;
  try {
    hostname = new URL(url).hostname.toLowerCase();
  } catch {
    return false;
  }
  const address = hostname.startsWith('[') ? hostname.slice(1, -1) : hostname;
  if (isIP(address) === 4) return isLocalIpv4(address);
  if (isIP(address) === 6) return isLocalIpv6(address);
  const name = hostname.replace(/\.$/, '');
  return name === 'localhost' || name.endsWith('.localhost') || !name.includes('.') || name === 'host.docker.internal';
}

function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return JSON.stringify(url);
  }
}

export class PushPolicy {
  private told = false;

  constructor(
    private readonly mode: SsfPush,
    private readonly log: FastifyBaseLogger,
  ) {}

  /** Why a SET for `target` is held instead of pushed; undefined when it may be pushed. */
  holdReason(target: string): string | undefined {
    if (this.mode === 'all') return undefined;
    if (this.mode === 'local' && isLocalHost(target)) return undefined;
    const reason = this.mode === 'off' ? 'held: SSF_PUSH=off pushes nothing' : `held: SSF_PUSH=local pushes only to local hosts, not to ${hostOf(target)}`;
    if (!this.told) {
      this.told = true;
      this.log.warn(
        { target, ssf_push: this.mode },
        `${reason}; the SET waits in the outbox (GET /__emulator/v1/ssf/outbox?status=held). Start with SSF_PUSH=all to push to any host.`,
      );
    }
    return reason;
  }
}
