// Reading a body and throwing one away, on Node streams and Fetch API bodies: every byte handed
// over once, the limit exact, and each way a body can end (end, error, close, a stalled client).
// The streams are in memory, so each event arrives exactly where the test puts it.
import type { IncomingMessage } from "node:http";
import { PassThrough } from "node:stream";
import { afterEach, describe, expect, it, vi } from "vitest";
import { discardNodeBody, discardWebBody, readNodeBody, readWebBody, type BodyFailure, type DrainLimits } from "../../src/read-body.js";

afterEach(() => vi.useRealTimers());

const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

/** A Node request in memory: a stream with the `complete` flag node:http sets once the body ended. */
function nodeRequest(): PassThrough & { complete: boolean } {
  return Object.assign(new PassThrough(), { complete: false });
}
const asIncoming = (request: PassThrough) => request as unknown as IncomingMessage;

/** What a receiver was told, in order. */
function recordingReceiver() {
  const calls: string[] = [];
  return {
    calls,
    receiver: {
      received: (body: Uint8Array) => void calls.push(`received ${JSON.stringify(text(body))}`),
      failed: (reason: BodyFailure) => void calls.push(`failed ${reason}`),
      crashed: (error: unknown) => void calls.push(`crashed ${String(error)}`),
    },
  };
}

/** Lets the stream deliver what was written. */
const settle = () => new Promise((resolve) => setImmediate(resolve));

/** A Fetch API body made of these chunks, or failing after them. */
function webRequest(chunks: string[], options: { fail?: boolean; open?: boolean } = {}): { request: Request; cancelled: () => boolean } {
  let cancelled = false;
  const encoder = new TextEncoder();
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(encoder.encode(chunk));
      if (options.fail) controller.error(new Error("connection reset"));
      else if (!options.open) controller.close();
    },
    cancel() {
      cancelled = true;
    },
  });
  const request = new Request("http://shop/cart", { method: "POST", body, duplex: "half" } as RequestInit);
  return { request, cancelled: () => cancelled };
}

describe("readNodeBody()", () => {
  it("hands over every chunk joined, once, at the end; a close after that changes nothing", async () => {
    const request = nodeRequest();
    const { calls, receiver } = recordingReceiver();
    readNodeBody(asIncoming(request), 100, receiver);
    request.write("ab");
    await settle();
    request.write("cd");
    await settle();
    request.write("ef");
    request.end();
    await settle();
    request.complete = true;
    request.emit("close");
    request.emit("error", new Error("late"));
    expect(calls).toEqual(['received "abcdef"']);
  });

  it("an empty body is zero bytes; one chunk is handed over whole", async () => {
    const empty = nodeRequest();
    const first = recordingReceiver();
    readNodeBody(asIncoming(empty), 100, first.receiver);
    empty.end();
    await settle();
    const single = nodeRequest();
    const second = recordingReceiver();
    readNodeBody(asIncoming(single), 100, second.receiver);
    single.end("whole");
    await settle();
    expect([first.calls, second.calls]).toEqual([['received ""'], ['received "whole"']]);
  });

  it("exactly the limit is read; one byte more is too_large, once, and the rest is still drained", async () => {
    const exact = nodeRequest();
    const atLimit = recordingReceiver();
    readNodeBody(asIncoming(exact), 4, atLimit.receiver);
    exact.write("ab");
    await settle();
    exact.end("cd");
    await settle();
    expect(atLimit.calls).toEqual(['received "abcd"']);

    const over = nodeRequest();
    const overLimit = recordingReceiver();
    readNodeBody(asIncoming(over), 4, overLimit.receiver);
    over.write("ab");
    over.write("cde");
    await settle();
    expect(overLimit.calls).toEqual(["failed too_large"]);
    over.write("more");
    over.end("rest");
    await settle();
    over.emit("close");
    expect(overLimit.calls).toEqual(["failed too_large"]);
    expect(over.readableEnded).toBe(true);
  });

  it("a stream error before the end is aborted, once; an end after it changes nothing", async () => {
    const request = nodeRequest();
    const { calls, receiver } = recordingReceiver();
    readNodeBody(asIncoming(request), 100, receiver);
    request.write("ab");
    await settle();
    request.emit("error", new Error("socket hang up"));
    request.emit("end");
    request.emit("close");
    expect(calls).toEqual(["failed aborted"]);
  });

  it("a close before the end: the body when node:http saw it complete, else aborted", async () => {
    const complete = nodeRequest();
    const whole = recordingReceiver();
    readNodeBody(asIncoming(complete), 100, whole.receiver);
    complete.write("ab");
    await settle();
    complete.complete = true;
    complete.emit("close");
    complete.emit("end");
    const cut = nodeRequest();
    const partial = recordingReceiver();
    readNodeBody(asIncoming(cut), 100, partial.receiver);
    cut.write("ab");
    await settle();
    cut.emit("close");
    cut.emit("end");
    expect([whole.calls, partial.calls]).toEqual([['received "ab"'], ["failed aborted"]]);
  });
});

