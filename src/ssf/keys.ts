// Per-account RSA signing keys (generated on first need, persisted, rotated on request) and SET signing, all with jose.
// jose is loaded on the first key operation, not at start-up (~50 ms of module loading most runs never need).
import type { JWK } from 'jose';
import type { SsfRepository } from './repository.js';
import type { SetClaims } from './events.js';

let joseModule: Promise<typeof import('jose')> | undefined;
const jose = () => (joseModule ??= import('jose'));

/** A published verification key: the RSA public parts, with kid, alg and use. */
export interface PublicJwk {
  kty: string;
  kid: string;
  alg: string;
  use: string;
  n: string;
  e: string;
}

export interface PublicKeyInfo {
  kid: string;
  created_at: string;
  retired_at: string | null;
  current: boolean;
}

export class KeyStore {
  /** One key operation at a time per account, so two first needs never generate two keys. */
  private readonly locks = new Map<string, Promise<unknown>>();
  private readonly imported = new Map<string, CryptoKey>();

  constructor(
    private readonly repository: SsfRepository,
    private readonly now: () => Date,
  ) {}

  private locked<T>(accountId: string, work: () => Promise<T>): Promise<T> {
    const previous = this.locks.get(accountId) ?? Promise.resolve();
    const next = previous.then(work, work);
    this.locks.set(accountId, next.catch(() => {}));
    return next;
  }

  private async generate(accountId: string): Promise<void> {
    const { calculateJwkThumbprint, exportJWK, generateKeyPair } = await jose();
    const { privateKey, publicKey } = await generateKeyPair('RS256', { modulusLength: 2048, extractable: true });
    const publicJwk = await exportJWK(publicKey);
    const kid = await calculateJwkThumbprint(publicJwk);
    const privateJwk = await exportJWK(privateKey);
    this.repository.addKey({
      kid,
      account_tag: accountId,
      private_jwk: JSON.stringify({ ...privateJwk, kid, alg: 'RS256' }),
      public_jwk: JSON.stringify({ ...publicJwk, kid, alg: 'RS256', use: 'sig' }),
      created_at: this.now().toISOString(),
    });
  }

  /** The account's signing key, generated the first time it is needed. */
  private async current(accountId: string): Promise<{ kid: string; key: CryptoKey }> {
    let row = this.repository.currentKey(accountId);
    if (!row) {
      await this.locked(accountId, async () => {
        if (!this.repository.currentKey(accountId)) await this.generate(accountId);
      });
      row = this.repository.currentKey(accountId);
      if (!row) throw new Error(`no signing key for account ${accountId}`);
    }
    let key = this.imported.get(row.kid);
    if (!key) {
      const { importJWK } = await jose();
      key = (await importJWK(JSON.parse(row.private_jwk) as JWK, 'RS256')) as CryptoKey;
      this.imported.set(row.kid, key);
    }
    return { kid: row.kid, key };
  }

  /** Signs a SET with the account's current key: compact JWS, header {alg: RS256, kid, typ: secevent+jwt}. */
  async sign(accountId: string, claims: SetClaims): Promise<{ token: string; kid: string }> {
    const { kid, key } = await this.current(accountId);
    const { SignJWT } = await jose();
    // SignJWT adds no claim by itself (no iat/exp unless asked), so the claims go out exactly as built.
    const token = await new SignJWT({ ...claims }).setProtectedHeader({ alg: 'RS256', kid, typ: 'secevent+jwt' }).sign(key);
    return { token, kid };
  }

  /** The JWKS: every key of the account, newest first, retired ones included; creates the first key if none. */
  async jwks(accountId: string): Promise<{ keys: PublicJwk[] }> {
    await this.current(accountId);
    return { keys: this.repository.keys(accountId).map((row) => JSON.parse(row.public_jwk) as PublicJwk) };
  }

  /** A new signing key; the previous ones stay in the JWKS so tokens they signed still verify. */
  async rotate(accountId: string): Promise<PublicKeyInfo[]> {
    await this.locked(accountId, () => this.generate(accountId));
    return this.list(accountId);
  }

  async list(accountId: string): Promise<PublicKeyInfo[]> {
    await this.current(accountId);
    return this.repository.keys(accountId).map((row) => ({
      kid: row.kid,
      created_at: row.created_at,
      retired_at: row.retired_at,
      current: row.retired_at === null,
    }));
  }
}
