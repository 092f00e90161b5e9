/**
 * An OTLP/HTTP trace receiver for tests: POST /v1/traces on a real socket (port 0), bodies decoded as the
 * exporter sends them (OTLP JSON, gzip or not; protobuf is recorded as undecoded so a test can tell) and
 * flattened into spans with plain attribute values.
 */
import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import { gunzipSync } from 'node:zlib';
import { cleanupScope } from './cleanup.js';

type AnyValue = {
  stringValue?: string;
  boolValue?: boolean;
  intValue?: number | string;
  doubleValue?: number;
  arrayValue?: { values?: AnyValue[] };
};
type KeyValue = { key: string; value: AnyValue };

export interface ReceivedSpan {
  traceId: string;
  spanId: string;
  parentSpanId: string | undefined;
  name: string;
  /** OTLP's enum: 1 internal, 2 server, 3 client. */
  kind: number;
  attributes: Record<string, unknown>;
  /** 0 unset, 1 ok, 2 error. */
  status: { code: number; message?: string };
  resource: Record<string, unknown>;
  scope: string;
  /** From its start to its end, in milliseconds. */
  durationMs: number;
}

export interface ReceivedExport {
  path: string;
  headers: IncomingHttpHeaders;
  contentType: string;
  /** The decoded body text (JSON), or undefined for a body this receiver cannot decode. */
  text: string | undefined;
}

function plain(v: AnyValue): unknown {
  if (v.stringValue !== undefined) return v.stringValue;
  if (v.boolValue !== undefined) return v.boolValue;
  if (v.intValue !== undefined) return Number(v.intValue);
  if (v.doubleValue !== undefined) return v.doubleValue;
  if (v.arrayValue !== undefined) return (v.arrayValue.values ?? []).map(plain);
  return undefined;
}

const attrs = (list: KeyValue[] | undefined) => Object.fromEntries((list ?? []).map((kv) => [kv.key, plain(kv.value)]));

interface TraceRequest {
  resourceSpans?: {
    resource?: { attributes?: KeyValue[] };
    scopeSpans?: {
      scope?: { name?: string };
      spans?: {
        traceId: string;
        spanId: string;
        parentSpanId?: string;
        name: string;
        kind: number;
        attributes?: KeyValue[];
        status?: { code?: number; message?: string };
        startTimeUnixNano?: string | number;
        endTimeUnixNano?: string | number;
      }[];
    }[];
  }[];
}

function flatten(body: TraceRequest): ReceivedSpan[] {
  const out: ReceivedSpan[] = [];
  for (const rs of body.resourceSpans ?? []) {
    const resource = attrs(rs.resource?.attributes);
    for (const ss of rs.scopeSpans ?? []) {
      for (const s of ss.spans ?? []) {
        out.push({
          traceId: s.traceId,
          spanId: s.spanId,
          parentSpanId: s.parentSpanId || undefined,
          name: s.name,
          kind: s.kind,
          attributes: attrs(s.attributes),
          status: { code: s.status?.code ?? 0, ...(s.status?.message ? { message: s.status.message } : {}) },
          resource,
          scope: ss.scope?.name ?? '',
          durationMs: Number(BigInt(s.endTimeUnixNano ?? 0) - BigInt(s.startTimeUnixNano ?? 0)) / 1e6,
        });
      }
    }
  }
  return out;
}

export interface OtlpReceiver {
  /** The collector's base URL, as `observe.tracing.otlp` takes it. */
  url: string;
  exports: ReceivedExport[];
  spans: ReceivedSpan[];
  clear(): void;
  /** Answers the first export, held (`holdFirst`): a collector that hung, then came back. */
  release(): void;
  /** The status every later export is answered with (200 at first): a collector that refuses, then accepts. */
  answerWith(status: number): void;
  close(): Promise<void>;
}

/** `holdFirst`: the first export is received but not answered until `release()`; every later one is answered at once. */
export async function useOtlpReceiver(opts: { holdFirst?: boolean } = {}): Promise<OtlpReceiver> {
  const cleanupAfter = cleanupScope();
  const exports: ReceivedExport[] = [];
  const spans: ReceivedSpan[] = [];
  let held: ServerResponse | undefined;
  let status = 200;
  const ok = (res: ServerResponse) => res.writeHead(status, { 'content-type': 'application/json' }).end('{}');
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      let raw = Buffer.concat(chunks);
      if (req.headers['content-encoding'] === 'gzip') raw = gunzipSync(raw);
      const contentType = (req.headers['content-type'] ?? '').split(';')[0]!.trim();
      const text = contentType === 'application/json' ? raw.toString('utf8') : undefined;
      exports.push({ path: req.url ?? '', headers: req.headers, contentType, text });
      if (req.method !== 'POST' || req.url !== '/v1/traces') {
        res.writeHead(404).end();
        return;
      }
      if (text !== undefined) spans.push(...flatten(JSON.parse(text) as TraceRequest));
      if (opts.holdFirst && exports.length === 1) held = res;
      else ok(res);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const r: OtlpReceiver = {
    url: `http://127.0.0.1:${(server.address() as { port: number }).port}`,
    exports,
    spans,
    clear() {
      exports.length = 0;
      spans.length = 0;
    },
    release: () => held && ok(held),
    answerWith(code) {
      status = code;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  cleanupAfter(() => r.close());
  return r;
}
