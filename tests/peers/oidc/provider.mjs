// An OpenID Connect authority nobody here wrote (oidc-provider 8), for msconnect's end-to-end tests.
//
// Listens on 127.0.0.1 (port from PORT, else a free one) and prints exactly one line on stdout,
// `READY <issuer-url>`, once it accepts connections; everything else goes to stderr. It stops on
// SIGTERM/SIGINT, and with EXIT_WITH_STDIN=1 also when its standard input closes (the test harness sets
// it, so a test process that dies cannot leave a provider running).
//
// Environment:
//   PORT                      port to listen on (default 0: any free port)
//   EXIT_WITH_STDIN           `1`: stop when standard input closes
//   ISSUER_HOST               host name in the issuer URL (default 127.0.0.1; `localhost` also works);
//                             the issuer's path is the tenant id of clients.json
//   TLS_CERT, TLS_KEY         PEM files: serve https instead of http (MSAL Python refuses plain http)
//   OIDC_PRIVATE_KEY_JWT_JWKS a JWKS (JSON) or PEM certificate(s) holding the public keys of the
//                             private_key_jwt client; without it that client is not registered
//   ACCESS_TOKEN_TTL          seconds a user's access token lives (default 3600); msconnect renews one
//                             with less than 5 minutes left, so 60 makes every `token` a refresh
//
// Clients (ids and secret in clients.json beside this file, shared with the Rust harness):
//   public           native app, no client authentication, authorization_code + refresh_token +
//                    device_code, redirect http://localhost/ with any port (RFC 8252 loopback rule)
//   secret           confidential, client_secret_post, client_credentials (+ refresh_token)
//   private_key_jwt  confidential, private_key_jwt (RS256 or PS256), client_credentials (+ refresh_token)
//
// Every token issued is logged on stderr (`provider.mjs: grant.success: <grant_type> for <client_id>`),
// so a test can tell a token that went over the wire from one served by msconnect's cache.
//
// Users: the built-in development pages (devInteractions) accept any login and any password; the login
// becomes `sub`, and the account has `email`, `preferred_username` and `name` claims.
//
// Output: on stderr, a line for each rejection and `provider.mjs: issued tokens: grant_type=… client_id=…`
// for each token response.

import { randomBytes, generateKeyPairSync, X509Certificate, createHash } from 'node:crypto';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { importPeer, peersDir } from '../peer-modules.mjs';

const { default: Provider } = await importPeer('oidc-provider');

const here = dirname(fileURLToPath(import.meta.url));
const clients = JSON.parse(readFileSync(join(here, 'clients.json'), 'utf8'));

function fail(message) {
  process.stderr.write(`provider.mjs: ${message}\n`);
  process.exit(2);
}

function readFile(variable) {
  const path = process.env[variable];
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    return fail(`cannot read ${variable} '${path}': ${e.message}`);
  }
}

// A JWKS as JSON, or PEM certificates turned into one (kid = the certificate's x5t#S256).
function privateKeyJwtJwks() {
  const text = readFile('OIDC_PRIVATE_KEY_JWT_JWKS');
  if (text.trimStart().startsWith('{')) {
    const jwks = JSON.parse(text);
    if (!Array.isArray(jwks.keys)) fail('OIDC_PRIVATE_KEY_JWT_JWKS holds JSON without a "keys" array');
    return jwks;
  }
  const pems = text.match(/-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----/g) ?? [];
  if (pems.length === 0) fail('OIDC_PRIVATE_KEY_JWT_JWKS holds neither a JWKS nor a PEM certificate');
  return {
    keys: pems.map((pem) => {
      const cert = new X509Certificate(pem);
      return {
        ...cert.publicKey.export({ format: 'jwk' }),
        kid: createHash('sha256').update(cert.raw).digest('base64url'),
        x5c: [cert.raw.toString('base64')],
      };
    }),
  };
}

const port = Number.parseInt(process.env.PORT ?? '0', 10);
if (!Number.isInteger(port) || port < 0 || port > 65535) fail(`PORT '${process.env.PORT}' is not a port number`);
const tls = Boolean(process.env.TLS_CERT || process.env.TLS_KEY);
if (tls && !(process.env.TLS_CERT && process.env.TLS_KEY)) fail('TLS_CERT and TLS_KEY go together');
const issuerHost = process.env.ISSUER_HOST || '127.0.0.1';
const accessTokenTtl = Number.parseInt(process.env.ACCESS_TOKEN_TTL ?? '3600', 10);
if (!Number.isInteger(accessTokenTtl) || accessTokenTtl <= 0) {
  fail(`ACCESS_TOKEN_TTL '${process.env.ACCESS_TOKEN_TTL}' is not a number of seconds`);
}

const server = tls
  ? https.createServer({ cert: readFile('TLS_CERT'), key: readFile('TLS_KEY') })
  : http.createServer();
server.on('error', (e) => fail(`cannot listen: ${e.message}`));
await new Promise((resolve) => { server.listen(port, '127.0.0.1', resolve); });
// The issuer has a path, a tenant id: MSAL Python takes an authority only with one path segment or more.
const mount = `/${clients.tenant}`;
const issuer = `${tls ? 'https' : 'http'}://${issuerHost}:${server.address().port}${mount}`;

