/**
 * libxml2's xmllint as an independent XSD validator (Debian libxml2-utils, installed by .ci/run):
 * a bundle's schemas are written out as files (each inline xs:schema of its WSDLs with the
 * namespace declarations in scope where it stands, beside copies of the files it imports) under
 * one umbrella schema, and XML elements are validated against it.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { Bundle } from '../../src/compile';
import { openEnvelope } from '../../src/soap/envelope';
import { END, EOF, START, TEXT, XmlStream } from '../../src/xml/stream';

const XSD = 'http://www.w3.org/2001/XMLSchema';
const WSDL = 'http://schemas.xmlsoap.org/wsdl/';
const OLD_XSD = ['http://www.w3.org/1999/XMLSchema', 'http://www.w3.org/2000/10/XMLSchema'];

export function xmllintAvailable(): boolean {
  const r = spawnSync('xmllint', ['--version'], { encoding: 'utf8', timeout: 10000 });
  return r.status === 0;
}

function attrEscape(v: string): string {
  return v.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');
}

/**
 * After START: the element's source with every namespace binding in scope around it declared on
 * its start tag (QName values such as type="tns:T", or unprefixed ones, need them all).
 */
export function captureWithScope(s: XmlStream): string {
  const scope = s.parentScope();
  const prefixes: string[] = [];
  for (const p in scope) if (p !== 'xml') prefixes.push(p);
  const text = s.captureElement();
  const nameEnd = /^<[^\s/>]+/.exec(text)![0].length;
  const tagEnd = text.indexOf('>');
  const startTag = text.slice(0, tagEnd);
  let extra = '';
  for (const p of prefixes) {
    const attr = p ? `xmlns:${p}` : 'xmlns';
    if (new RegExp(`\\s${attr.replace(/[.]/g, '\\.')}\\s*=`).test(startTag)) continue;
    if (p === '' && scope[p] === '') continue;
    extra += ` ${attr}="${attrEscape(scope[p])}"`;
  }
  return text.slice(0, nameEnd) + extra + text.slice(nameEnd);
}

/** The xs:schema elements directly inside wsdl:types of a WSDL text, made self-contained. */
export function inlineSchemas(wsdlText: string): { tns: string; text: string }[] {
  const s = new XmlStream(wsdlText, { maxDepth: 100000 });
  const out: { tns: string; text: string }[] = [];
  let inTypes = 0;
  for (let t = s.next(); t !== EOF; t = s.next()) {
    if (t === START && s.ns === WSDL && s.local === 'types') inTypes = s.depth;
    else if (t === END && inTypes && s.depth < inTypes) inTypes = 0;
    else if (t === START && inTypes && s.depth === inTypes + 1 && (s.ns === XSD || OLD_XSD.includes(s.ns)) && s.local === 'schema') {
      const tns = s.attr('', 'targetNamespace') ?? '';
      let text = captureWithScope(s);
      // The loader reads the pre-2001 drafts' namespaces as XML Schema; libxml2 needs it said.
      for (const old of OLD_XSD) text = text.split(`"${old}"`).join(`"${XSD}"`);
      out.push({ tns, text });
    }
  }
  return out;
}

function rootOf(text: string): { ns: string; local: string; tns: string } {
  const s = new XmlStream(text, { maxDepth: 100000 });
  for (let t = s.next(); t !== EOF; t = s.next()) if (t === START) return { ns: s.ns, local: s.local, tns: s.attr('', 'targetNamespace') ?? '' };
  return { ns: '', local: '', tns: '' };
}

/**
 * Writes the bundle's files and its inline schemas under `dir`, and an umbrella schema that
 * imports every target namespace; returns its path.
 */
