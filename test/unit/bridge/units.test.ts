/** Kubernetes quantities, Gateway API durations and DNS-1123 names: exact both ways (property-based), and the CRDs' patterns. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatGatewayDuration, formatQuantity, parseGatewayDuration, parseQuantity } from '../../../src/bridge/envoy/k8s-units.js';
import { dnsLabel, envVarFor, uniqueLabels, wholeEnvRef } from '../../../src/bridge/envoy/names.js';

/** The patterns the CRDs put on these fields (BackendTrafficPolicy bufferLimit, Gateway API Duration, DNS-1123 label). */
const QUANTITY_PATTERN = /^[1-9]+[0-9]*([EPTGMK]i|[EPTGMk])?$/;
const DURATION_PATTERN = /^([0-9]{1,5}(h|m|s|ms)){1,4}$/;
const LABEL_PATTERN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

describe('quantities', () => {
  it.each([
    ['50Mi', 52_428_800],
    ['32768', 32_768],
    ['1Gi', 1024 ** 3],
    ['10M', 10_000_000],
    ['100k', 100_000],
    [1048576, 1048576],
  ])('%s → %d', (q, n) => expect(parseQuantity(q)).toBe(n));

  it.each(['', '0', '-1Mi', '1.5Mi', '50 Mi', '50MB', 'Mi', null, 0, -5, 1.5])('refuses %j', (q) =>
    expect(parseQuantity(q)).toBeUndefined(),
  );

  it('formats every size exactly, in the form the CRD accepts', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 2 ** 52 }), (n) => {
        const q = formatQuantity(n);
        expect(q).toMatch(QUANTITY_PATTERN);
        expect(parseQuantity(q)).toBe(n);
      }),
    );
  });
});

describe('durations', () => {
  it.each([
    ['30s', 30_000],
    ['1m30s', 90_000],
    ['150ms', 150],
    ['2h', 7_200_000],
    ['1h2m3s4ms', 3_723_004],
  ])('%s → %d ms', (d, ms) => expect(parseGatewayDuration(d)).toBe(ms));

  it.each(['', '5', '1.5s', '123456s', '1d', '1m1m1m1m1m', 30])('refuses %j', (d) => expect(parseGatewayDuration(d)).toBeUndefined());

  it('formats every whole-millisecond duration exactly, in the form the CRD accepts', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 99_999 * 3_600_000 }), (ms) => {
        const d = formatGatewayDuration(ms);
        expect(d).toMatch(DURATION_PATTERN);
        expect(parseGatewayDuration(d)).toBe(ms);
      }),
    );
    expect(formatGatewayDuration(0)).toBe('0s');
    expect(formatGatewayDuration(0.2)).toBe('1ms');
  });
});

describe('names', () => {
  it('turns any profile name into a DNS-1123 label, and keeps distinct names distinct', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.string({ minLength: 1, maxLength: 80 }), { minLength: 1, maxLength: 20 }), (names) => {
        const labels = uniqueLabels(names, ['aigw']);
        for (const l of labels.values()) {
          expect(l).toMatch(LABEL_PATTERN);
          expect(l.length).toBeLessThanOrEqual(63);
        }
        expect(new Set(labels.values()).size).toBe(names.length);
        expect([...labels.values()]).not.toContain('aigw');
      }),
    );
    expect(dnsLabel('vllm-llama-v1')).toBe('vllm-llama-v1');
    expect(dnsLabel('Qwen/Qwen2.5:72B')).toBe('qwen-qwen2-5-72b');
  });

  it.each([
    [['envoy-ai-gateway-basic-openai-apikey'], 'ENVOY_AI_GATEWAY_BASIC_OPENAI_APIKEY'],
    [['tenant', 'acme', 'key'], 'TENANT_ACME_KEY'],
    [['9lives'], 'V_9LIVES'],
  ])('envVarFor(%j) → %s', (parts, v) => expect(envVarFor(...parts)).toBe(v));

  it.each([
    ['${ACME_KEY}', 'ACME_KEY'],
    ['${ACME_KEY:-sk-acme-demo}', 'ACME_KEY'],
    [' ${X} ', 'X'],
    ['Bearer ${X}', undefined],
    ['sk-literal', undefined],
  ])('wholeEnvRef(%s) → %s', (v, name) => expect(wholeEnvRef(v)).toBe(name));
});
