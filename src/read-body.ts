import type { IncomingMessage } from "node:http";

export type ReadBodyResult =
  | { ok: true; body: Uint8Array }
  /** `already_parsed`: a body parser consumed the stream and kept no raw bytes (Express only). */
  | { ok: false; reason: "too_large" | "aborted" | "already_parsed" };

/**
 * Reads a Node request stream into one buffer, stopping at `limit` bytes. The listeners stay on
 * the request once it settles (they then do nothing): the request is done with either way, and
 * an `error` listener left in place keeps a late socket error from becoming an uncaught one.
 */
export function readNodeBody(request: IncomingMessage, limit: number): Promise<ReadBodyResult> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const finish = (result: ReadBodyResult) => {
      if (settled) return;
      settled = true;
      resolve(result);
    };
    request.on("data", (chunk: Buffer) => {
      if (settled) return;
      size += chunk.length;
      if (size > limit) {
        // Stop buffering but keep draining, so the 413 can be written and read by the client.
        request.resume();
        finish({ ok: false, reason: "too_large" });
        return;
      }
      chunks.push(chunk);
    });
    request.on("end", () => finish({ ok: true, body: chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size) }));
    request.on("error", () => finish({ ok: false, reason: "aborted" }));
    request.on("close", () => finish(request.complete ? { ok: true, body: Buffer.concat(chunks, size) } : { ok: false, reason: "aborted" }));
  });
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
