// The replay stage when the guard or the handler fails: what the request gets, what the log says,
// and whether the next copy runs.
import { describe, expect, it } from "vitest";
import { createMemoryReplayGuard, type ReplayGuard } from "vizochok-merchant-kit";
import { createReplayStage } from "../../src/core/replay.js";
import { errorResponse, jsonResponse } from "../../src/core/responses.js";
import { NOW, createCapturingLogger, replayDelivery as delivery } from "./merchant.js";

function setup(makeGuard: (now: () => number) => ReplayGuard = (now) => createMemoryReplayGuard({ now })) {
  let t = NOW;
  const now = () => t;
  const logger = createCapturingLogger();
  const replay = createReplayStage({ guard: makeGuard(now), toleranceSeconds: 300, identical: "apply", now, logger });
  let runs = 0;
  return { replay, logger, runs: () => runs, counted: <T>(value: T) => () => (runs++, value), advance: (ms: number) => void (t += ms) };
}

describe("createReplayStage() when something fails", () => {
  it("forgets a delivery answered 500 (the handler threw), so VIZOCHOK's retry 1 s later runs", async () => {
    const { replay, runs, counted, advance } = setup();
    const failed = await replay(delivery(), counted(errorResponse("handler_failed", "the handler failed")));
    advance(1_000);
    const retry = await replay(delivery({ requestId: "r-2", receivedAt: NOW + 1_000 }), counted(jsonResponse('{"ok":true}')));
    expect([failed.status, retry.status, retry.body, runs()]).toEqual([500, 200, '{"ok":true}', 2]);
  });

  it("forgets a delivery whose run threw, so its retry 1 s later runs instead of waiting", async () => {
    const { replay, runs, advance } = setup();
    let calls = 0;
    await expect(
      replay(delivery(), () => {
        calls++;
        throw new Error("database gone");
      }),
    ).rejects.toThrow("database gone");
    advance(1_000);
    const retry = await replay(delivery({ requestId: "r-2", receivedAt: NOW + 1_000 }), () => (calls++, jsonResponse('{"ok":true}')));
    expect([retry.status, retry.body, calls, runs()]).toEqual([200, '{"ok":true}', 2, 0]);
  });

  it("still sends the handler's answer when the guard cannot record it, and logs why", async () => {
    const { replay, logger } = setup((now) => {
      const inner = createMemoryReplayGuard({ now });
      return {
        begin: (d) => inner.begin(d),
        complete: () => {
          throw new Error("guard store unreachable");
        },
        release: (claim) => inner.release(claim),
      };
    });
    const answer = await replay(delivery({ requestId: "r-9" }), () => jsonResponse('{"ok":true}'));
    expect([answer.status, answer.body]).toEqual([200, '{"ok":true}']);
    expect(logger.lines).toEqual([
      {
        level: "error",
        message: "replay guard could not record the answer",
        fields: { requestId: "r-9", err: expect.objectContaining({ message: "guard store unreachable" }) },
      },
    ]);
  });

  it("warns of a signature replayed on another path, naming the request and only the signature's start", async () => {
    const { replay, logger, runs, counted } = setup();
    await replay(delivery(), counted(jsonResponse('{"ok":true}')));
    const other = await replay(delivery({ path: "/basket", requestId: "r-2" }), counted(jsonResponse('{"ok":true}')));
    expect([other.status, other.error, runs()]).toEqual([401, "replayed", 1]);
    expect(JSON.parse(other.body)).toEqual({ error: "replayed", message: "this signature was already used for another endpoint" });
    expect(logger.lines).toEqual([{ level: "warn", message: "signature replayed on another path", fields: { requestId: "r-2", signature: "abababab…" } }]);
  });

  it("409 duplicate_delivery with a message telling the shopper's side to send it again, under identical: refuse", async () => {
    const logger = createCapturingLogger();
    const replay = createReplayStage({ guard: createMemoryReplayGuard({ now: () => NOW }), toleranceSeconds: 300, identical: "refuse", now: () => NOW, logger });
    await replay(delivery(), () => jsonResponse('{"ok":true}'));
    const refused = await replay(delivery({ requestId: "r-2" }), () => jsonResponse('{"ok":true}'));
    expect([refused.status, JSON.parse(refused.body)]).toEqual([
      409,
      { error: "duplicate_delivery", message: "an identical request was answered less than 1 s ago; send it again to apply it" },
    ]);
  });
});
