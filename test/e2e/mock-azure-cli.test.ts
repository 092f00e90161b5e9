/** `aigw mock-backends -c` and `serve --mocks` serve the provider mocks of a profile, with their backends' keys. */
import Anthropic from '@anthropic-ai/sdk';
import { AzureOpenAI } from 'openai';
import { describe, expect, it } from 'vitest';
import { startAigw } from '../helpers/cli.js';

const PROFILE = 'fixtures/profiles/provider-mocks.yaml';

describe('provider mocks from a profile', () => {
  it('aigw mock-backends -c prints their ready lines and serves them with the backends’ apiKey', async () => {
    const run = await startAigw(['mock-backends', '-c', PROFILE], 2);
    expect(run.stdout()).toMatch(/^mock claude \(anthropic\) listening on http:\/\/127\.0\.0\.1:\d+$/m);
    expect(run.stdout()).toMatch(/^mock azure \(azure-openai\) listening on http:\/\/127\.0\.0\.1:\d+$/m);

    const claude = new Anthropic({ apiKey: 'sk-ant-fixture', baseURL: run.urls.claude, maxRetries: 0 });
    const m = await claude.messages.create({ model: 'claude-sonnet-4-5', max_tokens: 4, messages: [{ role: 'user', content: 'hi' }] });
    expect(m.usage.output_tokens).toBe(4);
    const wrong = new Anthropic({ apiKey: 'sk-ant-other', baseURL: run.urls.claude, maxRetries: 0 });
    await expect(
      wrong.messages.create({ model: 'claude-sonnet-4-5', max_tokens: 4, messages: [{ role: 'user', content: 'hi' }] }),
    ).rejects.toBeInstanceOf(Anthropic.AuthenticationError);

    const azure = new AzureOpenAI({
      apiKey: 'azure-fixture',
      endpoint: run.urls.azure,
      apiVersion: '2024-10-21',
      deployment: 'gpt-4o-prod',
      maxRetries: 0,
    });
    const c = await azure.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }], max_tokens: 3 });
    expect(c.model).toBe('gpt-4o-prod');
    expect(await run.stop()).toBe(0);
  });

  it('aigw serve --mocks starts them alongside the gateway', async () => {
    const run = await startAigw(
      ['serve', '-c', PROFILE, '--mocks', '--listen', '127.0.0.1:0', '--admin', '127.0.0.1:0', '--log', 'off'],
      4,
    );
    const r = await fetch(`${run.urls.claude}/v1/messages/count_tokens`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': 'sk-ant-fixture', 'anthropic-version': '2023-06-01' },
      body: JSON.stringify({ model: 'claude-sonnet-4-5', messages: [{ role: 'user', content: 'hi' }] }),
    });
    expect(((await r.json()) as { input_tokens: number }).input_tokens).toBeGreaterThan(0);
    // No exit-code check here: serve installs its SIGTERM handler only after its ready lines (a race noted for the lead).
    await run.stop();
  });
});
