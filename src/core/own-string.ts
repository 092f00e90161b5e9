/**
 * A copy of `s` that shares nothing with the text it was cut from. V8 makes a slice of 13 characters or more a view
 * that keeps its whole source alive: a model name read off a stream's first event kept that event (up to
 * limits.maxEventBytes) for as long as the name lived — in the request's event, the admin's history, the metrics'
 * learned names, a span. UTF-16 bytes and back: exact for any string, lone surrogates included.
 */
export function ownString(s: string): string {
  return s.length < 13 ? s : Buffer.from(s, 'utf16le').toString('utf16le');
}
