/**
 * XML threat protection and JSON limits end to end, through both facades: each limit just under
 * (answered) and just over (refused with the limit named: a Client fault for a SOAP request, a
 * 502 for a SOAP backend's reply, a 400 for a JSON request, a Server fault for a JSON service's
 * answer), DTD attacks refused, and the bridge serving normally afterwards.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'mocha';
import { postJson, request, startBridge, startHttp, tempDir, writeBundle, type Reply, type TestBridge } from '../support/bridge';

const SOAP11 = 'http://schemas.xmlsoap.org/soap/envelope/';
const TNS = 'urn:soap-bridge:test:echo';

/** Echo(node*) -> EchoResponse(node*); a node has an optional name, an optional child node and an optional tag attribute. */
const ECHO_WSDL = `<?xml version="1.0" encoding="utf-8"?>
<wsdl:definitions xmlns:wsdl="http://schemas.xmlsoap.org/wsdl/" xmlns:soap="http://schemas.xmlsoap.org/wsdl/soap/"
    xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:tns="${TNS}" targetNamespace="${TNS}">
  <wsdl:types>
    <xs:schema targetNamespace="${TNS}" elementFormDefault="qualified">
      <xs:complexType name="Node">
        <xs:sequence>
          <xs:element name="name" type="xs:string" minOccurs="0"/>
          <xs:element name="child" type="tns:Node" minOccurs="0"/>
        </xs:sequence>
        <xs:attribute name="tag" type="xs:string"/>
      </xs:complexType>
      <xs:complexType name="Nodes">
        <xs:sequence><xs:element name="node" type="tns:Node" minOccurs="0" maxOccurs="unbounded"/></xs:sequence>
      </xs:complexType>
      <xs:element name="Echo" type="tns:Nodes"/>
      <xs:element name="EchoResponse" type="tns:Nodes"/>
    </xs:schema>
  </wsdl:types>
  <wsdl:message name="EchoIn"><wsdl:part name="parameters" element="tns:Echo"/></wsdl:message>
  <wsdl:message name="EchoOut"><wsdl:part name="parameters" element="tns:EchoResponse"/></wsdl:message>
  <wsdl:portType name="EchoPort">
    <wsdl:operation name="Echo"><wsdl:input message="tns:EchoIn"/><wsdl:output message="tns:EchoOut"/></wsdl:operation>
  </wsdl:portType>
  <wsdl:binding name="EchoSoap" type="tns:EchoPort">
    <soap:binding transport="http://schemas.xmlsoap.org/soap/http" style="document"/>
    <wsdl:operation name="Echo">
      <soap:operation soapAction="${TNS}#Echo"/>
      <wsdl:input><soap:body use="literal"/></wsdl:input><wsdl:output><soap:body use="literal"/></wsdl:output>
    </wsdl:operation>
  </wsdl:binding>
  <wsdl:service name="EchoService">
    <wsdl:port name="EchoSoap" binding="tns:EchoSoap"><soap:address location="http://127.0.0.1:9/echo"/></wsdl:port>
  </wsdl:service>
</wsdl:definitions>
`;

/** A SOAP 1.1 envelope around `<t:{wrapper}>content</t:{wrapper}>`; `envAttrs` go on the Envelope. */
function envelope(wrapper: 'Echo' | 'EchoResponse', content: string, envAttrs = ''): string {
  return `<soap:Envelope xmlns:soap="${SOAP11}" xmlns:t="${TNS}"${envAttrs ? ` ${envAttrs}` : ''}><soap:Body><t:${wrapper}>${content}</t:${wrapper}></soap:Body></soap:Envelope>`;
}

/** A chain of `n` nested nodes (n >= 1): depth Envelope(1) Body(2) wrapper(3) node(4) … node(3 + n). */
function chainXml(n: number): string {
  let s = '';
  for (let k = 0; k < n; k++) s += k === 0 ? '<t:node>' : '<t:child>';
  for (let k = n - 1; k >= 0; k--) s += k === 0 ? '</t:node>' : '</t:child>';
  return s;
}
function chainJson(n: number): unknown {
  let node: Record<string, unknown> = {};
  for (let k = 1; k < n; k++) node = { child: node };
  return { node: [node] };
}
/** `n` xmlns declarations, distinct prefixes and URIs. */
function decls(n: number, from = 0): string {
  return Array.from({ length: n }, (_, i) => `xmlns:x${from + i}="urn:x${from + i}"`).join(' ');
}

