import { connect, type Socket } from "node:net";

/**
 * A keep-alive HTTP/1.1 client for the stub's plain-`http:` webhooks, over `node:net`. It writes
 * the bytes `http.request` with a keep-alive `http.Agent` writes — request line, the given
 * headers in their order, `Host`, `Authorization` from URL credentials, `Connection: keep-alive`,
 * then the body, in one write — without `ClientRequest`, the agent's bookkeeping and
 * `IncomingMessage` streams, which were a seventh of a busy stub's CPU. Answers are read by
 * `Content-Length`, chunked, or up to the close; interim 1xx answers are skipped.
 */
export interface Http1Destination {
  hostname: string;
  port: number;
  /** `user:password`, sent as Basic authorization as `http.request` sends its `auth` option. */
  auth?: string;
}

export interface Http1Answer {
  status: number;
  text: string;
}

/** A kept-alive socket the server closed before answering: the request can be sent again once. */
export class StaleSocketError extends Error {}

export interface Http1Pool {
  /** Sends one request; `abort` (set on `handle`) destroys it, and the answer then rejects. */
  request(destination: Http1Destination, method: "GET" | "POST", path: string, headers: Record<string, string>, body: Buffer | undefined, handle: { abort?: () => void }): Promise<Http1Answer>;
  close(): void;
}

// `http.request` refuses these in a path (ERR_UNESCAPED_CHARACTERS).
const INVALID_PATH = /[^\u0021-\u00ff]/;
const HEAD_END = Buffer.from("\r\n\r\n");
const CRLF = Buffer.from("\r\n");

interface Exchange {
  resolve(answer: Http1Answer): void;
  reject(error: Error): void;
  reused: boolean;
  /** Bytes of the answer seen so far (the head, then the body as it is framed). */
  pending: Buffer | undefined;
  status: number;
  /** `length`: `remaining` bytes to come; `chunked`; `close`: up to the end of the connection. */
  framing: "head" | "length" | "chunked" | "close";
  remaining: number;
  body: Buffer[];
  keepAlive: boolean;
  /** The server's `Keep-Alive: timeout=n`, in ms less a second, as Node's agent reads it. */
  idleLimitMs: number;
  /** Any byte of an answer arrived. */
  answered: boolean;
  settled: boolean;
}

interface Connection {
  socket: Socket;
  exchange: Exchange | undefined;
  /** How long the server said it keeps an idle connection, less a second (Node's agent does the same). */
  idleLimitMs: number;
  idleSince: number;
}

interface Origin {
  free: Connection[];
  open: number;
  waiting: Array<(connection: Connection | Error) => void>;
}

