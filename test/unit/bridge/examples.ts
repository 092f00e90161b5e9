/**
 * The official Envoy AI Gateway examples in ../shared, as the bridge tests use them: which files belong
 * together, which models each declares, and which provider kind besides openai an example needs.
 */
import { join } from 'node:path';
import { unsetVariables, withStandIns } from '../../../src/bridge/env.js';
import { loadProfileOrManifests } from '../../../src/bridge/load.js';
import { EXAMPLES_DIR } from './crd-validate.js';

export interface Example {
  name: string;
  files: string[];
  /** The public models the imported profile declares. */
  models: string[];
  /** A backend kind the example needs besides openai. */
  kind?: 'anthropic' | 'azure-openai';
}

const ex = (name: string, files: string[], models: string[], kind?: Example['kind']): Example => ({
  name,
  files: files.map((f) => join(EXAMPLES_DIR, f)),
  models,
  ...(kind ? { kind } : {}),
});

/** Every example file, alone, and the folders whose files only make sense together. */
export const EXAMPLES: Example[] = [
  ex('basic/basic.yaml', ['basic/basic.yaml'], ['some-cool-self-hosted-model']),
  ex('basic/openai.yaml', ['basic/openai.yaml'], ['gpt-4o-mini']),
  ex('basic/anthropic-openai-local.yaml', ['basic/anthropic-openai-local.yaml'], ['Qwen/Qwen2.5-0.5B-Instruct']),
  ex('basic/anthropic.yaml', ['basic/anthropic.yaml'], ['claude-sonnet-4-5'], 'anthropic'),
  ex('basic/azure_openai.yaml', ['basic/azure_openai.yaml'], ['gpt-4.5-preview'], 'azure-openai'),
  ex('provider_fallback/base.yaml', ['provider_fallback/base.yaml'], ['us.amazon.nova-micro-v1:0']),
  ex('provider_fallback/', ['provider_fallback/base.yaml', 'provider_fallback/fallback.yaml'], ['us.amazon.nova-micro-v1:0']),
  ex(
    'stream_idle_timeout/',
    ['stream_idle_timeout/base.yaml', 'stream_idle_timeout/backends.yaml'],
    [
      'stream-idle-timeout-silent-demo',
      'stream-idle-timeout-silent-demo:priority-1',
      'stream-idle-timeout-semi-silent-demo',
      'stream-idle-timeout-semi-silent-demo:priority-1',
    ],
  ),
  ex('stream_idle_timeout/base.yaml', ['stream_idle_timeout/base.yaml'], []),
  ex('stream_idle_timeout/backends.yaml', ['stream_idle_timeout/backends.yaml'], []),
  ex('token_ratelimit/token_ratelimit.yaml', ['token_ratelimit/token_ratelimit.yaml'], ['rate-limit-funky-model']),
  ex('aigw/ollama.yaml', ['aigw/ollama.yaml'], []),
];

/** Loads an example as `aigw validate` would, with the variables it names (credentials, unknown URLs) set to stand-ins. */
export async function loadExample(e: Example, mockAll = false) {
  const first = await loadProfileOrManifests(e.files, {}, { mockAll });
  const needs = first.text ? unsetVariables(first.text, {}) : [];
  return { result: needs.length ? await loadProfileOrManifests(e.files, withStandIns({}, needs), { mockAll }) : first, needs };
}
