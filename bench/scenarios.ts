/**
 * What the benchmark sends and what the mock answers. Replies are produced once by the
 * node-soap demo backends (so they are what a real SOAP stack writes) and then served as
 * precomputed bytes; SOAP requests for the pass-through proxy are written by the bridge's
 * own encoder.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startCalculatorBackend, startOrdersBackend } from '../fixtures/demo/backends';
import { compileBundleDir } from '../src/compile';
import { requestHeaders } from '../src/soap/envelope';
import { post, ROOT, type HttpCall } from './harness';

export interface Scenario {
  name: string;
  /** SOAP request for the pass-through proxy. */
  soap: HttpCall;
  /** JSON request for the bridges. */
  json: HttpCall;
  /** Checks a bridge's first JSON answer before the run (the run then compares every answer with it). */
  check(json: unknown): string | undefined;
  replyBytes: number;
}

export interface Prepared {
  scenarios: Scenario[];
  repliesFile: string;
  /** SOAPAction -> reply body, for modes that make replies of their own. */
  replies: Record<string, { contentType: string; body: string }>;
}

function soapCall(service: string, operation: string, input: unknown): HttpCall & { action: string } {
  const bundle = compileBundleDir(path.join(ROOT, 'wsdl', service)).bundle!;
  const op = bundle.operations.get(operation)!;
  return { path: '/soap', headers: requestHeaders(op.soapVersion, op.soapAction), body: op.encodeRequest(input), action: op.soapAction };
}

const jsonCall = (service: string, operation: string, input: unknown): HttpCall => ({
  path: `/api/${service}/${operation}`,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(input),
});

export async function prepare(ordersCount = 50): Promise<Prepared> {
  const calc = await startCalculatorBackend(0);
  const orders = await startOrdersBackend(0);
  try {
    const add = soapCall('calculator', 'Add', { intA: 2, intB: 3 });
    const list = soapCall('orders', 'GetOrders', { limit: ordersCount });
    const addReply = await post(calc.port, { ...add, path: '/calculator' });
    const listReply = await post(orders.port, { ...list, path: '/orders' });
    if (addReply.status !== 200 || listReply.status !== 200) throw new Error('the demo backends did not answer the benchmark requests');
    const replies = {
      [add.action]: { contentType: 'text/xml; charset=utf-8', body: addReply.body },
      [list.action]: { contentType: 'text/xml; charset=utf-8', body: listReply.body },
    };
    const repliesFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'soap-bridge-bench-')), 'replies.json');
    fs.writeFileSync(repliesFile, JSON.stringify(replies));
    const scenarios: Scenario[] = [
      {
        name: 'Add',
        soap: add,
        json: jsonCall('calculator', 'Add', { intA: 2, intB: 3 }),
        check: (j) => (Number((j as { AddResult?: unknown })?.AddResult) === 5 ? undefined : `AddResult is not 5: ${JSON.stringify(j)}`),
        replyBytes: Buffer.byteLength(addReply.body),
      },
      {
        name: 'GetOrders',
        soap: list,
        json: jsonCall('orders', 'GetOrders', { limit: ordersCount }),
        check: (j) => {
          const n = (j as { order?: unknown[] })?.order?.length;
          return n === ordersCount ? undefined : `expected ${ordersCount} orders, got ${n}`;
        },
        replyBytes: Buffer.byteLength(listReply.body),
      },
    ];
    return { scenarios, repliesFile, replies };
  } finally {
    await Promise.all([calc.close(), orders.close()]);
  }
}
