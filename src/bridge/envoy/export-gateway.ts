/**
 * The export's front door: GatewayClass, Gateway, and the ClientTrafficPolicy whose `connection.bufferLimit`
 * is the buffer Envoy AI Gateway holds request bodies and non-streamed answers in — never left at Envoy
 * Gateway's 32 KiB default, which fails any prompt over 32 KiB with a 413.
 */
import { formatSize } from '../../core/units.js';
import { EG_API, EG_CONTROLLER, GATEWAY_API, GATEWAY_GROUP, MAX_BUFFER_LIMIT } from './api.js';
import type { ExportContext, K8sObject } from './export-context.js';
import { formatGatewayDuration, formatQuantity, MIN_QUANTITY, zeroSize } from './k8s-units.js';

/** The buffer every Envoy AI Gateway example sets, used when the profile never holds a body. */
export const PASSTHROUGH_BUFFER = 50 * 1024 ** 2;

/** The bytes the cluster's connection buffer must hold (at most MAX_BUFFER_LIMIT), why, and what was cut (`from`). */
export function bufferLimitFor(ctx: ExportContext): { bytes: number; why: string; cut?: { from: number; path: string } } {
  const wanted = wantedBuffer(ctx);
  if (wanted.bytes <= MAX_BUFFER_LIMIT) return wanted;
  const rb = ctx.profile.limits.responseBuffer;
  const path = rb.mode === 'buffered' ? 'limits.responseBuffer.maxBytes' : 'limits.maxRequestBytes';
  const why = `${wanted.why} Held to ${MAX_BUFFER_LIMIT} bytes: Envoy Gateway refuses a larger bufferLimit.`;
  return { bytes: MAX_BUFFER_LIMIT, why, cut: { from: wanted.bytes, path } };
}

function wantedBuffer(ctx: ExportContext): { bytes: number; why: string } {
  const { limits } = ctx.profile;
  const rb = limits.responseBuffer;
  if (rb.mode === 'buffered') {
    return {
      bytes: Math.max(MIN_QUANTITY, rb.maxBytes),
      why:
        `limits.responseBuffer.maxBytes (${formatSize(rb.maxBytes)}${rb.maxBytes < MIN_QUANTITY ? ', written as 1: the CRD refuses 0' : ''}): ` +
        'Envoy AI Gateway holds each non-streamed answer here; ' +
        'a larger one gets a 500 "Internal Server Error". The same buffer holds request bodies (413 beyond it).',
    };
  }
  const bytes = Math.max(PASSTHROUGH_BUFFER, limits.maxRequestBytes);
  return {
    bytes,
    why:
      'aigw streams non-streamed answers through (passthrough), but Envoy AI Gateway holds every request body and ' +
      `every non-streamed answer in this buffer, and Envoy Gateway's default is 32Ki: ${formatQuantity(bytes)}, as in every ` +
      'Envoy AI Gateway example, so long answers and large prompts fit. An answer larger than this gets a 500.',
  };
}

export function gatewayObjects(ctx: ExportContext): K8sObject[] {
  const { profile: p, opts } = ctx;
  const port = Number(p.listen.slice(p.listen.lastIndexOf(':') + 1)) || 80;
  const buffer = bufferLimitFor(ctx);
  if (buffer.cut) {
    ctx.warn(
      buffer.cut.path,
      `${formatSize(buffer.cut.from)} is more than Envoy's connection buffer holds (${MAX_BUFFER_LIMIT} bytes; Envoy Gateway ` +
        `refuses a larger bufferLimit and keeps its 32Ki default): exported as ${MAX_BUFFER_LIMIT}; in the cluster an answer ` +
        'past it gets 500 and a prompt past it 413, where aigw takes them',
    );
  }
  if (p.limits.responseBuffer.mode === 'buffered' && p.limits.responseBuffer.maxBytes < MIN_QUANTITY) {
    ctx.warn('limits.responseBuffer.maxBytes', zeroSize('bufferLimit'));
  }
  warnBuffer(ctx, buffer.bytes);
  if (p.tls) ctx.warn('tls', 'not exported: add an HTTPS listener with a certificateRef to the Gateway; the export listens on plain HTTP');
  return [
    {
      value: {
        apiVersion: GATEWAY_API,
        kind: 'GatewayClass',
        metadata: { name: opts.gateway },
        spec: { controllerName: EG_CONTROLLER },
      },
    },
    {
      value: {
        apiVersion: GATEWAY_API,
        kind: 'Gateway',
        metadata: ctx.metadata(opts.gateway),
        spec: { gatewayClassName: opts.gateway, listeners: [{ name: 'http', protocol: 'HTTP', port }] },
      },
      comments: { 'spec.listeners': `The profile's listen port (${p.listen}).` },
    },
    {
      value: {
        apiVersion: EG_API,
        kind: 'ClientTrafficPolicy',
        metadata: ctx.metadata(`${opts.gateway}-client`),
        spec: {
          targetRefs: [{ group: GATEWAY_GROUP, kind: 'Gateway', name: opts.gateway }],
          connection: {
            bufferLimit: formatQuantity(buffer.bytes),
            ...(p.limits.maxConnections !== undefined ? { connectionLimit: { value: p.limits.maxConnections } } : {}),
          },
          timeout: { http: { requestReceivedTimeout: formatGatewayDuration(p.timeouts.request) } },
        },
      },
      comments: {
        'spec.connection.bufferLimit': buffer.why,
        'spec.connection.connectionLimit':
          'limits.maxConnections: client connections each Envoy holds at once (aigw closes one more as it accepts it).',
        'spec.timeout.http.requestReceivedTimeout': 'timeouts.request: the client has this long to send its headers and body.',
      },
    },
  ];
}

function warnBuffer(ctx: ExportContext, bytes: number): void {
  const { limits } = ctx.profile;
  const rb = limits.responseBuffer;
  if (rb.mode === 'passthrough') {
    ctx.warn(
      'limits.responseBuffer.mode',
      `passthrough cannot be expressed: Envoy AI Gateway buffers every non-streamed answer, so the cluster answers 500 ` +
        `to any answer over ${formatQuantity(bytes)} where aigw streams it whole`,
    );
  } else if (rb.onOverflow === 'error') {
    ctx.warn(
      'limits.responseBuffer.onOverflow',
      'error: the cluster answers 500 text/plain "Internal Server Error" to an answer over the buffer, not 502 response_too_large',
    );
  } else if (rb.onOverflow === 'truncate') {
    ctx.warn(
      'limits.responseBuffer.onOverflow',
      'truncate: the cluster answers 500 "Internal Server Error" instead of cutting the answer ' +
        "(Envoy AI Gateway's external processor holds the headers with the body); use onOverflow: envoy to rehearse that",
    );
  }
  if (limits.maxRequestBytes > bytes) {
    ctx.warn(
      'limits.maxRequestBytes',
      `${formatSize(limits.maxRequestBytes)} is more than the cluster's buffer (${formatQuantity(bytes)}), which also holds ` +
        'request bodies: the cluster answers 413 to requests between the two',
    );
  }
}
