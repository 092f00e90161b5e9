/**
 * OpenAI client → Anthropic backend, an inline picture whose data URL names another type than its bytes are: a JPEG
 * labelled `image/png` (a screenshot tool's, a renamed file), a PNG labelled `image/jpg` (how many clients write it).
 * OpenAI reads the bytes and answers; Anthropic checks them against media_type and refuses a mismatch (400 "Image does
 * not match the provided media type image/png") or a type outside its four. The translation sent the URL's label: each
 * such request was a 400 the same request to OpenAI is not. The media_type is now the one the bytes say, when they say
 * one. The backend here refuses as Anthropic does.
 */
import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import { scriptedBackendProfile, useGateway } from '../helpers/gateway.js';
import { anthropicTextMessage, useUpstream } from '../helpers/upstream.js';

const KEY = 'sk-tenant-trust-image-media-type';
const JPEG = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 0x10, 0x4a, 0x46, 0x49, 0x46, 0, 1, 1, 0, 0, 1]).toString('base64');
const PNG = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR4nGNgYGD4DwABBAEAwS2OUAAAAABJRU5ErkJggg==';
const BYTES: Record<string, string> = { '/9j/': 'image/jpeg', iVBO: 'image/png' };

type Source = { type: string; media_type: string; data: string };
const up = await useUpstream((_req, res, body) => {
  const req = JSON.parse(body) as { messages: { content: string | { type: string; source?: Source }[] }[] };
  const images = req.messages.flatMap((m) => (typeof m.content === 'string' ? [] : m.content.filter((b) => b.type === 'image')));
  for (const [i, b] of images.entries()) {
    const s = b.source!;
    const refusal = !['image/jpeg', 'image/png', 'image/gif', 'image/webp'].includes(s.media_type)
      ? `image.source.base64.media_type: Input should be 'image/jpeg', 'image/png', 'image/gif' or 'image/webp'`
      : BYTES[s.data.slice(0, 4)] !== s.media_type
        ? `image.source.base64.data: Image does not match the provided media type ${s.media_type}`
        : undefined;
    if (refusal) {
      res.writeHead(400, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ type: 'error', error: { type: 'invalid_request_error', message: `messages.0.content.${i}.${refusal}` } }));
      return;
    }
  }
  res
    .writeHead(200, { 'content-type': 'application/json' })
    .end(anthropicTextMessage('two pictures', { input_tokens: 9, output_tokens: 2 }));
});
const gw = await useGateway(scriptedBackendProfile(KEY, { kind: 'anthropic' }), { u: up.url });

describe('an inline picture labelled with another type than its bytes, to an Anthropic backend', () => {
  it('is sent with the type its bytes say, and answered as OpenAI answers it', async () => {
    const client = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: KEY, maxRetries: 0 });
    const answer = await client.chat.completions.create({
      model: 'claude',
      messages: [
        {
          role: 'user',
          content: [
            { type: 'image_url', image_url: { url: `data:image/png;base64,${JPEG}` } },
            { type: 'image_url', image_url: { url: `data:image/jpg;base64,${PNG}` } },
            { type: 'text', text: 'what are these?' },
          ],
        },
      ],
    });
    expect(answer.choices[0]!.message.content).toBe('two pictures');
    const sent = JSON.parse(up.seen.at(-1)!.body) as { messages: { content: { type: string; source?: Source }[] }[] };
    const sources = sent.messages[0]!.content.filter((b) => b.type === 'image').map((b) => [b.source!.media_type, b.source!.data]);
    expect(sources).toEqual([
      ['image/jpeg', JPEG],
      ['image/png', PNG],
    ]);
  });

  it('a picture whose bytes say no type keeps the label, and one Anthropic cannot take is still refused by name', async () => {
    const client = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: KEY, maxRetries: 0 });
    const err = await client.chat.completions
      .create({
        model: 'claude',
        messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'data:image/bmp;base64,Qk0AAAA=' } }] }],
      })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect((err as InstanceType<typeof OpenAI.BadRequestError>).message).toContain('image/bmp');
  });
});
