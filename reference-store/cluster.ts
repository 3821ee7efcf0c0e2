import cluster, { type Worker } from "node:cluster";
import type { WebhookLogger } from "vizochok-merchant-kit";

export interface InstancesOptions {
  count: number;
  logger: WebhookLogger;
  /** Added to each instance's environment. */
  env?: Record<string, string>;
  /** How long shutdown waits for instances to finish in-flight requests. Default 15 s. */
  shutdownTimeoutMs?: number;
}

/** What an instance tells the primary once it listens. */
interface ListeningMessage {
  type: "store-listening";
  port: number;
  url: string;
}

/**
 * The primary of `STORE_INSTANCES=N npm run store`: forks N instances of the store that share one
 * port (node:cluster hands out connections round-robin), prints one "listening" line when all of
 * them listen, restarts an instance that dies, and on SIGTERM/SIGINT stops them all gracefully.
 * Every instance is a whole store; they share only the database (and its replay guard), so this
 * is only safe over PostgreSQL.
 *
 * @example
 * if (cluster.isPrimary) await runInstances({ count: 4, logger });
 */
export async function runInstances(options: InstancesOptions): Promise<void> {
  const { count, logger } = options;
  let stopping = false;
  const listening = new Map<number, ListeningMessage>();
  const workers = new Set<Worker>();

  const fork = (): Worker => {
    const worker = cluster.fork(options.env);
    workers.add(worker);
    worker.on("message", (message: ListeningMessage) => {
      if (message?.type !== "store-listening") return;
      listening.set(worker.id, message);
      if (listening.size === count && !announced) {
        announced = true;
        logger.info({ port: message.port, url: message.url, instances: count, pids: [...workers].map((w) => w.process.pid) }, "listening");
      }
    });
    worker.on("exit", (code, signal) => {
      workers.delete(worker);
      listening.delete(worker.id);
      if (stopping) {
        if (workers.size === 0) void done();
        return;
      }
      logger.error({ pid: worker.process.pid, code, signal }, "store instance died; starting another");
      fork();
    });
    return worker;
  };
  let announced = false;
  let resolveStopped: () => void;
  const stopped = new Promise<void>((resolve) => (resolveStopped = resolve));
  const done = async () => {
    logger.info({}, "stopped");
    resolveStopped();
  };

  const stop = () => {
    if (stopping) return;
    stopping = true;
    logger.info({ instances: workers.size }, "shutting down");
    if (workers.size === 0) void done();
    for (const worker of workers) worker.process.kill("SIGTERM");
    setTimeout(() => {
      for (const worker of workers) worker.process.kill("SIGKILL");
    }, options.shutdownTimeoutMs ?? 15_000).unref();
  };
  process.once("SIGTERM", stop);
  process.once("SIGINT", stop);

  for (let i = 0; i < count; i++) fork();
  await stopped;
}

/** In an instance: tells the primary this one is listening. */
export function reportListening(port: number, url: string): void {
  process.send?.({ type: "store-listening", port, url } satisfies ListeningMessage);
}
