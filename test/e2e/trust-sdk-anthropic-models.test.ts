/**
 * `GET /v1/models` and `/v1/models/{id}` answered OpenAI's list shape only, to every client — but the gateway serves
 * Anthropic's Messages API on the same listener, and @anthropic-ai/sdk's `models.list()` / `models.retrieve()` read
 * Anthropic's shape there: each entry's `type: "model"`, `display_name` and `created_at` (RFC 3339), the page's
 * `has_more`, `first_id`, `last_id`. A client listing the models to pick one by its display name or newest first
 * got `undefined` for each. Entries now carry both shapes' fields (OpenAI's unchanged), as one list serves both SDKs.
 * (SDK review)
 */
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import { useGateway } from '../helpers/gateway.js';

const gw = await useGateway(`
version: 1
backends:
  v: { url: http://127.0.0.1:0, mock: { kind: vllm } }
models:
  m: { targets: [{ backend: v }] }
  n: { targets: [{ backend: v }] }
`);
const anthropic = new Anthropic({ baseURL: gw.url, apiKey: 'unused', maxRetries: 0 });
const openai = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: 'unused', maxRetries: 0 });
const rfc3339 = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/;

describe('the model list through @anthropic-ai/sdk, and still through openai-node', () => {
  it("models.list() gives Anthropic's ModelInfo fields and page fields", async () => {
    const page = await anthropic.models.list();
    expect(page.data.map((m) => m.id)).toEqual(['m', 'n']);
    for (const m of page.data) {
      expect(m.type).toBe('model');
      expect(m.display_name).toBe(m.id);
      expect(m.created_at).toMatch(rfc3339);
    }
    const raw = (await anthropic.models
      .list()
      .asResponse()
      .then((r) => r.json())) as Record<string, unknown>;
    expect(raw).toMatchObject({ has_more: false, first_id: 'm', last_id: 'n' });
    const one = await anthropic.models.retrieve('n');
    expect(one).toMatchObject({ id: 'n', type: 'model', display_name: 'n' });
    expect(one.created_at).toMatch(rfc3339);
  });

  it('openai-node reads its own fields as before', async () => {
    const list = await openai.models.list();
    expect(list.data[0]).toMatchObject({ id: 'm', object: 'model', owned_by: 'aigw' });
    expect(typeof list.data[0]!.created).toBe('number');
    expect((await openai.models.retrieve('n')).owned_by).toBe('aigw');
  });
});
