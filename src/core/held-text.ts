/**
 * Text held piece by piece until it is read whole (a streamed tool call's arguments, checked once the call closes).
 * `held += piece` makes a V8 cons string for each piece, ~20 bytes of its own whatever the piece spans: arguments
 * streamed a character a chunk held ~20× their length, so a bound on their characters bounded nothing like it. The
 * pieces are joined JOIN_EVERY at a time, each join one flat string: a cons string per JOIN_EVERY pieces, each
 * character copied once.
 */
const JOIN_EVERY = 64;

export class HeldText {
  private text = '';
  private pieces: string[] = [];
  /** Characters held. */
  length = 0;

  push(piece: string): void {
    this.pieces.push(piece);
    this.length += piece.length;
    if (this.pieces.length === JOIN_EVERY) this.join();
  }

  /** Everything held, as one string; nothing is held after. */
  take(): string {
    this.join();
    const text = this.text;
    this.clear();
    return text;
  }

  clear(): void {
    this.text = '';
    this.pieces = [];
    this.length = 0;
  }

  private join(): void {
    if (this.pieces.length === 0) return;
    this.text += this.pieces.join('');
    this.pieces = [];
  }
}
