// A minimal SET receiver for trying the transmitter by hand: verifies every pushed SET against the
// integration's well-known document, prints it, and answers as Okta does (202, or 400 {err, description}).
// Usage: npx tsx scripts/ssf-receiver.ts <well_known_url> [port | http://127.0.0.1:<port>]
import { createServer } from 'node:http';
import { createRemoteJWKSet, jwtVerify } from 'jose';

const [wellKnownUrl, listen = '9000'] = process.argv.slice(2);
if (!wellKnownUrl) {
  console.error('usage: npx tsx scripts/ssf-receiver.ts <well_known_url> [port | http://127.0.0.1:<port>]');
  process.exit(2);
}
// The URL form lets a doc name the receiver as the integration's tenant_url, which every SET has as its aud.
const port = Number(/^https?:/.test(listen) ? new URL(listen).port : listen);
const audience = `http://127.0.0.1:${port}`;
const document = (await (await fetch(wellKnownUrl)).json()) as { issuer: string; jwks_uri: string };
const jwks = createRemoteJWKSet(new URL(document.jwks_uri), { cooldownDuration: 0 });
console.log(`trusting issuer ${document.issuer} (keys from ${document.jwks_uri}); audience ${audience}`);

createServer((req, res) => {
  let token = '';
  req.setEncoding('utf8');
  req.on('data', (chunk: string) => (token += chunk));
  req.on('end', () => {
    jwtVerify(token, jwks, { issuer: document.issuer, audience, typ: 'secevent+jwt', algorithms: ['RS256'] }).then(
      ({ payload, protectedHeader }) => {
        console.log(`${req.method} ${req.url} verified SET (kid ${protectedHeader.kid}):\n${JSON.stringify(payload, null, 2)}`);
        res.writeHead(202).end();
      },
      (error: unknown) => {
        const description = error instanceof Error ? error.message : String(error);
        console.log(`${req.method} ${req.url} refused: ${description}`);
        res.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify({ err: 'invalid_request', description }));
      },
    );
  });
}).listen(port, '127.0.0.1', () => console.log(`receiver listening on ${audience}`));