/** The limits both tests' bridges run with: small, so each is easy to reach exactly. */
const LIMITS = {
  xmlMaxDepth: '12',
  xmlMaxElements: '40',
  xmlMaxAttributes: '8',
  xmlMaxNameLength: '40',
  xmlMaxTextLength: '100',
  xmlMaxAttributeLength: '50',
  xmlMaxNsDecls: '10',
  xmlMaxNsDeclsTotal: '14',
  jsonMaxDepth: '8',
};

interface Case {
  limit: string;
  value: number;
  what: string;
  /** The SOAP Body content (in the wrapper) and Envelope attributes, just under and just over. */
  under: { content: string; envAttrs?: string };
  over: { content: string; envAttrs?: string };
}

const NAME = (n: number): string => `<t:node><t:name>${'n'.repeat(n)}</t:name></t:node>`;
const CASES: Case[] = [
  { limit: 'XML_MAX_DEPTH', value: 12, what: 'element depth', under: { content: chainXml(9) }, over: { content: chainXml(10) } },
  // Envelope, Body, wrapper: 3 elements; then 37 nodes make 40.
  { limit: 'XML_MAX_ELEMENTS', value: 40, what: 'element count', under: { content: '<t:node/>'.repeat(37) }, over: { content: '<t:node/>'.repeat(38) } },
  // xmlns:soap and xmlns:t are two attributes of the Envelope.
  { limit: 'XML_MAX_ATTRIBUTES', value: 8, what: 'attributes on one element', under: { content: '', envAttrs: decls(6) }, over: { content: '', envAttrs: decls(7) } },
  // "xmlns:" + 34 characters is a 40-character attribute name.
  { limit: 'XML_MAX_NAME_LENGTH', value: 40, what: 'name length', under: { content: '', envAttrs: `xmlns:${'p'.repeat(34)}="urn:p"` }, over: { content: '', envAttrs: `xmlns:${'p'.repeat(35)}="urn:p"` } },
  { limit: 'XML_MAX_TEXT_LENGTH', value: 100, what: 'text length', under: { content: NAME(100) }, over: { content: NAME(101) } },
  { limit: 'XML_MAX_ATTRIBUTE_LENGTH', value: 50, what: 'attribute value length', under: { content: `<t:node tag="${'a'.repeat(50)}"/>` }, over: { content: `<t:node tag="${'a'.repeat(51)}"/>` } },
];

/** Namespace declarations are tested on a bridge whose attribute limit does not come first. */
const NS_LIMITS = { ...LIMITS, xmlMaxAttributes: '64' };
const NS_CASES: Case[] = [
  // 2 on the Envelope already: 8 more make 10.
  { limit: 'XML_MAX_NS_DECLS', value: 10, what: 'namespace declarations on one element', under: { content: '', envAttrs: decls(8) }, over: { content: '', envAttrs: decls(9) } },
  // 2 + 8 on the Envelope, 4 on a node: 14 in all.
  { limit: 'XML_MAX_NS_DECLS_TOTAL', value: 14, what: 'namespace declarations in the document', under: { content: `<t:node ${decls(4, 100)}/>`, envAttrs: decls(8) }, over: { content: `<t:node ${decls(5, 100)}/>`, envAttrs: decls(8) } },
];

const BILLION_LAUGHS = `<?xml version="1.0"?><!DOCTYPE soap:Envelope [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;"><!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;"><!ENTITY e "&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;"><!ENTITY f "&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;"><!ENTITY g "&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;"><!ENTITY h "&g;&g;&g;&g;&g;&g;&g;&g;&g;&g;"><!ENTITY i "&h;&h;&h;&h;&h;&h;&h;&h;&h;&h;">]>${envelope('Echo', '<t:node><t:name>&i;</t:name></t:node>')}`;
const XXE = `<?xml version="1.0"?><!DOCTYPE soap:Envelope [<!ENTITY x SYSTEM "file:///etc/passwd">]>${envelope('Echo', '<t:node><t:name>&x;</t:name></t:node>')}`;
const XXE_HTTP = `<?xml version="1.0"?><!DOCTYPE soap:Envelope SYSTEM "http://127.0.0.1:9/evil.dtd">${envelope('Echo', '')}`;
const UNDEFINED_ENTITY = envelope('Echo', '<t:node><t:name>&x;</t:name></t:node>');

