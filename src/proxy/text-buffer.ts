// A growable byte buffer for building large rule texts (tens of MB at 10,000 services).
// Writing each piece straight into bytes keeps no string alive per rule: an array of
// millions of pieces joined at the end made the garbage collector half of the render time.
// Pure.

type Utf8Buffer = Buffer & { utf8Write(s: string, offset: number): number; utf8Slice(start: number, end: number): string };

export class TextBuffer {
  private buf: Utf8Buffer;
  length = 0;

  constructor(initialBytes = 1 << 16) {
    this.buf = Buffer.allocUnsafe(initialBytes) as Utf8Buffer;
  }

  private grow(need: number): void {
    let size = this.buf.length * 2;
    while (size < need) size *= 2;
    const next = Buffer.allocUnsafe(size) as Utf8Buffer;
    this.buf.copy(next, 0, 0, this.length);
    this.buf = next;
  }

  /**
   * Appends s, copying characters in a JS loop: for the short pieces of a rule (names,
   * addresses, fixed words) this beats both a native write per piece and concatenating
   * pieces into strings first (whose flattening cost more than the copy).
   */
  put(s: string): void {
    const n = s.length;
    if (this.length + n * 3 > this.buf.length) this.grow(this.length + n * 3);
    const b = this.buf;
    let at = this.length;
    for (let i = 0; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c >= 0x80) {
        // Rare (names are ASCII): encode the rest natively.
        this.length = at;
        this.write(s.slice(i));
        return;
      }
      b[at++] = c;
    }
    this.length = at;
  }

  write(s: string): void {
    // UTF-8 takes at most 3 bytes per UTF-16 unit.
    if (this.length + s.length * 3 > this.buf.length) this.grow(this.length + s.length * 3);
    this.length += this.buf.utf8Write(s, this.length);
  }

  /** Appends bytes [start, end) of another buffer. */
  copyFrom(src: TextBuffer, start: number, end: number): void {
    if (this.length + (end - start) > this.buf.length) this.grow(this.length + (end - start));
    src.buf.copy(this.buf, this.length, start, end);
    this.length += end - start;
  }

  toString(): string {
    return this.buf.utf8Slice(0, this.length);
  }
}
