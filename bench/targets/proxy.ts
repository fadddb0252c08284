/**
 * The floor of one extra hop: a byte-forwarding reverse proxy in Node (keep-alive agent, bodies
 * piped both ways, nothing parsed).
 */
import http from 'node:http';
import { announce, env } from './common';

const backend = new URL(env('BACKEND_URL'));
const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });

const server = http.createServer((req, res) => {
  const upstream = http.request(
    { host: backend.hostname, port: backend.port, path: backend.pathname, method: req.method, headers: { ...req.headers, host: backend.host }, agent },
    (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
    },
  );
  upstream.on('error', () => {
    if (!res.headersSent) res.writeHead(502);
    res.end();
  });
  req.pipe(upstream);
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => announce(server));