function faultOf(r: Reply): { code: string; reason: string } {
  return { code: /<faultcode>[^:<]*:?([^<]+)<\/faultcode>/.exec(r.text)?.[1] ?? '', reason: /<faultstring>([^<]*)<\/faultstring>/.exec(r.text)?.[1] ?? '' };
}

describe('XML and JSON limits end to end', function () {
  this.timeout(60000);
  let tmp: ReturnType<typeof tempDir>;
  /** The fake SOAP backend (REST facade) answers `soapReply`; the fake JSON service answers `jsonReply`, or echoes. */
  let soapReply = '';
  let jsonReply: string | undefined;
  const jsonSeen: unknown[] = [];
  let soapBackend: Awaited<ReturnType<typeof startHttp>>;
  let jsonService: Awaited<ReturnType<typeof startHttp>>;
  let bridge: TestBridge;
  let nsBridge: TestBridge;

  before(async () => {
    tmp = tempDir('limits');
    soapBackend = await startHttp((req, res) => {
      req.resume();
      req.on('end', () => {
        res.writeHead(200, { 'content-type': 'text/xml; charset=utf-8' });
        res.end(soapReply);
      });
    });
    jsonService = await startHttp((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        jsonSeen.push(JSON.parse(body));
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(jsonReply ?? body);
      });
    });
    writeBundle(tmp.dir, 'echo', { 'echo.wsdl': ECHO_WSDL, 'mapping.yaml': `name: echo\nsoapBackend: ${soapBackend.url}/echo\ntimeoutMs: 5000\n` });
    writeBundle(tmp.dir, 'echoback', { 'echo.wsdl': ECHO_WSDL, 'mapping.yaml': `name: echoback\nrestBackend: ${jsonService.url}/echo\ntimeoutMs: 5000\n` });
    bridge = await startBridge(tmp.dir, {}, { ...LIMITS, watch: 'false', metrics: 'false' } as Record<string, string>);
    nsBridge = await startBridge(tmp.dir, {}, { ...NS_LIMITS, watch: 'false', metrics: 'false' } as Record<string, string>);
  });

  after(async () => {
    await bridge?.close();
    await nsBridge?.close();
    await soapBackend?.close();
    await jsonService?.close();
    tmp?.remove();
  });

  const soapUrl = (b: TestBridge): string => `${b.url}/soap/echoback`;
  const restUrl = (b: TestBridge): string => `${b.url}/api/echo/Echo`;
  const postSoap = (b: TestBridge, body: string): Promise<Reply> => request(soapUrl(b), { method: 'POST', headers: { 'content-type': 'text/xml; charset=utf-8', soapaction: `"${TNS}#Echo"` }, body, timeoutMs: 5000 });

  for (const [label, cases, pick] of [
    ['', CASES, () => bridge],
    [' (namespace declarations)', NS_CASES, () => nsBridge],
  ] as const) {
    for (const c of cases) {
      const message = `${c.what} exceeds ${c.limit} (${c.value})`;

      it(`SOAP facade${label}: ${c.limit} just under is served, just over is a Client fault naming it`, async () => {
        const b = pick();
        jsonReply = '{}'; // an echo could be deeper than JSON_MAX_DEPTH
        const ok = await postSoap(b, envelope('Echo', c.under.content, c.under.envAttrs));
        assert.equal(ok.status, 200, ok.text);
        assert.match(ok.text, /EchoResponse/);
        const seen = jsonSeen.length;
        const r = await postSoap(b, envelope('Echo', c.over.content, c.over.envAttrs));
        assert.equal(r.status, 500, r.text);
        const f = faultOf(r);
        assert.equal(f.code, 'Client');
        assert.ok(f.reason.includes(message), f.reason);
        assert.equal(jsonSeen.length, seen, 'the JSON service is not called');
      });

      it(`REST facade${label}: a backend reply ${c.limit} just under is served, just over is a 502 naming it`, async () => {
        const b = pick();
        soapReply = envelope('EchoResponse', c.under.content, c.under.envAttrs);
        const ok = await postJson(restUrl(b), {});
        assert.equal(ok.status, 200, ok.text);
        assert.ok(Array.isArray(ok.json.node));
        soapReply = envelope('EchoResponse', c.over.content, c.over.envAttrs);
        const r = await postJson(restUrl(b), {});
        assert.equal(r.status, 502, r.text);
        assert.equal(r.headers['content-type'], 'application/problem+json');
        assert.equal(r.json.type, 'urn:soap-bridge:problem:backend-invalid-reply');
        assert.ok(r.json.detail.includes(message), r.json.detail);
      });
    }
  }

  it('REST facade: JSON nesting at JSON_MAX_DEPTH is read, one deeper is a 400 naming it', async () => {
    soapReply = envelope('EchoResponse', '');
    const ok = await postJson(restUrl(bridge), chainJson(6)); // {"node":[{"child":…}]}: 2 + 6 levels
    assert.equal(ok.status, 200, ok.text);
    const r = await postJson(restUrl(bridge), chainJson(7));
    assert.equal(r.status, 400, r.text);
    assert.equal(r.json.type, 'urn:soap-bridge:problem:malformed-json');
    assert.match(r.json.detail, /JSON nesting depth exceeds JSON_MAX_DEPTH \(8\)/);
  });

  it('REST facade: a JSON body nested 100000 deep is refused (default limit too)', async () => {
    const deep = '{"node":[' + '{"child":'.repeat(100000) + '{}' + '}'.repeat(100000) + ']}';
    for (const b of [bridge]) {
      const r = await postJson(restUrl(b), deep);
      assert.equal(r.status, 400, r.text);
      assert.match(r.json.detail, /JSON_MAX_DEPTH/);
    }
  });

  it('SOAP facade: a JSON service answer at JSON_MAX_DEPTH is served, one deeper is a Server fault naming it', async () => {
    jsonReply = JSON.stringify(chainJson(6));
    const ok = await postSoap(bridge, envelope('Echo', ''));
    assert.equal(ok.status, 200, ok.text);
    assert.equal((ok.text.match(/<tns:child>|<tns:child\/>/g) ?? []).length, 5, ok.text);
    jsonReply = JSON.stringify(chainJson(7));
    const r = await postSoap(bridge, envelope('Echo', ''));
    assert.equal(r.status, 500, r.text);
    const f = faultOf(r);
    assert.equal(f.code, 'Server');
    assert.match(f.reason, /JSON nesting depth exceeds JSON_MAX_DEPTH \(8\)/);
    jsonReply = undefined;
  });

  it('SOAP facade: billion laughs, external entities and undefined entities are Client faults, and the JSON service is never called', async () => {
    const seen = jsonSeen.length;
    for (const [doc, why] of [
      [BILLION_LAUGHS, /DTD/],
      [XXE, /DTD/],
      [XXE_HTTP, /DTD/],
      [UNDEFINED_ENTITY, /undefined entity &amp;x;/],
    ] as const) {
      const r = await postSoap(bridge, doc);
      assert.equal(r.status, 500, r.text);
      const f = faultOf(r);
      assert.equal(f.code, 'Client');
      assert.match(f.reason, why);
      assert.doesNotMatch(r.text, /root:|aaaaaaaaaaaaaaaaaaaa/);
    }
    assert.equal(jsonSeen.length, seen);
  });

  it('REST facade: a backend reply with billion laughs or an external entity is a 502', async () => {
    for (const doc of [BILLION_LAUGHS, XXE, XXE_HTTP].map((d) => d.replace(/Echo>/g, 'EchoResponse>').replace(/<t:Echo>/, '<t:EchoResponse>'))) {
      soapReply = doc;
      const r = await postJson(restUrl(bridge), {});
      assert.equal(r.status, 502, r.text);
      assert.match(r.json.detail, /DTD/);
      assert.doesNotMatch(r.text, /root:|aaaaaaaaaaaaaaaaaaaa/);
    }
  });

  it('keeps serving after every refusal, on both facades', async () => {
    jsonReply = undefined;
    const soap = await postSoap(bridge, envelope('Echo', '<t:node tag="x"><t:name>after</t:name></t:node>'));
    assert.equal(soap.status, 200, soap.text);
    assert.match(soap.text, /<tns:name>after<\/tns:name>/);
    soapReply = envelope('EchoResponse', '<t:node><t:name>still here</t:name></t:node>');
    const rest = await postJson(restUrl(bridge), { node: [{ name: 'x' }] });
    assert.equal(rest.status, 200, rest.text);
    assert.deepEqual(rest.json, { node: [{ name: 'still here' }] });
    const health = await request(`${bridge.url}/healthz`);
    assert.equal(health.status, 200);
  });
});
