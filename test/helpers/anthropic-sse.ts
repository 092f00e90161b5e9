/** Anthropic stream events as a backend writes them, for tests that build streams by hand. */

/** One event: its `event:` line and its data (with `type` first). */
export const anthropicEvent = (type: string, o: object): string => `event: ${type}\ndata: ${JSON.stringify({ type, ...o })}\n\n`;

/** The opening `message_start` of an assistant message from model `claude`, with `usage`. */
export const messageStart = (usage: object): string =>
  anthropicEvent('message_start', {
    message: { id: 'msg', type: 'message', role: 'assistant', model: 'claude', content: [], stop_reason: null, usage },
  });

/** A whole (non-streamed) assistant Message from model `claude`, as JSON: its content blocks, stop_reason and usage. */
export const anthropicMessage = (content: object[], stopReason: string, usage: object): string =>
  JSON.stringify({
    id: 'msg',
    type: 'message',
    role: 'assistant',
    model: 'claude',
    content,
    stop_reason: stopReason,
    stop_sequence: null,
    usage,
  });
