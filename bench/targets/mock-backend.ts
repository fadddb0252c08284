/**
 * The benchmark's SOAP backend: answers each SOAPAction with precomputed reply bytes, so it is
 * never the bottleneck. Replies come from a JSON file: {"<soapAction>": {"contentType", "body"}}.
 */
import fs from 'node:fs';
import http from 'node:http';
import { announce, env } from './common';

interface Reply {
  contentType: string;
  body: string;
}

const spec = JSON.parse(fs.readFileSync(env('MOCK_REPLIES'), 'utf8')) as Record<string, Reply>;
const replies = new Map<string, { headers: http.OutgoingHttpHeaders; body: Buffer }>();
for (const [action, r] of Object.entries(spec)) {
  const body = Buffer.from(r.body, 'utf8');
  replies.set(action, { headers: { 'content-type': r.contentType, 'content-length': body.length }, body });
}

const server = http.createServer((req, res) => {
  const action = String(req.headers.soapaction ?? '').replace(/^"|"$/g, '') || /action="([^"]*)"/.exec(String(req.headers['content-type']))?.[1] || '';
  const reply = replies.get(action);
  // Drain the request body before answering, as a real server would.
  req.on('data', () => undefined);
  req.on('end', () => {
    if (!reply) {
      res.writeHead(500, { 'content-type': 'text/plain' });
      res.end(`no reply for SOAPAction ${action}`);
      return;
    }
    res.writeHead(200, reply.headers);
    res.end(reply.body);
  });
});
server.keepAliveTimeout = 60_000;
server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => announce(server));
