import { Agent as HttpAgent, request as httpRequest, type ClientRequest, type IncomingMessage } from "node:http";
import { Agent as HttpsAgent, request as httpsRequest } from "node:https";

/** One HTTP exchange as the suite sends it: header values that are arrays go out as repeated lines. */
export interface OutgoingRequest {
  method: "GET" | "POST";
  url: string;
  headers: Record<string, string | string[]>;
  body: string | undefined;
  timeoutMs: number;
}

export interface IncomingAnswer {
  status: number;
  headers: Headers;
  text: string;
  latencyMs: number;
}

/**
 * Why no answer came. `unreachable`: no TCP connection (refused, unknown host, or not connected
 * within the timeout); `timeout`: connected, but no full answer in time; `closed`: the server
 * dropped the connection without answering.
 */
export type NoAnswerKind = "unreachable" | "timeout" | "closed";

export class NoAnswer extends Error {
  constructor(
    readonly kind: NoAnswerKind,
    /** `ECONNREFUSED`, `ENOTFOUND`, `ECONNRESET`… or `timeout`. */
    readonly code: string,
  ) {
    super(`${kind}: ${code}`);
    this.name = "NoAnswer";
  }
}

export interface Transport {
  send(request: OutgoingRequest): Promise<IncomingAnswer>;
  /** Closes the idle keep-alive connections. */
  close(): void;
}

/**
 * Sends requests over `node:http` / `node:https` with keep-alive, unlike `fetch` able to repeat a
 * header line and to tell a refused connection from a slow answer.
 */
export function createTransport(): Transport {
  const agents = { http: new HttpAgent({ keepAlive: true }), https: new HttpsAgent({ keepAlive: true }) };

  function attempt(outgoing: OutgoingRequest, started: number): Promise<{ answer?: IncomingAnswer; retry?: boolean }> {
    return new Promise((resolve, reject) => {
      const url = new URL(outgoing.url);
      const secure = url.protocol === "https:";
      let connected = false;
      let answered = false;
      let settled = false;
      const settle = (outcome: () => void) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        outcome();
      };
      const request: ClientRequest = (secure ? httpsRequest : httpRequest)(url, {
        method: outgoing.method,
        headers: outgoing.headers,
        agent: secure ? agents.https : agents.http,
      });
      const timer = setTimeout(() => {
        settle(() => reject(new NoAnswer(connected ? "timeout" : "unreachable", "timeout")));
        request.destroy();
      }, outgoing.timeoutMs);
      request.on("socket", (socket) => {
        if (!socket.connecting) connected = true;
        else socket.once("connect", () => (connected = true));
      });
      request.on("response", (response: IncomingMessage) => {
        answered = true;
        const chunks: Buffer[] = [];
        response.on("data", (chunk: Buffer) => chunks.push(chunk));
        response.on("error", () => settle(() => reject(new NoAnswer("closed", "ECONNRESET"))));
        response.on("end", () =>
          settle(() =>
            resolve({
              answer: {
                status: response.statusCode ?? 0,
                headers: toHeaders(response.rawHeaders),
                text: Buffer.concat(chunks).toString("utf8"),
                latencyMs: performance.now() - started,
              },
            }),
          ),
        );
      });
      request.on("error", (error: NodeJS.ErrnoException) => {
        const code = error.code ?? error.message;
        // A kept-alive connection the server had just closed: the request never reached it.
        if (request.reusedSocket && !answered && (code === "ECONNRESET" || code === "EPIPE")) return settle(() => resolve({ retry: true }));
        settle(() => reject(new NoAnswer(connected ? "closed" : "unreachable", code)));
      });
      request.end(outgoing.body);
    });
  }

  return {
    async send(outgoing) {
      const started = performance.now();
      const first = await attempt(outgoing, started);
      if (first.answer !== undefined) return first.answer;
      const second = await attempt(outgoing, started);
      if (second.answer !== undefined) return second.answer;
      throw new NoAnswer("closed", "ECONNRESET");
    },
    close() {
      agents.http.destroy();
      agents.https.destroy();
    },
  };
}

function toHeaders(raw: string[]): Headers {
  const headers = new Headers();
  for (let index = 0; index + 1 < raw.length; index += 2) {
    try {
      headers.append(raw[index]!, raw[index + 1]!);
    } catch {
      // A header value fetch's Headers refuses (a control byte) is left out; the status and body still count.
    }
  }
  return headers;
}
