import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'mocha';
import { createLogger } from '../../src/log';
import { clearSecrets, isSecretName, mayHoldSecret, REDACTED, redactText, redactValue, registerSecret } from '../../src/log/redact';
import { captureLog } from '../support/bridge';

const WSSE = 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd';

describe('secrets redaction', () => {
  afterEach(() => clearSecrets());

  it('knows secret header and field names, case-insensitively', () => {
    for (const n of ['authorization', 'Proxy-Authorization', 'COOKIE', 'set-cookie', 'x-api-key', 'password', 'userPassword', 'passwd', 'secret', 'clientSecret', 'client_secret', 'token', 'accessToken', 'refresh_token', 'apiKey', 'api_key', 'API-KEY', 'Ocp-Apim-Subscription-Key', 'subscriptionKey', 'AccessKey', 'aws_access_key'])
      assert.ok(isSecretName(n), n);
    for (const n of ['user', 'username', 'operation', 'requestId', 'status', 'bypass', 'detail', 'pointer', 'message', 'X-Idempotency-Key', 'subscription', 'keyword']) assert.ok(!isSecretName(n), n);
  });

  it('leaves text without candidates untouched (same string)', () => {
    const s = 'access GET /api/calculator/add 200 3ms';
    assert.equal(mayHoldSecret(s), false);
    assert.equal(redactText(s), s);
  });

  it('redacts WS-Security Password, Nonce and BinarySecurityToken content, plain and escaped', () => {
    const xml = `<wsse:Security xmlns:wsse="${WSSE}"><wsse:UsernameToken><wsse:Username>bob</wsse:Username><wsse:Password Type="x#PasswordText">s3cr3t!</wsse:Password><wsse:Nonce EncodingType="b64">bm9uY2U=</wsse:Nonce></wsse:UsernameToken><BinarySecurityToken>MIIC...</BinarySecurityToken></wsse:Security>`;
    const out = redactText(xml);
    assert.ok(!out.includes('s3cr3t!') && !out.includes('bm9uY2U=') && !out.includes('MIIC'), out);
    assert.ok(out.includes('<wsse:Username>bob</wsse:Username>'));
    assert.ok(out.includes(`<wsse:Password Type="x#PasswordText">${REDACTED}</wsse:Password>`));
    const escaped = '&lt;wsse:Password Type="t"&gt;hunter22&lt;/wsse:Password&gt;';
    assert.equal(redactText(escaped), `&lt;wsse:Password Type="t"&gt;${REDACTED}&lt;/wsse:Password&gt;`);
  });

  it('redacts text-only XML elements with a secret name, plain and escaped, and leaves the others', () => {
    const xml = '<h:Auth xmlns:h="urn:h"><h:user>bob</h:user><h:ApiKey kind="partner">k-123456</h:ApiKey><accessToken>t-98765</accessToken><h:Ocp-Apim-Subscription-Key>s-55555</h:Ocp-Apim-Subscription-Key></h:Auth>';
    const out = redactText(xml);
    assert.equal(out, `<h:Auth xmlns:h="urn:h"><h:user>bob</h:user><h:ApiKey kind="partner">${REDACTED}</h:ApiKey><accessToken>${REDACTED}</accessToken><h:Ocp-Apim-Subscription-Key>${REDACTED}</h:Ocp-Apim-Subscription-Key></h:Auth>`);
    const escaped = redactText('detail: &lt;tns:password&gt;hunter22&lt;/tns:password&gt;&lt;tns:passengers&gt;3&lt;/tns:passengers&gt;');
    assert.equal(escaped, `detail: &lt;tns:password&gt;${REDACTED}&lt;/tns:password&gt;&lt;tns:passengers&gt;3&lt;/tns:passengers&gt;`);
    // Elements with children keep their structure; only their secret leaves go.
    assert.equal(redactText('<Credentials><name>bob</name><secret>x-1</secret></Credentials>'), `<Credentials><name>bob</name><secret>${REDACTED}</secret></Credentials>`);
  });

  it('redacts JSON members with secret names in text, including JSON inside a JSON string', () => {
    const out = redactText('{"user":"bob","Password":"p@ss\\"word","nested":{"clientSecret":"cs-1"},"api_key":"k-9"}');
    assert.equal(out, `{"user":"bob","Password":"${REDACTED}","nested":{"clientSecret":"${REDACTED}"},"api_key":"${REDACTED}"}`);
    const inner = JSON.stringify({ snippet: '{"accessToken":"at-77"}' });
    assert.ok(!redactText(inner).includes('at-77'), redactText(inner));
  });

  it('redacts JSON members with secret names whose value is a number or a flat list, keeping the JSON valid', () => {
    const out = redactText('{"password": 31415926, "pin": 7, "apiKey": ["k1", "k2"], "tokens": [{"a": 1}], "n": "{\\"token\\":-1.5e3}"}');
    assert.equal(out, `{"password": "${REDACTED}", "pin": 7, "apiKey": "${REDACTED}", "tokens": [{"a": 1}], "n": "{\\"token\\":\\"${REDACTED}\\"}"}`);
    assert.doesNotThrow(() => JSON.parse(out));
  });

  it('redacts header lines and key=value pairs in free text', () => {
    const out = redactText('sent Authorization: Bearer abc.def.ghi\nCookie: sid=1; theme=dark\nurl /x?user=a&password=hunter2&n=1');
    assert.ok(!out.includes('abc.def.ghi') && !out.includes('sid=1') && !out.includes('hunter2'), out);
    assert.ok(out.includes('user=a') && out.includes('n=1'));
  });

  it('redacts registered secrets (from the environment) anywhere, also XML- and JSON-escaped', () => {
    registerSecret('env-<pw>&"1');
    registerSecret('abc'); // too short: ignored
    assert.equal(redactText('x env-<pw>&"1 y'), `x ${REDACTED} y`);
    assert.equal(redactText('x env-&lt;pw&gt;&amp;&quot;1 y'), `x ${REDACTED} y`);
    assert.equal(redactText('abc'), 'abc');
  });

  it('redacts values by key in objects, without changing the original, cycles cut', () => {
    const headers = { authorization: 'Basic Ym9iOnB3', 'x-api-key': 'k1', 'set-cookie': ['a=1', 'b=2'], accept: 'text/xml' };
    const v: Record<string, unknown> = { headers, body: { items: [{ password: 'p1', name: 'n' }] }, note: '<wsse:Nonce>AAA=</wsse:Nonce>' };
    v.self = v;
    const out = redactValue(v) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    assert.deepEqual(out.headers, { authorization: REDACTED, 'x-api-key': REDACTED, 'set-cookie': REDACTED, accept: 'text/xml' });
    assert.deepEqual(out.body.items[0], { password: REDACTED, name: 'n' });
    assert.equal(out.note, `<wsse:Nonce>${REDACTED}</wsse:Nonce>`);
    assert.equal(out.self, '[Circular]');
    assert.equal(headers.authorization, 'Basic Ym9iOnB3');
  });

  it('applies to every log line written by the logger', async () => {
    registerSecret('from-env-PW-42');
    const cap = captureLog();
    const log = createLogger({ level: 'info', stream: cap.stream });
    log.info('call', { headers: { Authorization: 'Bearer t-1', host: 'h' }, body: { apiKey: 'k-2' } });
    log.warn('backend said <wsse:Password>pw-3</wsse:Password> with from-env-PW-42');
    log.error('failed', { error: new Error('token=t-4 refused') });
    log.info('plain', { requestId: 'r-1' });
    await new Promise((r) => setImmediate(r));
    const text = cap.lines.map((l) => JSON.stringify(l)).join('\n');
    for (const s of ['t-1', 'k-2', 'pw-3', 'from-env-PW-42', 't-4']) assert.ok(!text.includes(s), `${s} leaked: ${text}`);
    assert.equal((cap.lines[0].headers as Record<string, string>).host, 'h');
    assert.equal(cap.lines[3].requestId, 'r-1');
  });
});
