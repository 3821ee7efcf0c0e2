// Sends bytes no HTTP client would (any request target, half a body, one byte at a time) and
// reads what comes back.
import { connect, type Socket } from "node:net";

export interface RawAnswer {
  /** The status code of the first response line, or undefined when the connection closed without one. */
  status: number | undefined;
  text: string;
  /** What followed the response head, as UTF-8. */
  body: string;
  /** Set when the connection failed (ECONNRESET, EPIPE) instead of closing cleanly. */
  error?: string;
}

/** Writes `request` on a fresh connection and collects everything until the server closes it. */
export function sendRaw(url: string, request: string | Buffer, options: { timeoutMs?: number } = {}): Promise<RawAnswer> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket: Socket = connect(Number(port), hostname);
    const chunks: Buffer[] = [];
    let error: string | undefined;
    const timer = setTimeout(() => socket.destroy(), options.timeoutMs ?? 5_000);
    socket.on("data", (chunk: Buffer) => {
      chunks.push(chunk);
      // A WebSocket that opened stays open: its handshake answer is all there is to read.
      if (Buffer.concat(chunks).toString("latin1").startsWith("HTTP/1.1 101 ")) socket.destroy();
    });
    socket.on("error", (e: NodeJS.ErrnoException) => (error = e.code ?? e.message));
    socket.on("close", () => {
      clearTimeout(timer);
      resolve(parseAnswer(Buffer.concat(chunks), error));
    });
    socket.write(request);
  });
}

/** A request with `target` taken verbatim; `upgrade` asks for a WebSocket. */
export function rawRequest(method: string, target: string, options: { upgrade?: boolean; body?: string; headers?: Record<string, string> } = {}): string {
  const lines = [`${method} ${target} HTTP/1.1`, "host: 127.0.0.1", "connection: close"];
  if (options.upgrade === true) {
    lines[2] = "connection: Upgrade, close";
    lines.push("upgrade: websocket", "sec-websocket-version: 13", "sec-websocket-key: dGhlIHNhbXBsZSBub25jZQ==");
  }
  for (const [name, value] of Object.entries(options.headers ?? {})) lines.push(`${name}: ${value}`);
  if (options.body !== undefined) lines.push("content-type: application/json", `content-length: ${Buffer.byteLength(options.body)}`);
  return `${lines.join("\r\n")}\r\n\r\n${options.body ?? ""}`;
}

/**
 * Like a simple client that writes the whole request before it reads anything: the socket is
 * paused (the answer stays in the kernel's buffer) until the last piece of the body is written,
 * `gapMs` apart. A server that resets the connection meanwhile destroys that buffered answer.
 */
export function sendThenRead(url: string, head: string, body: string, options: { pieceBytes: number; gapMs: number }): Promise<RawAnswer> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket: Socket = connect(Number(port), hostname);
    socket.pause();
    const chunks: Buffer[] = [];
    let error: string | undefined;
    const finish = () => {
      resolve(parseAnswer(Buffer.concat(chunks), error));
    };
    socket.on("error", (e: NodeJS.ErrnoException) => (error ??= e.code ?? e.message));
    socket.on("close", finish);
    socket.write(head);
    let at = 0;
    const writeNext = () => {
      if (socket.destroyed) return;
      if (at >= body.length) {
        socket.on("data", (chunk: Buffer) => chunks.push(chunk));
        socket.resume();
        return;
      }
      socket.write(body.slice(at, (at += options.pieceBytes)));
      setTimeout(writeNext, options.gapMs);
    };
    writeNext();
  });
}

function parseAnswer(bytes: Buffer, error: string | undefined): RawAnswer {
  const text = bytes.toString("latin1");
  const headEnd = text.indexOf("\r\n\r\n");
  const status = /^HTTP\/1\.1 (\d{3})/.exec(text)?.[1];
  let body = headEnd === -1 ? Buffer.alloc(0) : bytes.subarray(headEnd + 4);
  if (/^transfer-encoding: chunked$/im.test(text.slice(0, headEnd))) {
    const parts: Buffer[] = [];
    for (let at = 0; at < body.length; ) {
      const lineEnd = body.indexOf("\r\n", at);
      const size = parseInt(body.subarray(at, lineEnd).toString("latin1"), 16);
      if (!(size > 0)) break;
      parts.push(body.subarray(lineEnd + 2, lineEnd + 2 + size));
      at = lineEnd + 2 + size + 2;
    }
    body = Buffer.concat(parts);
  }
  return { status: status === undefined ? undefined : Number(status), text, body: body.toString("utf8"), ...(error !== undefined ? { error } : {}) };
}
