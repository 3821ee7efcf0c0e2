import type { IncomingMessage } from "node:http";

/** Why a body could not be used. `already_parsed`: a body parser consumed the stream and kept no raw bytes (Express only). */
export type BodyFailure = "too_large" | "aborted" | "already_parsed";

export type ReadBodyResult = { ok: true; body: Uint8Array } | { ok: false; reason: BodyFailure };

/** Where a body goes once it is read: exactly one of the three is called, once. */
export interface BodyReceiver {
  received(body: Uint8Array): void;
  failed(reason: BodyFailure): void;
  /** The runtime failed in a way no request should cause (a bug to log). */
  crashed(error: unknown): void;
}

// Stryker disable next-line StringLiteral: equivalent, a symbol's description is never read
const READ = Symbol("vizochok body read");

/** A Node request whose body is being read: the chunks so far and where the body goes. */
class NodeBodyRead {
  first: Buffer | undefined = undefined;
  more: Buffer[] | undefined = undefined;
  size = 0;
  settled = false;
  constructor(
    readonly limit: number,
    readonly receiver: BodyReceiver,
  ) {}

  body(): Buffer {
    if (this.more === undefined) return this.first ?? Buffer.alloc(0);
    return Buffer.concat([this.first!, ...this.more], this.size);
  }
}

type ReadingRequest = IncomingMessage & { [READ]?: NodeBodyRead };

/**
 * Reads a Node request stream into one buffer, stopping at `limit` bytes, and hands it to
 * `receiver`. The listeners stay on the request once it settles (they then do nothing): the
 * request is done with either way, and an `error` listener left in place keeps a late socket
 * error from becoming an uncaught one. The listeners are the same four functions for every
 * request; each finds its read on the request it is called on, so a request costs no closures.
 */
export function readNodeBody(request: IncomingMessage, limit: number, receiver: BodyReceiver): void {
  (request as ReadingRequest)[READ] = new NodeBodyRead(limit, receiver);
  request.on("data", onData);
  request.on("end", onEnd);
  request.on("error", onError);
  request.on("close", onClose);
}

function onData(this: ReadingRequest, chunk: Buffer): void {
  const read = this[READ]!;
  if (read.settled) return;
  read.size += chunk.length;
  if (read.size > read.limit) {
    // Stop buffering but keep draining, so the 413 can be written and read by the client.
    this.resume();
    read.settled = true;
    read.receiver.failed("too_large");
    return;
  }
  if (read.first === undefined) read.first = chunk;
  else (read.more ??= []).push(chunk);
}

function onEnd(this: ReadingRequest): void {
  const read = this[READ]!;
  if (read.settled) return;
  read.settled = true;
  read.receiver.received(read.body());
}

function onError(this: ReadingRequest): void {
  const read = this[READ]!;
  if (read.settled) return;
  read.settled = true;
  read.receiver.failed("aborted");
}

function onClose(this: ReadingRequest): void {
  const read = this[READ]!;
  if (read.settled) return;
  read.settled = true;
  if (this.complete) read.receiver.received(read.body());
  else read.receiver.failed("aborted");
}

/** Reads a Fetch API body into bytes, stopping at `limit` bytes. */
export async function readWebBody(request: Request, limit: number): Promise<ReadBodyResult> {
  if (request.body === null) return { ok: true, body: new Uint8Array(0) };
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > limit) {
        // Left readable, not cancelled: discardWebBody() reads the rest so the 413 can be read.
        reader.releaseLock();
        return { ok: false, reason: "too_large" };
      }
      chunks.push(value);
    }
  } catch {
    return { ok: false, reason: "aborted" };
  }
  return { ok: true, body: concat(chunks, size) };
}

/** Joins chunks without Buffer, which runtimes such as workerd lack. */
function concat(chunks: Uint8Array[], size: number): Uint8Array {
  // Stryker disable next-line ConditionalExpression: equivalent when forced false, one chunk copied is the same bytes
  if (chunks.length === 1) return chunks[0]!;
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return bytes;
}

/**
 * How much of a body the server will not use is still read and thrown away before answering, so a
 * client that writes its whole request before reading gets the answer instead of a reset
 * connection. Past either bound the connection is closed.
 */
export interface DrainLimits {
  maxBytes: number;
  maxMs: number;
}

export const DRAIN_LIMITS: DrainLimits = { maxBytes: 1024 * 1024, maxMs: 1_000 };

/** Reads and discards the rest of a Node request; true once it ended within `limits`. */
export function discardNodeBody(request: IncomingMessage, limits: DrainLimits): Promise<boolean> {
  if (request.complete) return Promise.resolve(true);
  if (request.destroyed) return Promise.resolve(false);
  return new Promise((resolve) => {
    let size = 0;
    const finish = (ended: boolean) => {
      clearTimeout(timer);
      request.off("data", onData);
      request.off("end", onEnd);
      request.off("error", onError);
      request.off("close", onClose);
      resolve(ended);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limits.maxBytes) finish(false);
    };
    const onEnd = () => finish(true);
    const onError = () => finish(false);
    const onClose = () => finish(request.complete);
    const timer = setTimeout(() => finish(false), limits.maxMs);
    request.on("data", onData);
    request.on("end", onEnd);
    request.on("error", onError);
    request.on("close", onClose);
    request.resume();
  });
}

/** Reads and discards the rest of a Fetch API body; true once it ended within `limits`. */
export async function discardWebBody(request: Request, limits: DrainLimits): Promise<boolean> {
  if (request.body === null) return true;
  let reader: ReadableStreamDefaultReader<Uint8Array>;
  try {
    reader = request.body.getReader();
  } catch {
    return false; // locked or already consumed elsewhere
  }
  let timer: ReturnType<typeof setTimeout> | undefined;
  const expired = new Promise<"expired">((resolve) => (timer = setTimeout(() => resolve("expired"), limits.maxMs)));
  let size = 0;
  try {
    for (;;) {
      const next = await Promise.race([reader.read(), expired]);
      if (next === "expired") break;
      if (next.done) return true;
      size += next.value.byteLength;
      if (size > limits.maxBytes) break;
    }
    void reader.cancel().catch(() => undefined);
    return false;
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
  }
}
