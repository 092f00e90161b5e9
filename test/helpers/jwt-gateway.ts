/** Shared setup for the JWT identity e2e tests: a profile whose one tenant (acme) is named by a JWT, and a chat call with a bearer. */
import { AUDIENCE, ISSUER } from '../unit/auth/jwt-fixtures.js';

/** A profile verifying JWTs against the key set at `jwksAt` (a file, a URL or `{{jwks}}`); `jwtOptions` is appended to auth.jwt's map (`, key: value`). */
export const jwtTenantProfile = (jwksAt: string, jwtOptions = '') => `
version: 1
auth:
  jwt: { jwks: "${jwksAt}", issuer: "${ISSUER}", audience: ${AUDIENCE}${jwtOptions} }
backends:
  vllm: { url: http://127.0.0.1:0, mock: { kind: vllm } }
models:
  llama: { targets: [{ backend: vllm }] }
tenants:
  acme: { models: [llama] }
`;

/** A small chat completion at `url` with `bearer` as the token: its status and WWW-Authenticate header. */
export async function chatWithBearer(url: string, bearer: string): Promise<{ status: number; auth: string | null }> {
  const r = await fetch(`${url}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${bearer}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'llama', messages: [{ role: 'user', content: 'hi' }], max_tokens: 2 }),
  });
  await r.arrayBuffer();
  return { status: r.status, auth: r.headers.get('www-authenticate') };
}
