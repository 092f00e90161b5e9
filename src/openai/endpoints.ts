/** The proxied API endpoints, their paths and the API each belongs to: the one table both directions are read from. */

export type Endpoint = 'chat' | 'completions' | 'embeddings' | 'messages' | 'count_tokens';

/** The API a client speaks (and a backend, once Azure's paths are set aside): OpenAI's, or Anthropic's Messages. */
export type ClientApi = 'openai' | 'anthropic';

export const ENDPOINT_PATHS: Readonly<Record<Endpoint, string>> = {
  chat: '/v1/chat/completions',
  completions: '/v1/completions',
  embeddings: '/v1/embeddings',
  messages: '/v1/messages',
  count_tokens: '/v1/messages/count_tokens',
};

export const ENDPOINT_API: Readonly<Record<Endpoint, ClientApi>> = {
  chat: 'openai',
  completions: 'openai',
  embeddings: 'openai',
  messages: 'anthropic',
  count_tokens: 'anthropic',
};

const BY_PATH: ReadonlyMap<string, Endpoint> = new Map(Object.entries(ENDPOINT_PATHS).map(([e, p]) => [p, e as Endpoint]));

/** The endpoint served at a request path (without its query), if any. */
export function endpointAt(path: string): Endpoint | undefined {
  return BY_PATH.get(path);
}
