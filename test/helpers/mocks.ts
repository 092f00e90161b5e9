/** Starts in-process mocks on port 0 for a test file and closes them after it. */
import { MockSchema } from '../../src/profile/schema.js';
import type { MockSettings } from '../../src/mock/context.js';
import { startMock, type RunningMock } from '../../src/mock/server.js';
import { cleanupScope } from './cleanup.js';

export async function useMock(settings: Partial<MockSettings> & { name: string; kind: MockSettings['kind'] }): Promise<RunningMock> {
  const cleanupAfter = cleanupScope();
  const defaults = MockSchema.parse({ kind: settings.kind });
  const mock = await startMock({ ...defaults, models: undefined, ...settings });
  cleanupAfter(() => mock.close());
  return mock;
}

export async function postJson(url: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
}

export function chat(content: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { model: 'm', messages: [{ role: 'user', content }], max_tokens: 8, ...extra };
}
