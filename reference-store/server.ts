import { createServer, type Server, type ServerOptions } from "node:http";
import type { AddressInfo } from "node:net";
import type { Express } from "express";
import type { WebhookLogger } from "vizochok-merchant-kit";
import { createStoreApp, type StoreApp, type StoreAppOptions } from "./app.js";
import { createJsonLogger } from "./json-logger.js";
import type { PostgresStoreApp, PostgresStoreAppOptions } from "./postgres/app.js";
import { resolveWebhookSecret } from "./webhook-secret.js";

/** How the HTTP server runs, whichever database is behind it. */
export interface ServeOptions<A> {
  /** Default 3000; 0 picks a free port (printed in the "listening" log line). */
  port?: number;
  /** Default: every interface. */
  host?: string;
  logger?: WebhookLogger;
  /** Called before listening, to add routes (a demo page, static files) to the same app. */
  setup?: (storeApp: A) => void | Promise<void>;
  /** Shut down gracefully on SIGTERM and SIGINT. Default false. */
  handleSignals?: boolean;
  /** How long shutdown waits for in-flight requests before dropping connections. Default 10 s. */
  shutdownTimeoutMs?: number;
  /** Print the "listening" line. Default true (an instance under node:cluster leaves it to the primary). */
  announce?: boolean;
  /** Limits for slow or idle clients; see `STORE_SERVER_TIMEOUTS` for the defaults. */
  timeouts?: Partial<ServerTimeouts>;
}

/** How long a client may take, so a slow one (slowloris) cannot hold a connection for minutes. */
export interface ServerTimeouts {
  /** To send the whole request head (request line and headers). */
  headersMs: number;
  /** To send the whole request, head and body. The time to answer is not counted. */
  requestMs: number;
  /** An idle keep-alive connection is closed after this long. */
  keepAliveMs: number;
}

/**
 * VIZOCHOK gives a webhook 5 s in all and sends a few KB at once: 10 s for the head and 15 s for
 * the whole request are generous for it and for a browser on a slow link. Node's own defaults are
 * 60 s and 300 s.
 */
export const STORE_SERVER_TIMEOUTS: ServerTimeouts = { headersMs: 10_000, requestMs: 15_000, keepAliveMs: 5_000 };

/** The `node:http` server options that enforce `timeouts`. */
export function serverTimeoutOptions(timeouts: ServerTimeouts): ServerOptions {
  return {
    headersTimeout: timeouts.headersMs,
    requestTimeout: timeouts.requestMs,
    keepAliveTimeout: timeouts.keepAliveMs,
    // Node checks the head and request timeouts on this interval (default 30 s): often enough that
    // a limit is enforced within a quarter of itself, never more than once a second.
    connectionsCheckingInterval: Math.max(10, Math.min(1_000, Math.floor(Math.min(timeouts.headersMs, timeouts.requestMs) / 4))),
  };
}

export interface StartStoreServerOptions extends StoreAppOptions, ServeOptions<StoreApp> {}

export interface StartPostgresStoreServerOptions extends PostgresStoreAppOptions, ServeOptions<PostgresStoreApp> {}

export interface StoreServer<A extends ServedApp = StoreApp> {
  storeApp: A;
  server: Server;
  port: number;
  url: string;
  /** Stops accepting connections, lets in-flight requests finish, then closes the database. */
  close(): Promise<void>;
}

interface ServedApp {
  app: Express;
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
  const database = options.db === undefined ? (options.databasePath ?? ":memory:") : "(provided)";
  return serve(createStoreApp({ ...options, logger }), options, logger, { database });
}

/**
 * Starts the reference store over PostgreSQL on HTTP; several can run on one database.
 *
 * @example
 * const { url, close } = await startPostgresStoreServer({ port: 0, databaseUrl: process.env.DATABASE_URL!, secret });
 */
export async function startPostgresStoreServer(options: StartPostgresStoreServerOptions): Promise<StoreServer<PostgresStoreApp>> {
  const logger = options.logger ?? createJsonLogger();
  const database = options.pool === undefined ? redactDatabaseUrl(options.databaseUrl ?? "") : "(provided)";
  // Loaded only here, so a store on SQLite never loads `pg`.
  const { createPostgresStoreApp } = await import("./postgres/app.js");
  return serve(await createPostgresStoreApp({ ...options, logger }), options, logger, { database });
}

async function serve<A extends ServedApp>(
  storeApp: A,
  options: ServeOptions<A>,
  logger: WebhookLogger,
  described: Record<string, unknown>,
): Promise<StoreServer<A>> {
  try {
    await options.setup?.(storeApp);
  } catch (error) {
    await storeApp.close();
    throw error;
  }
  const timeouts = { ...STORE_SERVER_TIMEOUTS, ...options.timeouts };
  const server = await new Promise<Server>((resolve, reject) => {
    const listening = createServer(serverTimeoutOptions(timeouts), storeApp.app);
    listening.once("error", reject);
    const done = () => {
      listening.off("error", reject);
      resolve(listening);
    };
    const port = options.port ?? 3000;
    if (options.host === undefined) listening.listen(port, done);
    else listening.listen(port, options.host, done);
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
  if (options.announce !== false) logger.info({ port, url, ...described }, "listening");
  return { storeApp, server, port, url, close };
}

/** The URL without its password, fit for a log line. */
export function redactDatabaseUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== "") parsed.password = "***";
    return parsed.toString();
  } catch {
    return "(unparsable DATABASE_URL)";
  }
}

/** Whether `DATABASE_URL` names a PostgreSQL database (`postgres://…` or `postgresql://…`). */
export function isPostgresUrl(url: string | undefined): url is string {
  return url !== undefined && /^postgres(ql)?:\/\//i.test(url);
}

/**
 * Settings for `npm run store` from `PORT`, `DATABASE_URL` (PostgreSQL), `DATABASE_PATH`
 * (SQLite, and where a generated secret is kept) and `VIZOCHOK_WEBHOOK_SECRET`.
 */
export function storeServerOptionsFromEnv(env: NodeJS.ProcessEnv, logger: WebhookLogger): StartStoreServerOptions {
  const port = Number(env["PORT"] ?? 3000);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) throw new Error(`PORT must be a port number, got "${env["PORT"]}"`);
  const databasePath = env["DATABASE_PATH"] || "./data/store.db";
  return { port, databasePath, secret: resolveWebhookSecret({ env, databasePath, logger }), logger };
}

/** The same for PostgreSQL: `DATABASE_URL` must be set; `DATABASE_POOL_SIZE` caps this instance's connections. */
export function postgresStoreServerOptionsFromEnv(env: NodeJS.ProcessEnv, logger: WebhookLogger): StartPostgresStoreServerOptions {
  const databaseUrl = env["DATABASE_URL"];
  if (!isPostgresUrl(databaseUrl)) throw new Error("DATABASE_URL must be a postgres:// URL");
  // DATABASE_PATH only says where a generated secret is kept.
  const { port = 3000, secret } = storeServerOptionsFromEnv(env, logger);
  const poolSize = env["DATABASE_POOL_SIZE"] === undefined ? undefined : Number(env["DATABASE_POOL_SIZE"]);
  if (poolSize !== undefined && !(Number.isInteger(poolSize) && poolSize > 0)) {
    throw new Error(`DATABASE_POOL_SIZE must be a positive integer, got "${env["DATABASE_POOL_SIZE"]}"`);
  }
  return { port, secret, logger, databaseUrl, ...(poolSize !== undefined && { poolSize }) };
}