const registered = [
  {
    client_id: clients.public.client_id,
    application_type: 'native',
    token_endpoint_auth_method: 'none',
    grant_types: ['authorization_code', 'refresh_token', 'urn:ietf:params:oauth:grant-type:device_code'],
    response_types: ['code'],
    redirect_uris: [clients.public.redirect_uri],
  },
  {
    client_id: clients.secret.client_id,
    client_secret: clients.secret.client_secret,
    token_endpoint_auth_method: 'client_secret_post',
    grant_types: ['client_credentials', 'refresh_token'],
    response_types: [],
    redirect_uris: [],
  },
];
if (process.env.OIDC_PRIVATE_KEY_JWT_JWKS) {
  registered.push({
    client_id: clients.private_key_jwt.client_id,
    token_endpoint_auth_method: 'private_key_jwt',
    grant_types: ['client_credentials', 'refresh_token'],
    response_types: [],
    redirect_uris: [],
    jwks: privateKeyJwtJwks(),
  });
} else {
  process.stderr.write('provider.mjs: OIDC_PRIVATE_KEY_JWT_JWKS is not set: no private_key_jwt client\n');
}

function claimsOf(login) {
  const email = login.includes('@') ? login : `${login}@peers.msconnect.test`;
  return { sub: login, email, email_verified: true, preferred_username: email, name: login };
}

// An RSA key takes most of a second to make: made once, kept beside the installed peers (test-only).
function signingKey() {
  const path = join(peersDir(), 'oidc-signing-key.json');
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const jwk = { ...privateKey.export({ format: 'jwk' }), kid: 'peer-signing-key', use: 'sig', alg: 'RS256' };
    // providers start in parallel: write aside, then rename, so no one reads half a file
    const aside = `${path}.${process.pid}`;
    try {
      writeFileSync(aside, JSON.stringify(jwk), { mode: 0o600 });
      renameSync(aside, path);
    } catch (e) {
      process.stderr.write(`provider.mjs: could not keep the signing key in ${path}: ${e.message}\n`);
    }
    return jwk;
  }
}

const provider = new Provider(issuer, {
  clients: registered,
  jwks: { keys: [signingKey()] },
  cookies: { keys: [randomBytes(32).toString('hex')] },
  features: {
    devInteractions: { enabled: true },
    deviceFlow: { enabled: true },
    clientCredentials: { enabled: true },
    revocation: { enabled: true },
    introspection: { enabled: true },
  },
  pkce: { methods: ['S256'], required: () => true },
  // Scopes the provider does not know are dropped from tokens; the app scope stands for a Microsoft
  // `{resource}/.default` so an app-only token carries a scope msconnect does not filter out, and the
  // Graph scope is what msconnect asks for in an environment whose Graph endpoint is `clients.graph`;
  // `user_impersonation` is the delegated scope Partner Center's module asks for, in an environment whose
  // Partner Center endpoint is that too (the `--from-azure-cli` suite).
  scopes: ['openid', 'offline_access', 'profile', 'email', clients.app_scope, `${clients.graph}/.default`,
    `${clients.graph}/user_impersonation`],
  ttl: { AccessToken: accessTokenTtl },
  claims: {
    openid: ['sub'],
    email: ['email', 'email_verified'],
    profile: ['name', 'preferred_username'],
  },
  // Microsoft puts the profile claims in the ID token, and msconnect reads the account from there.
  conformIdTokenClaims: false,
  // The OpenID Connect rule the provider applies: offline_access (so a refresh token) is granted on the
  // authorization endpoint only together with prompt=consent; the device flow has no prompt.
  async issueRefreshToken(ctx, client, code) {
    return client.grantTypeAllowed('refresh_token') && code.scopes.has('offline_access');
  },
  async findAccount(ctx, id) {
    return { accountId: id, async claims() { return claimsOf(id); } };
  },
});

// Rejections go to stderr, so a failing test shows the provider's reason next to msconnect's.
for (const event of ['grant.error', 'authorization.error', 'device_authorization.error', 'server_error',
  'revocation.error', 'introspection.error', 'userinfo.error', 'discovery.error']) {
  provider.on(event, (ctx, error) => {
    // a polling device client hears this until the user is done: not worth a line each time
    if (error.error === 'authorization_pending') return;
    const detail = error.error_description ? ` (${error.error_description})` : '';
    process.stderr.write(`provider.mjs: ${event}: ${error.message}${detail}\n`);
  });
}

// Every token issued, one line each, so a test can count what a client asked the provider for (and prove
// a token came from a cache instead).
provider.on('grant.success', (ctx) => {
  process.stderr.write(`provider.mjs: grant.success: ${ctx.oidc.params.grant_type} for ${ctx.oidc.client?.clientId}\n`);
});

// Mounted under the issuer's path the way Express would do it: oidc-provider reads its mount path from
// `originalUrl`.
const callback = provider.callback();
server.on('request', (req, res) => {
  if (req.url === mount || req.url.startsWith(`${mount}/`)) {
    req.originalUrl = req.url;
    req.url = req.url.slice(mount.length) || '/';
    callback(req, res);
  } else {
    res.writeHead(404, { 'content-type': 'text/plain' }).end(`not found: the issuer is ${issuer}\n`);
  }
});
process.stdout.write(`READY ${issuer}\n`);

function stop() {
  server.close();
  server.closeAllConnections();
  process.exit(0);
}
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
if (process.env.EXIT_WITH_STDIN === '1') {
  process.stdin.on('end', stop);
  process.stdin.on('error', stop);
  // `sync <n>` on stdin is answered by `provider.mjs: synced <n>` on stderr: writes to a pipe are
  // synchronous in Node, so once the harness reads it, it has read every line logged before.
  let pending = '';
  process.stdin.setEncoding('utf8');
  process.stdin.on('data', (chunk) => {
    pending += chunk;
    let end;
    while ((end = pending.indexOf('\n')) >= 0) {
      const match = /^sync (\d+)$/.exec(pending.slice(0, end).trim());
      pending = pending.slice(end + 1);
      if (match) process.stderr.write(`provider.mjs: synced ${match[1]}\n`);
    }
  });
}
