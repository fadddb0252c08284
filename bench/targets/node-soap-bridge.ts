/**
 * The reference point: the REST->SOAP glue integrators write by hand today. Express with a
 * node-soap client per WSDL, created once; each route calls `client.<Op>Async(body)`.
 */
import express from 'express';
import * as soap from 'soap';
import { announce, env } from './common';

async function main(): Promise<void> {
  const backend = env('BACKEND_URL');
  const clients: Record<string, soap.Client> = {
    calculator: await soap.createClientAsync(env('CALCULATOR_WSDL'), { endpoint: backend }),
    orders: await soap.createClientAsync(env('ORDERS_WSDL'), { endpoint: backend }),
  };
  const app = express();
  app.use(express.json({ limit: '10mb' }));
  app.post('/api/:service/:operation', async (req, res) => {
    const client = clients[String(req.params.service)] as unknown as Record<string, (args: unknown) => Promise<[unknown]>>;
    const fn = client?.[`${req.params.operation}Async`];
    if (!fn) {
      res.status(404).json({ error: 'unknown operation' });
      return;
    }
    try {
      const [result] = await fn.call(client, req.body);
      res.json(result);
    } catch (e) {
      res.status(502).json({ error: (e as Error).message });
    }
  });
  const server = app.listen(0, '127.0.0.1', () => announce(server));
  server.keepAliveTimeout = 60_000;
}

void main();
