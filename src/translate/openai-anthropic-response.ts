/**
 * OpenAI client → Anthropic backend, the answer: a Message becomes a chat completion. Text blocks join into
 * `content`, tool_use blocks become `tool_calls`, thinking becomes `reasoning_content` (vLLM's and
 * DeepSeek's field), usage counts cache reads as `prompt_tokens_details.cached_tokens`.
 */
import { MessageAnyUsage, readUsage } from '../anthropic/response.js';
import { elementStarts, memberSpan } from './json-members.js';
import { LocalStop } from './local-stop.js';
import { chatUsageOf, finishReasonWithCalls, overlongName, serialize, unreadable, usageFromAnthropic } from './mapping.js';
import { type AnswerResult, refusedWritten } from './translated.js';

/**
 * `created`: seconds since the epoch (Anthropic's Message carries no time). `text`: the JSON text `json` was parsed from,
 * when there is one — a tool call's arguments are its tool_use input as the backend wrote it.
 */
export function messageToChat(json: unknown, created: number, text?: string, stops: readonly string[] = []): AnswerResult {
  const parsed = MessageAnyUsage.safeParse(json);
  if (!parsed.success) return { ok: false, error: unreadable('not a Message') };
  const m = parsed.data;
  const long = overlongName(m.id, m.model);
  if (long) return { ok: false, error: long };
  let answer = '';
  let reasoning = '';
  const toolCalls = [];
  /** Each block's input text (toolInputTexts), read at the first tool_use; null when there is none to read. */
  let inputs: (string | undefined)[] | null | undefined;
  /** A stop sequence the backend was not sent (local-stop.ts) ended the text: nothing after it is the answer's. */
  let stopped = false;
  // Read as a stream's text is (a longer stop begun in one block may end in the next): the same cut either way.
  const cut = stops.length ? new LocalStop(stops) : undefined;
  for (let i = 0; i < m.content.length && !stopped; i++) {
    const b = m.content[i]!;
    if (b.type === 'text') {
      if (!cut) answer += b.text;
      else {
        const r = cut.feed(b.text);
        answer += r.out;
        stopped = r.stopped;
      }
    } else if ((b.type === 'thinking' && b.thinking) || b.type === 'tool_use') {
      // Reasoning or a tool call ends the run of text a stop is read in, as in a stream: a stop that text holds whole
      // (a longer one it might have begun can no longer come) ends the answer before it.
      const r = cut?.flush();
      if (r) {
        answer += r.out;
        if ((stopped = r.stopped)) continue;
      }
    }
    if (b.type === 'thinking') reasoning += b.thinking;
    else if (b.type === 'tool_use') {
      // Parsed and written again, a number JavaScript cannot hold exactly (`12345678901234567891`, a 19-digit id) reached
      // the client as another (`12345678901234567000`), which a client reading numbers exactly (Python's json) called the
      // tool with; the same answer streamed goes out as the backend's partial_json text.
      if (inputs === undefined) inputs = (text !== undefined && toolInputTexts(text, m.content.length)) || null;
      const args = inputs?.[i] ?? serialize(b.input);
      if (args === undefined) return refusedWritten(unreadable('tool input nests too deeply'));
      toolCalls.push({ id: b.id, type: 'function', function: { name: b.name, arguments: args } });
    }
    // redacted_thinking is opaque, and other block types carry nothing an OpenAI client reads.
  }
  if (cut && !stopped) {
    const rest = cut.flush();
    answer += rest.out;
    stopped = rest.stopped;
  }
  const message: Record<string, unknown> = {
    role: 'assistant',
    content: answer === '' && toolCalls.length ? null : answer,
    refusal: null,
  };
  if (reasoning) message.reasoning_content = reasoning;
  if (toolCalls.length) message.tool_calls = toolCalls;
  // Unreadable (a count as a string, or left out), the usage is none: the answer is counted from its body (relay/exchange.ts).
  const read = readUsage(m.usage);
  const usage = read && usageFromAnthropic(read);
  const completion = {
    id: m.id,
    object: 'chat.completion',
    created,
    model: m.model,
    choices: [
      { index: 0, message, logprobs: null, finish_reason: stopped ? 'stop' : finishReasonWithCalls(m.stop_reason, toolCalls.length > 0) },
    ],
    // Unreadable, it is left out (usage is optional to an OpenAI client), not told as 0 tokens: accounting counts the
    // answer (relay/exchange.ts), and a client that reads usage for its own metering read an answer that cost nothing.
    ...(usage ? { usage: chatUsageOf(usage) } : {}),
  };
  const body = serialize(completion);
  if (body === undefined) return refusedWritten(unreadable('tool input nests too deeply'));
  return { ok: true, value: { body, usage, model: m.model } };
}

/**
 * The JSON text of each content block's `input` in a Message's text, by the block's place (undefined where none); none
 * when the text's content array is not the `blocks` blocks parsed.
 */
function toolInputTexts(text: string, blocks: number): (string | undefined)[] | undefined {
  const content = memberSpan(text, 0, 'content');
  const starts = content && elementStarts(text, content.start);
  if (starts?.length !== blocks) return undefined;
  return starts.map((at) => {
    const input = memberSpan(text, at, 'input');
    return input && text.slice(input.start, input.end);
  });
}
