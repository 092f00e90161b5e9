/**
 * What a client makes of a stream, written independently of the translators: OpenAI chunks folded into one
 * answer, Anthropic events folded into one Message — so a translated stream can be compared with the
 * translation of the same answer not streamed.
 */
import { decodeSseBody } from '../../src/openai/sse.js';
import type { StreamTranslator } from '../../src/translate/stream.js';

/** Runs a translator over a whole upstream body: every event pushed, then end(). */
export function translateBody(t: StreamTranslator, upstream: string | Buffer): string {
  let out = '';
  for (const ev of decodeSseBody(upstream)) out += t.push(ev) ?? '';
  return out + (t.end() ?? '');
}

export interface ChatFold {
  role: string | undefined;
  content: string;
  reasoning: string;
  toolCalls: { id: string; type: string; name: string; arguments: string }[];
  finish: string | null;
  usage:
    | { prompt_tokens: number; completion_tokens: number; total_tokens: number; prompt_tokens_details?: { cached_tokens: number } }
    | undefined;
  done: boolean;
  doneCount: number;
  error: { message: string; type: string; code: string } | undefined;
  chunks: Record<string, unknown>[];
}

export function foldChat(body: string): ChatFold {
  const f: ChatFold = {
    role: undefined,
    content: '',
    reasoning: '',
    toolCalls: [],
    finish: null,
    usage: undefined,
    done: false,
    doneCount: 0,
    error: undefined,
    chunks: [],
  };
  for (const ev of decodeSseBody(body)) {
    if (ev.data === undefined) continue;
    if (f.done || f.error) throw new Error(`an event after the end: ${ev.data}`);
    if (ev.data === '[DONE]') {
      f.done = true;
      f.doneCount++;
      continue;
    }
    const c = JSON.parse(ev.data);
    if (c.error) {
      f.error = c.error;
      continue;
    }
    f.chunks.push(c);
    if (c.usage) f.usage = c.usage;
    for (const choice of c.choices ?? []) {
      const d = choice.delta ?? {};
      if (d.role) f.role = d.role;
      if (d.content) f.content += d.content;
      if (d.reasoning_content) f.reasoning += d.reasoning_content;
      for (const tc of d.tool_calls ?? []) {
        const call = (f.toolCalls[tc.index] ??= { id: '', type: '', name: '', arguments: '' });
        if (tc.id) call.id = tc.id;
        if (tc.type) call.type = tc.type;
        if (tc.function?.name) call.name += tc.function.name;
        if (tc.function?.arguments) call.arguments += tc.function.arguments;
      }
      if (choice.finish_reason) f.finish = choice.finish_reason;
    }
  }
  return f;
}

export interface MessageFold {
  message: {
    id: string;
    model: string;
    content: Record<string, unknown>[];
    stop_reason: string | null;
    stop_sequence: string | null;
    usage: Record<string, number>;
  };
  events: string[];
  stopped: boolean;
  error: { type: string; message: string } | undefined;
}

export function foldMessage(body: string): MessageFold {
  const f: MessageFold = {
    message: { id: '', model: '', content: [], stop_reason: null, stop_sequence: null, usage: {} },
    events: [],
    stopped: false,
    error: undefined,
  };
  const partial = new Map<number, string>();
  for (const ev of decodeSseBody(body)) {
    if (ev.data === undefined) continue;
    if (f.stopped || f.error) throw new Error(`an event after the end: ${ev.data}`);
    const e = JSON.parse(ev.data);
    if (ev.event !== e.type) throw new Error(`event: ${ev.event} carries data of type ${e.type}`);
    f.events.push(e.type);
    switch (e.type) {
      case 'message_start':
        f.message = { ...e.message, content: [] };
        break;
      case 'content_block_start':
        if (e.index !== f.message.content.length) throw new Error(`block ${e.index} started out of order`);
        f.message.content.push({ ...e.content_block });
        break;
      case 'content_block_delta': {
        const b = f.message.content[e.index]!;
        if (e.delta.type === 'text_delta') b.text = `${b.text}${e.delta.text}`;
        else if (e.delta.type === 'thinking_delta') b.thinking = `${b.thinking}${e.delta.thinking}`;
        else if (e.delta.type === 'signature_delta') b.signature = e.delta.signature;
        else if (e.delta.type === 'input_json_delta') partial.set(e.index, (partial.get(e.index) ?? '') + e.delta.partial_json);
        break;
      }
      case 'content_block_stop': {
        const json = partial.get(e.index);
        if (json !== undefined) f.message.content[e.index]!.input = json === '' ? {} : JSON.parse(json);
        break;
      }
      case 'message_delta':
        f.message.stop_reason = e.delta.stop_reason;
        f.message.stop_sequence = e.delta.stop_sequence ?? null;
        f.message.usage = { ...f.message.usage, ...e.usage };
        break;
      case 'message_stop':
        f.stopped = true;
        break;
      case 'error':
        f.error = e.error;
        break;
    }
  }
  return f;
}
