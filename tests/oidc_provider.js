// A real OpenID Connect provider for the browser tests (oidc-provider, pinned in package.json), on
// 127.0.0.1 only. Usage: node tests/oidc_provider.js PORT CONFIG.json, where CONFIG holds
// {"client": {client_id, client_secret, redirect_uris}, "users": {"<login>": {claims}}}. Its own sign-in
// pages (the library's development interactions) take any password for a listed login. Prints
// "ready <issuer>" once listening; a fresh RSA key signs its ID tokens each run.
import { generateKeyPairSync } from "node:crypto";
import { readFileSync } from "node:fs";
import Provider from "oidc-provider";

const [port, configPath] = process.argv.slice(2);
const config = JSON.parse(readFileSync(configPath, "utf8"));
const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
const signing = { ...privateKey.export({ format: "jwk" }), kid: "tests", use: "sig", alg: "RS256" };
const issuer = `http://127.0.0.1:${port}`;

const provider = new Provider(issuer, {
  clients: [{ response_types: ["code"], grant_types: ["authorization_code"], ...config.client }],
  jwks: { keys: [signing] },
  cookies: { keys: ["initscope-tests-only"] },
  claims: {
    openid: ["sub"],
    email: ["email", "email_verified"],
    profile: ["preferred_username", "name"],
    groups: ["groups"],
  },
  findAccount: (_ctx, id) => {
    const claims = config.users[id];
    if (!claims) {
      return undefined;
    }
    return { accountId: id, claims: () => ({ sub: id, ...claims }) };
  },
});
provider.listen(Number(port), "127.0.0.1", () => {
  console.log(`ready ${issuer}`);
});
