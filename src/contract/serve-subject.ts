import { once } from "node:events";
import { createServer, type RequestListener, type Server } from "node:http";
import type { AddressInfo } from "node:net";

/** What the suite can check: a running backend's URL, or an app it starts itself. */
export type ContractApp = Server | RequestListener;

export interface ServedSubject {
  /** The origin plus the base path, e.g. `http://127.0.0.1:39211/api/vizochok`. */
  baseUrl: string;
  close(): Promise<void>;
}

/**
 * Starts an `http.Server`, a request listener or an Express app on 127.0.0.1:0. A server that
 * is already listening is used where it is and left running.
 *
 * @example
 * const served = await serveSubject(app, "/api/vizochok");
 * const report = await runContract({ baseUrl: served.baseUrl, secret, config });
 * await served.close();
 */
export async function serveSubject(app: ContractApp, basePath = ""): Promise<ServedSubject> {
  const server = typeof app === "function" ? createServer(app) : app;
  const started = !server.listening;
  if (started) {
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
  }
  const address = server.address() as AddressInfo;
  const host = address.family === "IPv6" ? `[${address.address === "::" ? "::1" : address.address}]` : address.address === "0.0.0.0" ? "127.0.0.1" : address.address;
  return {
    baseUrl: `http://${host}:${address.port}${basePath.replace(/\/+$/, "")}`,
    close: () =>
      started
        ? new Promise<void>((resolve, reject) => {
            server.close((error) => (error ? reject(error) : resolve()));
            server.closeAllConnections();
          })
        : Promise.resolve(),
  };
}
