/**
 * SHA-256 of a text (UTF-8), one-shot: crypto.hash makes no Hash object per call, which counts where it runs per
 * request (API keys, translated call ids). Digests compared in constant time want bytes: those keep createHash.
 */
import { hash } from 'node:crypto';

export type DigestEncoding = 'hex' | 'base64' | 'base64url';

export function sha256(text: string, encoding: DigestEncoding): string {
  return hash('sha256', text, encoding);
}
