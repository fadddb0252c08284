/**
 * rpc/encoded end to end, through both facades, on loopback:
 * - REST facade: JSON in, an rpc/encoded envelope to a legacy backend (a node:http server
 *   that checks what it gets and answers fixed encoded replies, multi-ref values included),
 *   its reply decoded to JSON;
 * - SOAP facade: a legacy client's rpc/encoded envelope (hand-written, and node-soap's client
 *   reading the published WSDL) to JSON for a JSON service, its answer written back encoded.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { after, before, describe, it } from 'mocha';
import * as soap from 'soap';
import { postJson, request, startBridge, startHttp, tempDir, writeBundle, type TestBridge } from '../support/bridge';
import { fixture } from '../support/compile';

const SOAP11 = 'http://schemas.xmlsoap.org/soap/envelope/';
const ENC = 'http://schemas.xmlsoap.org/soap/encoding/';
const TNS = 'urn:soap-bridge:test:legacy';
const TYPES = 'urn:soap-bridge:test:legacy:types';

function envelope(body: string): string {
  return (
    `<?xml version="1.0" encoding="UTF-8"?><SOAP-ENV:Envelope xmlns:SOAP-ENV="${SOAP11}" xmlns:SOAP-ENC="${ENC}" ` +
    `xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" ` +
    `xmlns:ns1="${TNS}" xmlns:ns2="${TYPES}" SOAP-ENV:encodingStyle="${ENC}"><SOAP-ENV:Body>${body}</SOAP-ENV:Body></SOAP-ENV:Envelope>`
  );
}

/** Fixed replies of the legacy backend, by SOAPAction, in the styles of PHP's SoapServer and Apache Axis 1. */
const REPLIES: Record<string, string> = {
  Add: envelope(`<ns1:AddResponse><result xsi:type="xsd:int">5</result></ns1:AddResponse>`),
  PlaceOrder: envelope(`<ns1:PlaceOrderResponse><confirmation xsi:type="xsd:string">C-77</confirmation><total xsi:type="xsd:double">6</total></ns1:PlaceOrderResponse>`),
  ListItems: envelope(
    `<ns1:ListItemsResponse><items href="#id0"/></ns1:ListItemsResponse>` +
      `<multiRef id="id0" SOAP-ENC:root="0" xsi:type="SOAP-ENC:Array" SOAP-ENC:arrayType="ns2:Item[2]"><item href="#id1"/><item href="#id2"/></multiRef>` +
      `<multiRef id="id1" SOAP-ENC:root="0" xsi:type="ns2:Item"><sku xsi:type="SOAP-ENC:string">A-1</sku><quantity xsi:type="xsd:int">3</quantity><price xsi:type="xsd:double">1.25</price><note xsi:nil="true"/></multiRef>` +
      `<multiRef id="id2" SOAP-ENC:root="0" xsi:type="ns2:Item"><sku xsi:type="SOAP-ENC:string">B-2</sku><quantity xsi:type="xsd:int">0</quantity><price xsi:type="xsd:double">10</price><note xsi:type="xsd:string">sold out</note></multiRef>`,
  ),
  Sum: envelope(`<ns1:SumResponse><sum xsi:type="xsd:int">not a number</sum></ns1:SumResponse>`),
  Inspect: envelope(`<ns1:InspectResponse><value xsi:type="SOAP-ENC:Array" SOAP-ENC:arrayType="xsd:string[2,1]"><item>a</item><item>b</item></value></ns1:InspectResponse>`),
};

