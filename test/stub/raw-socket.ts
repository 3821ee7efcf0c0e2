// A bare WebSocket for protocol tests: send any frame, await frames and the close code.
import { once } from "node:events";
import { WebSocket } from "ws";

export interface RawSocket {
  ws: WebSocket;
  frames: Array<Record<string, unknown> & { type: string }>;
  send(frame: unknown): void;
  /** Resolves with the first frame (from now on, or already received after `from`) matching. */
  next(type: string, from?: number): Promise<Record<string, unknown>>;
  closed: Promise<number>;
}

export async function openRaw(url: string): Promise<RawSocket> {
  const ws = new WebSocket(url);
  const frames: RawSocket["frames"] = [];
  const waiters: Array<() => void> = [];
  ws.on("message", (data) => {
    frames.push(JSON.parse(String(data)));
    for (const wake of waiters.splice(0)) wake();
  });
  const closed = new Promise<number>((resolve) => ws.on("close", (code) => resolve(code)));
  await once(ws, "open");
  return {
    ws,
    frames,
    closed,
    send: (frame) => ws.send(typeof frame === "string" ? frame : JSON.stringify(frame)),
    async next(type, from = 0) {
      for (;;) {
        const found = frames.slice(from).find((frame) => frame.type === type);
        if (found) return found;
        await new Promise<void>((resolve) => waiters.push(resolve));
      }
    },
  };
}

/** A timer set that fires only when told to, so the 10 s auth deadline needs no waiting. */
export function createManualTimers() {
  const pending = new Map<number, { callback: () => void; ms: number }>();
  let next = 1;
  return {
    setTimeout(callback: () => void, ms: number) {
      pending.set(next, { callback, ms });
      return next++;
    },
    clearTimeout(handle: unknown) {
      pending.delete(handle as number);
    },
    /** Runs every pending timer set for exactly `ms`. */
    fire(ms: number) {
      for (const [id, timer] of [...pending]) {
        if (timer.ms === ms) {
          pending.delete(id);
          timer.callback();
        }
      }
    },
    count: (ms: number) => [...pending.values()].filter((timer) => timer.ms === ms).length,
  };
}