export function writeSchemas(bundle: Bundle, dir: string): string {
  const files = bundle.files.filter((f) => /\.(wsdl|xsd|xml)$/i.test(f));
  const common = files.map((f) => path.dirname(f)).reduce((a, b) => {
    while (!(b + path.sep).startsWith(a + path.sep) && a !== path.dirname(a)) a = path.dirname(a);
    return a;
  });
  const byNs = new Map<string, string[]>();
  let n = 0;
  for (const f of files) {
    const target = path.join(dir, path.relative(common, f));
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.copyFileSync(f, target);
    const text = fs.readFileSync(f, 'utf8');
    const root = rootOf(text);
    if (root.ns === XSD && root.local === 'schema') {
      // A schema file the WSDL imports itself (wsdl:import): under the umbrella too.
      byNs.set(root.tns, [...(byNs.get(root.tns) ?? []), path.relative(dir, target)]);
      continue;
    }
    if (root.ns !== WSDL) continue;
    for (const schema of inlineSchemas(text)) {
      const file = path.join(path.dirname(target), `inline-schema-${++n}.xsd`);
      fs.writeFileSync(file, `<?xml version="1.0" encoding="UTF-8"?>\n${schema.text}\n`);
      byNs.set(schema.tns, [...(byNs.get(schema.tns) ?? []), path.relative(dir, file)]);
    }
  }
  // One wrapper per namespace (libxml2 imports a namespace once), including each of its schemas.
  let umbrella = `<?xml version="1.0" encoding="UTF-8"?>\n<xs:schema xmlns:xs="${XSD}">\n`;
  let k = 0;
  for (const [tns, list] of byNs) {
    const wrapper = `ns-${++k}.xsd`;
    const includes = list.map((l) => `  <xs:include schemaLocation="${attrEscape(l)}"/>\n`).join('');
    fs.writeFileSync(path.join(dir, wrapper), `<?xml version="1.0" encoding="UTF-8"?>\n<xs:schema xmlns:xs="${XSD}"${tns ? ` targetNamespace="${attrEscape(tns)}"` : ''}>\n${includes}</xs:schema>\n`);
    umbrella += tns ? `  <xs:import namespace="${attrEscape(tns)}" schemaLocation="${wrapper}"/>\n` : `  <xs:include schemaLocation="${wrapper}"/>\n`;
  }
  umbrella += '</xs:schema>\n';
  const main = path.join(dir, 'umbrella.xsd');
  fs.writeFileSync(main, umbrella);
  return main;
}

/** The elements of a response envelope's Body, each made self-contained. */
export function bodyElements(envelope: string): string[] {
  const s = new XmlStream(envelope);
  openEnvelope(s);
  const out: string[] = [];
  for (let t = s.next(); t !== END; t = s.next()) {
    if (t === START) out.push(captureWithScope(s));
    else if (t !== TEXT) throw new Error('unexpected end of the Body');
  }
  return out;
}

export interface XmllintResult {
  /** The schema itself does not compile in libxml2. */
  schemaError?: string;
  /** File name -> xmllint's complaint, for each file that does not validate. */
  invalid: Map<string, string>;
  valid: number;
}

/** Validates every `.xml` file given against `schema` in one xmllint run. */
export function xmllintValidate(schema: string, files: string[]): XmllintResult {
  const r = spawnSync('xmllint', ['--noout', '--nonet', '--schema', schema, ...files], { encoding: 'utf8', timeout: 60000, maxBuffer: 64 * 1024 * 1024 });
  if (r.error) throw r.error;
  const out = r.stderr ?? '';
  if (r.status === 5 || /WXS schema .* failed to compile/.test(out)) return { schemaError: out.split('\n').slice(0, 12).join('\n'), invalid: new Map(), valid: 0 };
  const invalid = new Map<string, string>();
  let valid = 0;
  for (const f of files) {
    if (out.includes(`${f} validates`)) valid++;
    else {
      const lines = out.split('\n').filter((l) => l.startsWith(f));
      invalid.set(f, lines.join('\n') || `(no verdict; xmllint exit ${r.status})`);
    }
  }
  return { invalid, valid };
}
