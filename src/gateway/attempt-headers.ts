/**
 * Headers an attempt adds upstream beyond relay/headers.ts's own: who is calling (the backend's forwardIdentity:
 * the authenticated tenant, the verified or vouched-for user) and the attempt span's trace context. The client's
 * copies of all of these never reach a backend (Services.strip). Undefined when there is nothing to add.
 */
import { identityHeaders } from '../auth/forward-identity.js';
import type { AttemptSpan } from '../observe/tracing.js';
import type { RequestContext } from './request-context.js';
import type { BackendEdge } from './services.js';

export function attemptHeaders(ctx: RequestContext, edge: BackendEdge, span: AttemptSpan): string[] | undefined {
  const fi = edge.identity;
  if (fi === undefined && span.traceparent === undefined) return undefined;
  const out: string[] = [];
  if (fi !== undefined) {
    const tenant = ctx.record.tenant;
    const clientUser = fi.userHeader === undefined ? undefined : ctx.req.headers[fi.userHeader];
    // A tenant vouches for the users it names; without a tenant (auth off), or when a token names the user, nobody may.
    const clientMayNameUser = tenant !== undefined && !ctx.userByToken;
    for (const [name, value] of identityHeaders(fi, { tenant, user: ctx.user, clientMayNameUser }, clientUser).set) out.push(name, value);
  }
  if (span.traceparent !== undefined) {
    out.push('traceparent', span.traceparent);
    if (span.tracestate !== undefined) out.push('tracestate', span.tracestate);
  }
  return out.length ? out : undefined;
}
