import OpenAI from 'openai';
const [G, U] = [process.argv[2], process.argv[3]];
for (const base of [U, G]) {
  const c = new OpenAI({ baseURL: base + '/v1', apiKey: 'x', maxRetries: 0 });
  const out = [];
  for (const so of [undefined, { include_usage: true }, { include_usage: false }]) {
    const s = c.chat.completions.stream({ model: base === G ? 'm' : 'up', messages: [{ role: 'user', content: 'x' }], n: 2, stream_options: so, tools: [{ type: 'function', function: { name: 'f', parameters: {} } }, { type: 'function', function: { name: 'g', parameters: {} } }] });
    let n = 0; for await (const ch of s) n++;
    const f = await s.finalChatCompletion();
    out.push(JSON.stringify({ n, choices: f.choices.map((c) => [c.finish_reason, c.message.content, c.message.tool_calls?.map((t) => t.id + t.function.arguments), c.logprobs?.content?.length]), usage: f.usage }));
  }
  const r = await c.chat.completions.create({ model: base === G ? 'm' : 'up', messages: [{ role: 'user', content: 'x' }] });
  out.push(JSON.stringify(r.choices[0].message.tool_calls));
  console.log(base === G ? 'gateway' : 'direct', out.join('\n'));
}
