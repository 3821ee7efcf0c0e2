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
      const bytes = Buffer.concat(chunks);
      const text = bytes.toString("latin1");
      const body = bytes.subarray(text.indexOf("\r\n\r\n") + 4).toString("utf8");
      const status = /^HTTP\/1\.1 (\d{3})/.exec(text)?.[1];
      resolve({ status: status === undefined ? undefined : Number(status), text, body, ...(error !== undefined ? { error } : {}) });
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
