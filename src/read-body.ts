import type { IncomingMessage } from "node:http";

export type ReadBodyResult =
  | { ok: true; body: Buffer }
  /** `already_parsed`: a body parser consumed the stream and kept no raw bytes (Express only). */
  | { ok: false; reason: "too_large" | "aborted" | "already_parsed" };

/** Reads a Node request stream into one buffer, stopping at `limit` bytes. */
export function readNodeBody(request: IncomingMessage, limit: number): Promise<ReadBodyResult> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const finish = (result: ReadBodyResult) => {
      if (settled) return;
      settled = true;
      request.off("data", onData);
      request.off("end", onEnd);
      request.off("error", onError);
      request.off("close", onClose);
      resolve(result);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        // Stop buffering but keep draining, so the 413 can be written and read by the client.
        request.resume();
        finish({ ok: false, reason: "too_large" });
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => finish({ ok: true, body: chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size) });
    const onError = () => finish({ ok: false, reason: "aborted" });
    const onClose = () => finish(request.complete ? { ok: true, body: Buffer.concat(chunks, size) } : { ok: false, reason: "aborted" });
    request.on("data", onData);
    request.on("end", onEnd);
    request.on("error", onError);
    request.on("close", onClose);
  });
}

/** Reads a Fetch API body into bytes, stopping at `limit` bytes. */
export async function readWebBody(request: Request, limit: number): Promise<ReadBodyResult> {
  if (request.body === null) return { ok: true, body: Buffer.alloc(0) };
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > limit) {
        await reader.cancel();
        return { ok: false, reason: "too_large" };
      }
      chunks.push(value);
    }
  } catch {
    return { ok: false, reason: "aborted" };
  }
  return { ok: true, body: Buffer.concat(chunks, size) };
}
