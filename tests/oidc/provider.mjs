// A local OpenID Connect provider (the certified `oidc-provider` package) for the browser
// sign-in tests: one confidential client, dev interactions (any login name, any password),
// and accounts whose e-mail and groups come from OIDC_ACCOUNTS (JSON: login -> {email, groups}).
// Usage: node provider.mjs PORT REDIRECT_URI
import Provider from 'oidc-provider';

const [port, redirectUri] = process.argv.slice(2);
const accounts = JSON.parse(process.env.OIDC_ACCOUNTS || '{}');

const provider = new Provider(`http://127.0.0.1:${port}`, {
  clients: [{
    client_id: 'lens',
    client_secret: 'lens-test-secret',
    redirect_uris: [redirectUri],
    response_types: ['code'],
    grant_types: ['authorization_code'],
  }],
  claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name', 'groups'] },
  conformIdTokenClaims: false, // the ID token carries the scopes' claims, as Entra ID's does
  findAccount: async (_, id) => ({
    accountId: id,
    claims: async () => ({
      sub: id,
      name: id,
      email: accounts[id]?.email ?? id,
      email_verified: true,
      groups: accounts[id]?.groups ?? [],
    }),
  }),
  features: { devInteractions: { enabled: true } },
  pkce: { required: () => false },
  cookies: { keys: ['aoai-lens-test-only'] },
});
provider.proxy = false;
provider.listen(Number(port), '127.0.0.1', () => console.log(`ready on ${port}`));
