import { test } from "node:test";
import assert from "node:assert/strict";
import { TextBuffer } from "./text-buffer.js";

test("TextBuffer keeps pieces in order across batching, growth and copies", () => {
  const b = new TextBuffer(8);
  const want: string[] = [];
  for (let i = 0; i < 2000; i++) {
    const s = i % 7 === 0 ? `long piece ${"x".repeat(200)} ${i}\n` : `p${i},`;
    b.put(s);
    want.push(s);
  }
  const mid = b.length;
  b.put("tail");
  b.copyFrom(b, 0, 5);
  const other = new TextBuffer();
  other.put("abc");
  b.copyFrom(other, 1, 3);
  const text = want.join("");
  assert.equal(mid, Buffer.byteLength(text));
  assert.equal(b.toString(), text + "tail" + text.slice(0, 5) + "bc");
  assert.equal(b.toString(mid), "tail" + text.slice(0, 5) + "bc");
});

test("TextBuffer writes non-ASCII text as UTF-8 and reads it back", () => {
  const b = new TextBuffer(4);
  b.put("a");
  b.put("é");
  b.put("日本");
  b.put("😀 and a longer piece with ünïcödé in it, longer than the batching threshold of 128 characters ............................");
  const s = "aé日本😀 and a longer piece with ünïcödé in it, longer than the batching threshold of 128 characters ............................";
  assert.equal(b.length, Buffer.byteLength(s));
  assert.equal(b.toString(), s);
  assert.equal(b.toString(1), s.slice(1));
});

test("released bytes are reused without touching text already returned", () => {
  const a = new TextBuffer(2 << 20);
  a.put("x".repeat(1 << 20));
  const first = a.toString();
  a.release();
  assert.equal(a.toString(), "");
  const b = new TextBuffer(2 << 20);
  b.put("y".repeat(1 << 20));
  const second = b.toString();
  b.release();
  assert.equal(first, "x".repeat(1 << 20));
  assert.equal(second, "y".repeat(1 << 20));
  // A released buffer can be written again (it takes new bytes).
  a.put("again");
  assert.equal(a.toString(), "again");
});

test("putAscii returns where each piece starts, between batched and unbatched writes", () => {
  const b = new TextBuffer(8);
  const pieces: [number, string][] = [];
  for (let i = 0; i < 500; i++) {
    const s = i % 11 === 0 ? `ascii record ${"y".repeat(600)} ${i}\n` : `r${i};`;
    if (i % 13 === 0) b.put(`é${i}|`); // not ASCII: putAscii must not count it as one byte per character
    pieces.push([b.putAscii(s), s]);
  }
  const text = b.toString();
  const bytes = Buffer.from(text);
  for (const [at, s] of pieces) assert.equal(bytes.subarray(at, at + s.length).toString("latin1"), s);
});

test("a spilling buffer gives back its whole text, ASCII or not, and refuses offsets it spilled", () => {
  const b = new TextBuffer(64);
  assert.equal(b.spillFrom(64), 0);
  const src = new TextBuffer();
  src.put("0123456789");
  const want: string[] = [];
  for (let i = 0; i < 300; i++) {
    const s = i % 17 === 0 ? `ünï ${i} ${"z".repeat(150)}\n` : i % 5 === 0 ? `日${i},` : `p${i},`;
    b.put(s);
    want.push(s);
    if (i % 7 === 0) {
      b.copyFrom(src, 2, 6);
      want.push("2345");
    }
  }
  const text = want.join("");
  assert.equal(b.length, Buffer.byteLength(text));
  assert.equal(b.toString(), text);
  assert.throws(() => b.toString(1), /spilled/);
  const dst = new TextBuffer();
  assert.throws(() => dst.copyFrom(b, 0, 4), /spilled/);
  b.release();
  assert.equal(b.toString(), "");
});

test("spillFrom: text written after it goes out in chunks while the text before it stays, to be copied within the buffer", () => {
  const b = new TextBuffer(16);
  const kept = ["ascii-record;", "ünï-record;", "plain;"];
  const offsets: [number, number][] = [];
  for (const k of kept) {
    const at = b.length;
    b.put(k);
    offsets.push([at, b.length]);
  }
  const start = b.spillFrom(32);
  assert.equal(start, Buffer.byteLength(kept.join("")));
  const want: string[] = [];
  for (let i = 0; i < 200; i++) {
    const j = (i * 7) % 3;
    b.copyFrom(b, offsets[j][0], offsets[j][1]);
    want.push(kept[j]);
    const s = i % 9 === 0 ? `日${i}` : `-${i}-`;
    b.put(s);
    want.push(s);
  }
  assert.equal(b.toString(start), want.join(""));
  assert.equal(b.toString(), kept.join("") + want.join(""));
  assert.equal(b.toString(offsets[1][0]), kept.slice(1).join("") + want.join(""));
  assert.throws(() => b.toString(start + 1), /spilled/);
  assert.throws(() => b.copyFrom(b, start, start + 2), /spilled/);
});

test("spillFrom: chunks stay within chunkBytes however much room the buffer has, and a larger piece goes out as one chunk", () => {
  const b = new TextBuffer(1 << 16);
  const start = b.spillFrom(300);
  const pieces = ["a", "b", "c"].map((c) => c.repeat(200));
  for (const p of pieces) b.put(p);
  // The first two pieces went out as chunks of their own (two would not fit in 300 bytes).
  assert.equal(b.toString(start + 400), pieces[2]);
  assert.throws(() => b.toString(start + 399), /spilled/);
  const big = "d".repeat(1000);
  b.put(big);
  b.put("e".repeat(200));
  // The last 200-byte piece went out before the large one.
  assert.equal(b.toString(start + 600), big + "e".repeat(200));
  assert.throws(() => b.toString(start + 599), /spilled/);
  assert.equal(b.toString(start), pieces.join("") + big + "e".repeat(200));
});