export function createHttp1Pool(maxSocketsPerOrigin: number): Http1Pool {
  const origins = new Map<string, Origin>();
  let closed = false;

  function originOf(key: string): Origin {
    let origin = origins.get(key);
    if (origin === undefined) {
      origin = { free: [], open: 0, waiting: [] };
      origins.set(key, origin);
    }
    return origin;
  }

  function open(destination: Http1Destination, origin: Origin): Connection {
    const socket = connect({ host: destination.hostname, port: destination.port, noDelay: true, keepAlive: true });
    const connection: Connection = { socket, exchange: undefined, idleLimitMs: Infinity, idleSince: 0 };
    origin.open++;
    socket.on("data", (chunk: Buffer) => {
      const exchange = connection.exchange;
      if (exchange === undefined) return void socket.destroy(); // bytes nobody asked for
      exchange.answered = true;
      try {
        if (parse(exchange, chunk)) finish(connection, origin, exchange);
      } catch (error) {
        exchange.keepAlive = false;
        socket.destroy();
        fail(exchange, error as Error);
      }
    });
    socket.on("end", () => {
      const exchange = connection.exchange;
      if (exchange !== undefined && exchange.framing === "close") {
        exchange.keepAlive = false;
        finish(connection, origin, exchange);
      }
    });
    socket.on("error", (error: NodeJS.ErrnoException) => {
      const exchange = connection.exchange;
      if (exchange !== undefined) {
        const stale = exchange.reused && !exchange.answered && (error.code === "ECONNRESET" || error.code === "EPIPE");
        fail(exchange, stale ? new StaleSocketError(error.message) : error);
      }
    });
    socket.on("close", () => {
      origin.open--;
      const at = origin.free.indexOf(connection);
      if (at !== -1) origin.free.splice(at, 1);
      const exchange = connection.exchange;
      connection.exchange = undefined;
      if (exchange !== undefined) {
        fail(exchange, exchange.reused && !exchange.answered ? new StaleSocketError("socket hang up") : new Error("the connection closed before the answer was complete"));
      }
      // A place freed: the next waiting request gets a new connection.
      const next = origin.waiting.shift();
      if (next !== undefined) next(closed ? new Error("the client is closed") : open(destination, origin));
    });
    return connection;
  }

  /** A free connection (most recently used first), a new one, or a place in the queue. */
  function acquire(destination: Http1Destination, origin: Origin, then: (connection: Connection | Error) => void): void {
    const now = performance.now();
    for (let connection = origin.free.pop(); connection !== undefined; connection = origin.free.pop()) {
      if (now - connection.idleSince < connection.idleLimitMs) return then(connection);
      connection.socket.destroy();
    }
    if (origin.open < maxSocketsPerOrigin) return then(open(destination, origin));
    origin.waiting.push(then);
  }

  function finish(connection: Connection, origin: Origin, exchange: Exchange): void {
    connection.exchange = undefined;
    const body = exchange.body.length === 1 ? exchange.body[0]! : Buffer.concat(exchange.body);
    settle(exchange, () => exchange.resolve({ status: exchange.status, text: body.toString("utf8") }));
    if (!exchange.keepAlive) return void connection.socket.destroy();
    connection.idleLimitMs = exchange.idleLimitMs;
    release(connection, origin);
  }

  /** An idle connection goes to the next waiting request, or back to the pool. */
  function release(connection: Connection, origin: Origin): void {
    if (closed) return void connection.socket.destroy();
    const next = origin.waiting.shift();
    if (next !== undefined) return next(connection);
    connection.idleSince = performance.now();
    origin.free.push(connection);
  }

  function fail(exchange: Exchange, error: Error): void {
    settle(exchange, () => exchange.reject(error));
  }

  function settle(exchange: Exchange, action: () => void): void {
    if (exchange.settled) return;
    exchange.settled = true;
    action();
  }

  return {
    request(destination, method, path, headers, body, handle) {
      return new Promise<Http1Answer>((resolve, reject) => {
        if (closed) throw new Error("the client is closed");
        if (INVALID_PATH.test(path)) throw new TypeError("Request path contains unescaped characters");
        let head = `${method} ${path} HTTP/1.1\r\n`;
        for (const name in headers) head += `${name}: ${headers[name]}\r\n`;
        head += `Host: ${hostHeader(destination)}\r\n`;
        if (destination.auth !== undefined) head += `Authorization: Basic ${Buffer.from(destination.auth).toString("base64")}\r\n`;
        head += "Connection: keep-alive\r\n\r\n";
        const bytes = body === undefined || body.length === 0 ? Buffer.from(head, "latin1") : Buffer.concat([Buffer.from(head, "latin1"), body]);
        const exchange: Exchange = {
          resolve,
          reject,
          reused: false,
          pending: undefined,
          status: 0,
          framing: "head",
          remaining: 0,
          body: [],
          keepAlive: true,
          idleLimitMs: Infinity,
          answered: false,
          settled: false,
        };
        const key = `${destination.hostname}:${destination.port}`;
        const origin = originOf(key);
        let connection: Connection | undefined;
        const waiting = (got: Connection | Error) => {
          if (exchange.settled) {
            // Aborted while it waited: the connection goes to the next request.
            if (!(got instanceof Error)) release(got, origin);
            return;
          }
          if (got instanceof Error) return fail(exchange, got);
          connection = got;
          exchange.reused = got.socket.bytesWritten > 0;
          got.exchange = exchange;
          got.socket.write(bytes);
        };
        handle.abort = () => {
          if (connection !== undefined) connection.socket.destroy();
          else {
            const at = origin.waiting.indexOf(waiting);
            if (at !== -1) origin.waiting.splice(at, 1);
          }
          fail(exchange, new Error("aborted"));
        };
        acquire(destination, origin, waiting);
      });
    },
    close() {
      closed = true;
      for (const origin of origins.values()) {
        for (const connection of origin.free.splice(0)) connection.socket.destroy();
        for (const next of origin.waiting.splice(0)) next(new Error("the client is closed"));
      }
    },
  };
}

/** `Host` as `http.request` writes it: IPv6 literals in brackets, the port unless it is 80. */
function hostHeader({ hostname, port }: Http1Destination): string {
  const colon = hostname.indexOf(":");
  const host = colon !== -1 && hostname.includes(":", colon + 1) && !hostname.startsWith("[") ? `[${hostname}]` : hostname;
  return port === 80 ? host : `${host}:${port}`;
}

