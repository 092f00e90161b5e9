/**
 * Envoy AI Gateway facing an answer past its buffer does not cut it: it answers its local reply, 500 "Internal Server
 * Error", with none of the answer (aigw's `onOverflow: envoy` reproduces it). `long` counted each such size an error and
 * `long.truncations` 0, so `--assert truncations==0` — the README's CI gate for that very buffer — passed a gateway that
 * delivered no large answer. A size answered with an error is not measured whole: the figure is 0 only when every size was.
 */
import { describe, expect, it } from 'vitest';
import { evaluate, parseAssertion } from '../../../src/bench/assertions.js';
import { long } from '../../../src/bench/long.js';
import { benchContext } from '../../helpers/bench-context.js';
import { useGateway } from '../../helpers/gateway.js';

const gw = useGateway(`
version: 1
limits: { responseBuffer: { mode: buffered, maxBytes: 64Ki, onOverflow: envoy } }
backends:
  vllm: { url: http://127.0.0.1:0, mock: { kind: vllm } }
models:
  m: { targets: [{ backend: vllm }] }
`);

const truncationsZero = () => {
  const a = parseAssertion('truncations==0');
  if (!a.ok) throw new Error(a.message);
  return a.value;
};

describe("long against Envoy's refusal of an answer past its buffer", () => {
  it('fails truncations==0 when the large answers come back 500', async () => {
    const t = await gw;
    const r = await long(benchContext({ url: t.url, mocks: {} }, { longSizes: [16 * 1024, 256 * 1024] }));
    const lines = r.lines.join('\n');
    expect(lines).toMatch(/16KiB body\s+complete/);
    expect(lines).toMatch(/256KiB body\s+error HTTP 500/);
    expect(r.figures['long.errors']).toBe(1);
    expect(r.figures['long.truncations']).toBeNull();
    expect(evaluate(truncationsZero(), r.figures).ok).toBe(false);
    expect(r.lines[0]).toContain('1 errors');
  });

  it('still reads 0 when every size came whole', async () => {
    const t = await gw;
    const r = await long(benchContext({ url: t.url, mocks: {} }, { longSizes: [16 * 1024] }));
    expect(r.figures).toMatchObject({ 'long.truncations': 0, 'long.errors': 0 });
    expect(evaluate(truncationsZero(), r.figures).ok).toBe(true);
  });
});
