/** The proxied API endpoints and their paths: the one table both directions are read from. */

export type Endpoint = 'chat' | 'completions' | 'embeddings';

export const ENDPOINT_PATHS: Readonly<Record<Endpoint, string>> = {
  chat: '/v1/chat/completions',
  completions: '/v1/completions',
  embeddings: '/v1/embeddings',
};

const BY_PATH: ReadonlyMap<string, Endpoint> = new Map(Object.entries(ENDPOINT_PATHS).map(([e, p]) => [p, e as Endpoint]));

/** The endpoint served at a request path (without its query), if any. */
export function endpointAt(path: string): Endpoint | undefined {
  return BY_PATH.get(path);
}