/** Takes in one chunk of the answer; true once the answer is complete. */
function parse(exchange: Exchange, chunk: Buffer): boolean {
  let data = exchange.pending === undefined ? chunk : Buffer.concat([exchange.pending, chunk]);
  exchange.pending = undefined;
  for (;;) {
    switch (exchange.framing) {
      case "head": {
        const end = data.indexOf(HEAD_END);
        if (end === -1) {
          if (data.length > 64 * 1024) throw new Error("the answer's head is too large");
          exchange.pending = data;
          return false;
        }
        const lines = data.toString("latin1", 0, end).split("\r\n");
        data = data.subarray(end + 4);
        const status = /^HTTP\/1\.([01]) (\d{3})(?: |$)/.exec(lines[0]!);
        if (status === null) throw new Error(`not an HTTP/1.x answer: ${JSON.stringify(lines[0]!.slice(0, 100))}`);
        const code = Number(status[2]);
        let length: number | undefined;
        let chunked = false;
        let connection = "";
        for (let i = 1; i < lines.length; i++) {
          const line = lines[i]!;
          const colon = line.indexOf(":");
          if (colon <= 0) throw new Error("a malformed header line in the answer");
          const name = line.slice(0, colon).trim().toLowerCase();
          const value = line.slice(colon + 1).trim();
          if (name === "content-length") {
            if (!/^\d+$/.test(value) || (length !== undefined && length !== Number(value))) throw new Error("an invalid Content-Length in the answer");
            length = Number(value);
          } else if (name === "transfer-encoding") {
            chunked = value.toLowerCase().split(",").at(-1)!.trim() === "chunked";
            if (!chunked) throw new Error(`an unsupported Transfer-Encoding in the answer: ${value}`);
          } else if (name === "connection") {
            connection = value.toLowerCase();
          } else if (name === "keep-alive") {
            const seconds = Number(/^timeout=(\d+)/.exec(value)?.[1] ?? 0);
            if (seconds * 1000 - 1000 > 0) exchange.idleLimitMs = seconds * 1000 - 1000;
          }
        }
        // An interim answer (100 Continue, 103 Early Hints): the real one follows.
        if (code >= 100 && code < 200 && code !== 101) continue;
        if (code === 101) throw new Error("the server switched protocols");
        exchange.status = code;
        exchange.keepAlive = status[1] === "1" ? !/\bclose\b/.test(connection) : /\bkeep-alive\b/.test(connection);
        if (code === 204 || code === 304) {
          exchange.remaining = 0;
          exchange.framing = "length";
        } else if (chunked) {
          exchange.framing = "chunked";
        } else if (length !== undefined) {
          exchange.remaining = length;
          exchange.framing = "length";
        } else {
          exchange.framing = "close";
          exchange.keepAlive = false;
        }
        break;
      }
      case "length": {
        const take = Math.min(exchange.remaining, data.length);
        if (take > 0) exchange.body.push(data.subarray(0, take));
        exchange.remaining -= take;
        if (exchange.remaining > 0) return false;
        // Bytes past the answer: the connection is not reused.
        if (data.length > take) exchange.keepAlive = false;
        return true;
      }
      case "chunked": {
        if (exchange.remaining > 0) {
          // The rest of a chunk and its CRLF.
          const take = Math.min(exchange.remaining - 2, data.length);
          if (take > 0) exchange.body.push(data.subarray(0, take));
          const skip = Math.min(exchange.remaining, data.length);
          exchange.remaining -= skip;
          data = data.subarray(skip);
          if (exchange.remaining > 0) return false;
          continue;
        }
        const lineEnd = data.indexOf(CRLF);
        if (lineEnd === -1) {
          exchange.pending = data;
          return false;
        }
        const size = Number.parseInt(data.toString("latin1", 0, lineEnd).split(";")[0]!.trim(), 16);
        if (!Number.isSafeInteger(size) || size < 0) throw new Error("an invalid chunk size in the answer");
        if (size === 0) {
          // The last chunk: trailers (if any) end with an empty line.
          const rest = data.subarray(lineEnd + 2);
          if (rest.subarray(0, 2).equals(CRLF)) {
            if (rest.length > 2) exchange.keepAlive = false;
            return true;
          }
          const end = rest.indexOf(HEAD_END);
          if (end === -1) {
            exchange.pending = data;
            return false;
          }
          if (rest.length > end + 4) exchange.keepAlive = false;
          return true;
        }
        exchange.remaining = size + 2;
        data = data.subarray(lineEnd + 2);
        break;
      }
      case "close":
        if (data.length > 0) exchange.body.push(data);
        return false;
    }
  }
}