describe('rpc/encoded end to end', () => {
  let legacy: Awaited<ReturnType<typeof startHttp>>;
  let json: Awaited<ReturnType<typeof startHttp>>;
  let bridge: TestBridge;
  let tmp: ReturnType<typeof tempDir>;
  const requests: { action: string; body: string }[] = [];
  const jsonCalls: { url: string; body: unknown }[] = [];

  before(async () => {
    legacy = await startHttp((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const action = String(req.headers.soapaction ?? '').replace(/^"|"$/g, '').replace(`${TNS}#`, '');
        requests.push({ action, body: Buffer.concat(chunks).toString('utf8') });
        const answer = REPLIES[action];
        res.writeHead(answer ? 200 : 500, { 'content-type': 'text/xml; charset=utf-8' });
        res.end(answer ?? envelope(`<SOAP-ENV:Fault><faultcode>SOAP-ENV:Client</faultcode><faultstring>unknown action ${action}</faultstring></SOAP-ENV:Fault>`));
      });
    });
    json = await startHttp((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8') || 'null') as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
        jsonCalls.push({ url: req.url!, body });
        const answer = (status: number, value: unknown): void => {
          res.writeHead(status, { 'content-type': 'application/json' });
          res.end(JSON.stringify(value));
        };
        switch (req.url) {
          case '/json/Add':
            return answer(200, { result: body.a + body.b });
          case '/json/PlaceOrder': {
            const total = (body.order.items as { quantity: number; price: number }[]).reduce((t, i) => t + i.quantity * i.price, 0);
            return answer(200, { confirmation: `C-${body.order.id}-${(body.order.tags as string[]).join('+')}`, total });
          }
          case '/json/ListItems':
            return answer(200, { items: (body.skus as string[]).map((sku, i) => ({ sku, quantity: i, price: 0.5, note: i ? 'n' : null })) });
          case '/json/Sum':
            return answer(200, { sum: 'lots' });
          default:
            return answer(404, { title: 'Not found' });
        }
      });
    });
    tmp = tempDir('encoded');
    const wsdl = fs.readFileSync(fixture('golden', 'encoded', 'legacy.wsdl'), 'utf8');
    writeBundle(tmp.dir, 'legacy', { 'legacy.wsdl': wsdl, 'mapping.yaml': `soapBackend: ${legacy.url}/legacy\n` });
    writeBundle(tmp.dir, 'legacyjson', { 'legacy.wsdl': wsdl, 'mapping.yaml': `restBackend: ${json.url}/json\n` });
    bridge = await startBridge(tmp.dir);
  });

  after(async () => {
    await bridge?.close();
    await Promise.all([legacy?.close(), json?.close()]);
    tmp?.remove();
  });

  describe('REST facade', () => {
    it('sends scalar parts with xsi:type in an encoded wrapper and answers the decoded reply', async () => {
      const r = await postJson(`${bridge.url}/api/legacy/Add`, { a: 2, b: 3 });
      assert.equal(r.status, 200, r.text);
      assert.deepEqual(r.json, { result: 5 });
      const sent = requests.pop()!;
      assert.equal(sent.action, 'Add');
      assert.match(sent.body, new RegExp(`<tns:Add soap:encodingStyle="${ENC}"><a xsi:type="xsd:int">2</a><b xsi:type="xsd:int">3</b></tns:Add>`));
    });

    it('sends a struct holding SOAP-ENC arrays', async () => {
      const order = { order: { id: 'O-9', customer: 'Ada', items: [{ sku: 'A-1', quantity: 2, price: 3, note: null }], tags: ['rush'] } };
      const r = await postJson(`${bridge.url}/api/legacy/PlaceOrder`, order);
      assert.equal(r.status, 200, r.text);
      assert.deepEqual(r.json, { confirmation: 'C-77', total: 6 });
      const sent = requests.pop()!.body;
      assert.match(sent, /<order xsi:type="lt:Order">/);
      assert.match(sent, /<items xsi:type="lt:ArrayOfItem" soapenc:arrayType="lt:Item\[1\]"><item xsi:type="lt:Item"><sku xsi:type="xsd:string">A-1<\/sku>/);
      assert.match(sent, /<tags xsi:type="lt:ArrayOfString" soapenc:arrayType="xsd:string\[1\]"><item xsi:type="xsd:string">rush<\/item><\/tags>/);
    });

    it('reads a multi-ref reply (Axis style) into JSON arrays and objects', async () => {
      const r = await postJson(`${bridge.url}/api/legacy/ListItems`, { skus: ['A-1', 'B-2'] });
      assert.equal(r.status, 200, r.text);
      assert.deepEqual(r.json, {
        items: [
          { sku: 'A-1', quantity: 3, price: 1.25, note: null },
          { sku: 'B-2', quantity: 0, price: 10, note: 'sold out' },
        ],
      });
      assert.match(requests.pop()!.body, /<skus xsi:type="lt:ArrayOfString" soapenc:arrayType="xsd:string\[2\]">/);
    });

    it('validates JSON input against the encoded operation schema before calling', async () => {
      const before = requests.length;
      const r = await postJson(`${bridge.url}/api/legacy/ListItems`, { skus: 'A-1' });
      assert.equal(r.status, 400);
      assert.deepEqual(r.json.errors, [{ pointer: '/skus', detail: 'must be an array' }]);
      assert.equal(requests.length, before);
    });

    it('answers 502 for a reply value that breaks its xsi:type, and for a multi-dimensional array', async () => {
      const sum = await postJson(`${bridge.url}/api/legacy/Sum`, { values: [1], rows: [] });
      assert.equal(sum.status, 502, sum.text);
      assert.deepEqual(sum.json.errors, [{ pointer: '/sum', detail: 'is not a valid xs:int' }]);
      const md = await postJson(`${bridge.url}/api/legacy/Inspect`, { value: 'x' });
      assert.equal(md.status, 502, md.text);
      assert.match(md.json.errors[0].detail, /multi-dimensional SOAP-ENC array/);
      requests.length = 0;
    });
  });

  describe('SOAP facade', () => {
    const post = (body: string, action: string): ReturnType<typeof request> =>
      request(`${bridge.url}/soap/legacyjson`, { method: 'POST', headers: { 'content-type': 'text/xml; charset=utf-8', soapaction: `"${TNS}#${action}"` }, body });

    it('reads an encoded request with multi-ref values and answers an encoded envelope', async () => {
      const body = envelope(
        `<ns1:PlaceOrder><order href="#o"/></ns1:PlaceOrder>` +
          `<ns2:Order id="o" SOAP-ENC:root="0" xsi:type="ns2:Order"><id xsi:type="xsd:string">17</id><customer xsi:type="xsd:string">Grace</customer>` +
          `<items xsi:type="SOAP-ENC:Array" SOAP-ENC:arrayType="ns2:Item[2]"><item href="#i"/><item href="#i"/></items>` +
          `<tags xsi:type="SOAP-ENC:Array" SOAP-ENC:arrayType="xsd:string[2]"><item>a</item><item>b</item></tags></ns2:Order>` +
          `<ns2:Item id="i" SOAP-ENC:root="0" xsi:type="ns2:Item"><sku>S</sku><quantity>2</quantity><price>1.5</price><note xsi:nil="true"/></ns2:Item>`,
      );
      const r = await post(body, 'PlaceOrder');
      assert.equal(r.status, 200, r.text);
      const call = jsonCalls.pop()!;
      assert.equal(call.url, '/json/PlaceOrder');
      const item = { sku: 'S', quantity: 2, price: 1.5, note: null };
      assert.deepEqual(call.body, { order: { id: '17', customer: 'Grace', items: [item, item], tags: ['a', 'b'] } });
      assert.match(r.text, new RegExp(`<tns:PlaceOrderResponse soap:encodingStyle="${ENC}"><confirmation xsi:type="xsd:string">C-17-a\\+b</confirmation><total xsi:type="xsd:double">6</total></tns:PlaceOrderResponse>`));
    });

    it('writes arrays of structs in the response with arrayType and typed members', async () => {
      const r = await post(envelope(`<ns1:ListItems><skus xsi:type="SOAP-ENC:Array" SOAP-ENC:arrayType="xsd:string[2]"><item xsi:type="xsd:string">A</item><item xsi:type="xsd:string">B</item></skus></ns1:ListItems>`), 'ListItems');
      assert.equal(r.status, 200, r.text);
      assert.match(
        r.text,
        /<items xsi:type="lt:ArrayOfItem" soapenc:arrayType="lt:Item\[2\]"><item xsi:type="lt:Item"><sku xsi:type="xsd:string">A<\/sku><quantity xsi:type="xsd:int">0<\/quantity><price xsi:type="xsd:double">0.5<\/price><note xsi:nil="true"\/><\/item>/,
      );
    });

    it('answers a Client fault for an encoded request that breaks the schema', async () => {
      const r = await post(envelope(`<ns1:Add><a xsi:type="xsd:int">one</a><b xsi:type="xsd:int">2</b></ns1:Add>`), 'Add');
      assert.equal(r.status, 500);
      assert.match(r.text, /<faultcode>soap:Client<\/faultcode>/);
      assert.match(r.text, /<sb:pointer>\/a<\/sb:pointer><sb:message>is not a valid xs:int<\/sb:message>/);
    });

    it('answers a Server fault when the JSON service breaks the output schema', async () => {
      const r = await post(envelope(`<ns1:Sum><values SOAP-ENC:arrayType="xsd:int[0]"/><rows SOAP-ENC:arrayType="xsd:int[][0]"/></ns1:Sum>`), 'Sum');
      assert.equal(r.status, 500, r.text);
      assert.match(r.text, /<faultcode>soap:Server<\/faultcode>/);
      assert.deepEqual(jsonCalls.pop()!.body, { values: [], rows: [] });
    });

    it("serves node-soap's client from the published WSDL", async () => {
      const client = await soap.createClientAsync(`${bridge.url}/soap/legacyjson?wsdl`);
      // node-soap writes the parts without xsi:type (read by their declared types) and keeps the
      // attributes of what it reads: the typed value is under $value.
      const [result, raw] = (await client.AddAsync({ a: 20, b: 22 })) as [{ result: { $value: unknown } }, string];
      assert.equal(Number(result.result.$value), 42);
      assert.match(raw, /<result xsi:type="xsd:int">42<\/result>/);
      assert.deepEqual(jsonCalls.pop()!.body, { a: 20, b: 22 });
    });
  });
});