describe("readWebBody()", () => {
  it("no body is zero bytes; an empty stream too; chunks are joined in order", async () => {
    expect(await readWebBody(new Request("http://shop/cart/items"), 10)).toEqual({ ok: true, body: new Uint8Array(0) });
    expect(await readWebBody(webRequest([]).request, 10)).toEqual({ ok: true, body: new Uint8Array(0) });
    const read = await readWebBody(webRequest(["ab", "cd", "e"]).request, 10);
    expect(read.ok && text(read.body)).toBe("abcde");
    const single = await readWebBody(webRequest(["whole"]).request, 10);
    expect(single.ok && text(single.body)).toBe("whole");
  });

  it("exactly the limit is read; one byte more is too_large with the rest left readable for the drain", async () => {
    const exact = await readWebBody(webRequest(["ab", "cd"]).request, 4);
    expect(exact.ok && text(exact.body)).toBe("abcd");
    const { request } = webRequest(["ab", "cde", "rest"]);
    expect(await readWebBody(request, 4)).toEqual({ ok: false, reason: "too_large" });
    expect(request.body!.locked).toBe(false);
    const reader = request.body!.getReader();
    expect(text((await reader.read()).value!)).toBe("rest");
  });

  it("a body that fails while read is aborted", async () => {
    expect(await readWebBody(webRequest(["ab"], { fail: true }).request, 10)).toEqual({ ok: false, reason: "aborted" });
  });
});

describe("discardNodeBody()", () => {
  const limits: DrainLimits = { maxBytes: 4, maxMs: 60_000 };

  it("true at once for a body node:http already has whole; false for a destroyed request", async () => {
    const complete = nodeRequest();
    complete.complete = true;
    expect(await discardNodeBody(asIncoming(complete), limits)).toBe(true);
    const destroyed = nodeRequest();
    destroyed.destroy();
    await settle();
    expect(await discardNodeBody(asIncoming(destroyed), limits)).toBe(false);
  });

  it("true once a body of exactly maxBytes ended, a paused one too; no listener or timer left behind", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    const request = nodeRequest();
    request.pause();
    const drained = discardNodeBody(asIncoming(request), limits);
    request.write("ab");
    request.end("cd");
    expect(await drained).toBe(true);
    expect(vi.getTimerCount()).toBe(0);
    expect(["data", "end", "error", "close"].map((event) => request.listenerCount(event))).toEqual([0, 0, 0, 0]);
  });

  it("false past maxBytes, on a stream error, and when the 1 s bound (maxMs) passes first", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    const big = nodeRequest();
    const tooBig = discardNodeBody(asIncoming(big), limits);
    big.write("abc");
    big.write("de");
    expect(await tooBig).toBe(false);
    expect(vi.getTimerCount()).toBe(0);

    const failing = nodeRequest();
    const failed = discardNodeBody(asIncoming(failing), limits);
    failing.emit("error", new Error("socket hang up"));
    expect(await failed).toBe(false);

    const stalled = nodeRequest();
    let result: boolean | undefined;
    void discardNodeBody(asIncoming(stalled), limits).then((ended) => (result = ended));
    stalled.write("ab");
    await settle();
    vi.advanceTimersByTime(59_999);
    await settle();
    expect(result).toBeUndefined();
    vi.advanceTimersByTime(1);
    await settle();
    expect(result).toBe(false);
  });

  it("a close is an end only when node:http saw the body complete", async () => {
    const complete = nodeRequest();
    const whole = discardNodeBody(asIncoming(complete), limits);
    complete.complete = true;
    complete.emit("close");
    const cut = nodeRequest();
    const partial = discardNodeBody(asIncoming(cut), limits);
    cut.emit("close");
    expect([await whole, await partial]).toEqual([true, false]);
  });
});

describe("discardWebBody()", () => {
  const limits: DrainLimits = { maxBytes: 4, maxMs: 60_000 };

  it("true for no body and for a body of exactly maxBytes that ends; false for one already being read", async () => {
    expect(await discardWebBody(new Request("http://shop/cart/items"), limits)).toBe(true);
    expect(await discardWebBody(webRequest(["ab", "cd"]).request, limits)).toBe(true);
    const { request } = webRequest(["ab"]);
    request.body!.getReader();
    expect(await discardWebBody(request, limits)).toBe(false);
  });

  it("false past maxBytes, the stream cancelled; false when the body fails", async () => {
    const big = webRequest(["abc", "de"], { open: true });
    expect(await discardWebBody(big.request, limits)).toBe(false);
    expect(big.cancelled()).toBe(true);
    expect(await discardWebBody(webRequest(["ab"], { fail: true }).request, limits)).toBe(false);
  });

  it("false, the stream cancelled, when maxMs passes before the end; no timer left behind once it ends", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    const stalled = webRequest(["ab"], { open: true });
    let result: boolean | undefined;
    void discardWebBody(stalled.request, limits).then((ended) => (result = ended));
    await settle();
    vi.advanceTimersByTime(59_999);
    await settle();
    expect(result).toBeUndefined();
    vi.advanceTimersByTime(1);
    await settle();
    expect([result, stalled.cancelled()]).toEqual([false, true]);
    expect(await discardWebBody(webRequest(["ab"]).request, limits)).toBe(true);
    expect(vi.getTimerCount()).toBe(0);
  });
});
