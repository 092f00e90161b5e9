/**
 * The route stage's reading of one request: which model routes it (its `escalate` rules, one hop) and the
 * facts the strategies compare (routing/strategies/candidate.ts). Only what the routes involved need is
 * computed — a `weighted` model reads nothing of the prompt — and what is computed is bounded: the prompt's
 * size from its strings' lengths, its blocks from at most 16 KiB of its text (prompt-blocks.ts).
 */
import type { ProxyRequest } from '../openai/parse-request.js';
import { escalationFor } from './escalation.js';
import { chatPromptBlocks, completionPromptBlocks } from './prompt-blocks.js';
import { estimateInputTokens, estimatePromptTokens } from './prompt-size.js';
import type { ModelRoute } from './route-table.js';
import type { RequestFacts } from './strategies/candidate.js';

const NO_BLOCKS: readonly number[] = Object.freeze([]);

/** The facts of a request whose routes read none (every strategy `weighted`, no escalation). */
export const NO_FACTS: RequestFacts = Object.freeze({ now: 0, promptTokens: 0, maxTokens: 0, blocks: NO_BLOCKS });

export interface RoutedRequest {
  /** The route that serves the request: the client's model, or the one an escalation rule named. */
  route: ModelRoute;
  /** Set when an escalation rule moved the request to another model. */
  escalatedTo: string | undefined;
  facts: RequestFacts;
}

/** An Anthropic Messages request's turns with its top-level `system` first, read like a chat's. */
function withSystem(json: Record<string, unknown>): unknown {
  const { system, messages } = json;
  if (system === undefined || system === null) return messages;
  return [{ role: 'system', content: system }, ...(Array.isArray(messages) ? messages : [])];
}

/** The blocks of the prompt a strategy `prefix` looks up (chat or Messages turns, or a completion prompt). */
function blocksOf(model: string, p: ProxyRequest): readonly number[] {
  if (p.endpoint === 'chat') return chatPromptBlocks(model, p.json.messages);
  if (p.endpoint === 'messages') return chatPromptBlocks(model, withSystem(p.json));
  if (p.endpoint === 'completions') return completionPromptBlocks(model, p.json.prompt);
  return NO_BLOCKS;
}

/** The prompt's size in tokens, estimated (prompt-size.ts): an embedding's longest input; 0 for a count of tokens. */
function promptSize(p: ProxyRequest): number {
  if (p.endpoint === 'count_tokens') return 0;
  if (p.endpoint === 'embeddings') return estimateInputTokens(p.json.input);
  return estimatePromptTokens(p.endpoint === 'messages' ? { messages: withSystem(p.json), tools: p.json.tools } : p.json);
}

/**
 * Resolves escalation and gathers the facts. `defaultCompletionTokens` stands in for an absent max_tokens
 * (what admission reserves too); `now` is the caller's clock in ms.
 */
export function routeRequest(
  route: ModelRoute,
  routes: ReadonlyMap<string, ModelRoute>,
  p: ProxyRequest,
  defaultCompletionTokens: number,
  now: number,
): RoutedRequest {
  let promptTokens = 0;
  let escalatedTo: string | undefined;
  if (route.needs.promptSize) {
    promptTokens = promptSize(p);
    const to = escalationFor(route.escalate, promptTokens);
    const next = to === undefined ? undefined : routes.get(to);
    if (next) {
      route = next;
      escalatedTo = to;
    }
  }
  // Per sequence (n does not widen the context a sequence needs).
  const maxTokens = p.endpoint === 'embeddings' || p.endpoint === 'count_tokens' ? 0 : (p.maxTokens ?? defaultCompletionTokens);
  const blocks = route.needs.blocks ? blocksOf(route.name, p) : NO_BLOCKS;
  return { route, escalatedTo, facts: { now, promptTokens, maxTokens, blocks } };
}
