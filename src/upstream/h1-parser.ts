/**
 * Node's own llhttp (`_http_common`'s HTTPParser, native, what node:http uses), lent to a connection while it reads
 * an answer's head — or a body whose framing only llhttp reads (h1-body.ts reads the rest) — and taken back after:
 * a parser is ~1.6 KiB of native memory, and a stream held open for minutes needs none once its head is read.
 * Callbacks are set once per parser and reach the connection it is lent to through `owner` (Node calls them with
 * the parser as `this`): no closures per connection.
 */
import { createRequire } from 'node:module';

export interface NativeParser {
  initialize(type: number, resource: object, maxHeaderSize: number, lenient: number): void;
  execute(data: Buffer): number | Error;
  finish(): number | Error | undefined;
  close(): void;
  [key: number]: unknown;
}
interface NativeParserClass {
  new (): NativeParser;
  RESPONSE: number;
  kOnMessageBegin: number;
  kOnHeaders: number;
  kOnHeadersComplete: number;
  kOnBody: number;
  kOnMessageComplete: number;
  kLenientNone: number;
}
const { HTTPParser } = createRequire(import.meta.url)('_http_common') as { HTTPParser: NativeParserClass };

/** What a parser's callbacks reach. */
export interface ParserOwner {
  onMessageBegin(): void;
  onHeaderParts(headers: string[]): void;
  onHead(headers: string[] | undefined, status: number, statusMessage: string, upgrade: boolean, keepAlive: boolean): number;
  onBody(chunk: Buffer): void;
  onMessageEnd(): void;
}

/** The value an `onHead` returns to stop llhttp at the end of the head (it takes it for an upgrade: h1-body reads on). */
export const STOP_AFTER_HEAD = 2;

/** undici's default: a head larger than this is refused (HPE_HEADER_OVERFLOW). */
const MAX_HEADER_SIZE = 16 * 1024;
const PARSER_RESOURCE = Object.freeze({});
/** Parsers kept for reuse; more are closed when given back (node:http keeps up to 1,000). */
const KEPT = 64;

export type LentParser = NativeParser & { owner: ParserOwner | undefined };

function onMessageBegin(this: LentParser): void {
  this.owner?.onMessageBegin();
}
function onHeaders(this: LentParser, headers: string[]): void {
  this.owner?.onHeaderParts(headers);
}
function onHeadersComplete(
  this: LentParser,
  _major: number,
  _minor: number,
  headers: string[] | undefined,
  _method: unknown,
  _url: unknown,
  status: number,
  statusMessage: string,
  upgrade: boolean,
  keepAlive: boolean,
): number {
  return this.owner ? this.owner.onHead(headers, status, statusMessage, upgrade, keepAlive) : 0;
}
function onBody(this: LentParser, chunk: Buffer): void {
  this.owner?.onBody(chunk);
}
function onMessageComplete(this: LentParser): void {
  this.owner?.onMessageEnd();
}

const kept: LentParser[] = [];
let lent = 0;

/** Parsers lent now (tests: a held stream past its head holds none). */
export const parsersLent = (): number => lent;

/** A parser at the start of an answer, its callbacks reaching `owner`. */
export function lendParser(owner: ParserOwner): LentParser {
  let p = kept.pop();
  if (!p) {
    p = new HTTPParser() as LentParser;
    p[HTTPParser.kOnMessageBegin] = onMessageBegin;
    p[HTTPParser.kOnHeaders] = onHeaders;
    p[HTTPParser.kOnHeadersComplete] = onHeadersComplete;
    p[HTTPParser.kOnBody] = onBody;
    p[HTTPParser.kOnMessageComplete] = onMessageComplete;
  }
  p.initialize(HTTPParser.RESPONSE, PARSER_RESOURCE, MAX_HEADER_SIZE, HTTPParser.kLenientNone);
  p.owner = owner;
  lent++;
  return p;
}

/** `p` back: never while its execute() is on the stack (another connection could re-initialize it under it). */
export function takeBack(p: LentParser, reuse: boolean): void {
  p.owner = undefined;
  lent--;
  if (reuse && kept.length < KEPT) kept.push(p);
  else p.close();
}
