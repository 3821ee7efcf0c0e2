import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { WebhookLogger } from "vizochok-merchant-kit";
import { createStoreApp, type StoreApp, type StoreAppOptions } from "./app.js";
import { createJsonLogger } from "./json-logger.js";
import { resolveWebhookSecret } from "./webhook-secret.js";

export interface StartStoreServerOptions extends StoreAppOptions {
  /** Default 3000; 0 picks a free port (printed in the "listening" log line). */
  port?: number;
  /** Default: every interface. */
  host?: string;
  logger?: WebhookLogger;
  /** Called before listening, to add routes (a demo page, static files) to the same app. */
  setup?: (storeApp: StoreApp) => void | Promise<void>;
  /** Shut down gracefully on SIGTERM and SIGINT. Default false. */
  handleSignals?: boolean;
  /** How long shutdown waits for in-flight requests before dropping connections. Default 10 s. */
  shutdownTimeoutMs?: number;
}

export interface StoreServer {
  storeApp: StoreApp;
  server: Server;
  port: number;
  url: string;
  /** Stops accepting connections, lets in-flight requests finish, then closes the database. */
  close(): Promise<void>;
}

/**
 * Starts the reference store on HTTP. `npm run store` calls it with settings from the environment.
 *
 * @example
 * const { url, close } = await startStoreServer({ port: 0, databasePath: ":memory:", secret });
 */
export async function startStoreServer(options: StartStoreServerOptions): Promise<StoreServer> {
  const logger = options.logger ?? createJsonLogger();
  const storeApp = createStoreApp({ ...options, logger });
  await options.setup?.(storeApp);
  const server = await new Promise<Server>((resolve, reject) => {
    const done = (error?: Error) => (error ? reject(error) : resolve(listening));
    const port = options.port ?? 3000;
    const listening = options.host === undefined ? storeApp.app.listen(port, done) : storeApp.app.listen(port, options.host, done);
  }).catch(async (error: unknown) => {
    // Nothing listens (the port is taken, say): close the database before reporting it.
    await storeApp.close();
    throw error;
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://${options.host === undefined || options.host === "::" || options.host === "0.0.0.0" ? "127.0.0.1" : options.host}:${port}`;

  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= new Promise<void>((resolve) => {
      logger.info({}, "shutting down");
      const force = setTimeout(() => server.closeAllConnections(), options.shutdownTimeoutMs ?? 10_000);
      server.close(() => {
        clearTimeout(force);
        void storeApp.close().then(() => {
          logger.info({}, "stopped");
          resolve();
        });
      });
      server.closeIdleConnections();
    }));

  if (options.handleSignals === true) {
    for (const signal of ["SIGTERM", "SIGINT"] as const) process.once(signal, () => void close());
  }
  // Announced last, so whoever waits for this line can already stop the server with a signal.
  logger.info({ port, url, database: options.db === undefined ? (options.databasePath ?? ":memory:") : "(provided)" }, "listening");
  return { storeApp, server, port, url, close };
}

/** Settings for `npm run store` from `PORT`, `DATABASE_PATH` and `VIZOCHOK_WEBHOOK_SECRET`. */
export function storeServerOptionsFromEnv(env: NodeJS.ProcessEnv, logger: WebhookLogger): StartStoreServerOptions {
  const port = Number(env["PORT"] ?? 3000);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) throw new Error(`PORT must be a port number, got "${env["PORT"]}"`);
  const databasePath = env["DATABASE_PATH"] || "./data/store.db";
  return { port, databasePath, secret: resolveWebhookSecret({ env, databasePath, logger }), logger };
}
