import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';

export interface LocalServer {
  url: string;
  port: number;
  /** Drops open connections and stops listening. */
  close(): Promise<void>;
}

/** Serves a fetch handler (a Hono app's `fetch`) on 127.0.0.1; resolves once it listens. */
export function serveLocal(fetch: (req: Request) => Response | Promise<Response>, port = 0): Promise<LocalServer> {
  return new Promise((resolve) => {
    const server = serve({ fetch, port, hostname: '127.0.0.1' }, (info: AddressInfo) => {
      resolve({
        url: `http://127.0.0.1:${info.port}`,
        port: info.port,
        close: () =>
          new Promise<void>((res) => {
            const s = server as Server;
            s.closeAllConnections?.();
            s.close(() => res());
          }),
      });
    });
  });
}
