/**
 * `accounting`: three views of the same requests — the tokens the mocks say they sent, the tokens the
 * gateway counted (its GenAI metrics), and the `usage` the client received — and where they disagree.
 */
import { answerDeadlineMs, chatBody, deltaText, post, stream } from './client.js';
import { adminHeaders, type BenchContext, type ScenarioResult } from './context.js';
import { usageCount } from './record.js';
import { sideCount, sideJson, sideText } from './side-read.js';

/** The mocks' completion tokens, summed; undefined when none could be read (a count that is no count: not read). */
async function mockTokens(ctx: BenchContext): Promise<number | undefined> {
  let total = 0;
  let any = false;
  for (const url of Object.values(ctx.target.mocks)) {
    const s = (await sideJson(`${url}/mock/stats`)) as { tokens?: { completion?: unknown } } | null | undefined;
    if (!s || typeof s !== 'object') continue;
    const n = s.tokens?.completion === undefined ? 0 : sideCount(s.tokens.completion);
    if (n === undefined) return undefined;
    total += n;
    any = true;
  }
  return any && Number.isFinite(total) ? total : undefined;
}

/** The output tokens the gateway's metrics counted for the model; undefined when they cannot be read as counts. */
async function gatewayTokens(ctx: BenchContext): Promise<number | undefined> {
  if (!ctx.target.admin) return undefined;
  const text = await sideText(`${ctx.target.admin}/metrics`, { headers: adminHeaders(ctx.target) });
  if (text === undefined) return undefined;
  let sum = 0;
  for (const m of text.matchAll(/^gen_ai_client_token_usage_sum\{([^}]*)\} (\S+)$/gm)) {
    if (!m[1]!.includes('gen_ai_token_type="output"') || !m[1]!.includes(`gen_ai_original_model="${ctx.model}"`)) continue;
    // Prometheus writes NaN and +Inf too: a sum that is one is no count (it made every figure of the scenario NaN).
    const n = sideCount(Number(m[2]));
    if (n === undefined) return undefined;
    sum += n;
  }
  return Number.isFinite(sum) ? sum : undefined;
}

export async function accounting(ctx: BenchContext): Promise<ScenarioResult> {
  const N = 40;
  const mock0 = await mockTokens(ctx);
  const gw0 = await gatewayTokens(ctx);
  let client = 0;
  let requested = 0;
  let sent = 0;
  /** An answer was cut at its deadline: the target no longer answers, and every later request would wait as long. */
  let stalled = false;
  ctx.progress(`accounting: ${N} requests, streamed and not`);
  ctx.live.begin('accounting');
  // Interrupted (Ctrl-C): the requests not sent are not asked for. Stalled: neither (one after the other, the 40 of
  // them held the scenario 40 deadlines — 47 minutes at --duration 10s — on a gateway that had stopped answering).
  for (let i = 0; i < N && !ctx.signal?.aborted && !stalled; i++) {
    const maxTokens = 5 + (i % 7) * 13;
    const body = chatBody(ctx, `account for me ${i} [[mock ttft=0ms tps=0]]`, { max_tokens: maxTokens });
    if (i % 2) {
      const r = await post(ctx, body);
      // Cut by the interrupt: not a request the client saw no tokens of, and none sent after it.
      if (ctx.signal?.aborted) break;
      if (r.skipped) continue;
      stalled = r.cutAtDeadline === true;
      client += usageCount(r.body.toString(), 'completion_tokens');
    } else {
      let usage = 0;
      const r = await stream(
        ctx,
        { ...body, stream_options: { include_usage: true } },
        {
          onEvent: (ev) => {
            if (ev.data?.includes('"usage"') && !deltaText(ev.data)) usage = usageCount(ev.data, 'completion_tokens') || usage;
          },
        },
      );
      if (ctx.signal?.aborted) break;
      if (r.skipped) continue;
      stalled = r.cutAtDeadline === true;
      client += usage;
    }
    requested += maxTokens;
    sent++;
  }
  await new Promise((r) => setTimeout(r, 300));
  const mock1 = await mockTokens(ctx);
  const gw1 = await gatewayTokens(ctx);
  const mock = mock0 !== undefined && mock1 !== undefined ? mock1 - mock0 : undefined;
  const gw = gw0 !== undefined && gw1 !== undefined ? gw1 - gw0 : undefined;
  const figures: ScenarioResult['figures'] = {
    'accounting.requested': requested,
    'accounting.client': client,
    'accounting.mock': mock ?? null,
    'accounting.gateway': gw ?? null,
    // No request sent (every one held back by the pacer, or the run interrupted first), no views to compare: not an
    // agreement of 0, which passed `accounting.disagreement==0` on nothing.
    'accounting.disagreement': sent
      ? Math.max(
          Math.abs(client - requested),
          mock === undefined ? 0 : Math.abs(mock - client),
          gw === undefined ? 0 : Math.abs(gw - client),
        )
      : null,
  };
  const counts = `asked ${requested}, client saw ${client}, backends sent ${mock ?? 'n/a'}, gateway counted ${gw ?? 'n/a'}`;
  const cut = stalled ? `; stopped: an answer was still coming ${answerDeadlineMs(ctx) / 1000}s after it was asked for` : '';
  return {
    figures,
    lines: [
      sent
        ? `accounting  output tokens for ${sent} requests: ${counts} → largest disagreement ${figures['accounting.disagreement']}${cut}`
        : "accounting  no samples: no request was sent (each held back under the target's limit, or the run interrupted)",
    ],
  };
}
