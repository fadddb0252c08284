/**
 * The contract as the bridge publishes it (`GET /soap/{service}?wsdl`): every file of the bundle
 * with its soap:address pointing at the bridge and every local import pointing at a URL the
 * bridge serves (`?wsdl=N`, `?xsd=N`), so a client given only the `?wsdl` URL loads it all.
 * Prepared once at load time as text segments; a request only joins them with its base URL.
 */
import { createHash } from 'node:crypto';
import path from 'node:path';
import type { LoadedDocuments } from './loader';
import { WSDL_NS } from './loader';
import { SOAP11_BINDING_NS, SOAP12_BINDING_NS } from './wsdl';
import { escapeAttr } from '../xml/escape';
import { attr, XSD_NS, type SNode } from '../xml/source';

/** A piece of a published file: text, the bridge's endpoint URL, or the URL of another document. */
type Segment = string | { base: true } | { ref: string };

interface Document {
  segments: Segment[];
}

const CACHE_MAX = 64;

function isRemote(location: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(location) && !location.startsWith('file:');
}

/** The end of the start tag that begins at `offset` ('>' outside quoted values), or -1. */
function startTagEnd(text: string, offset: number): number {
  let quote = 0;
  for (let k = offset; k < text.length; k++) {
    const c = text.charCodeAt(k);
    if (quote) {
      if (c === quote) quote = 0;
    } else if (c === 34 || c === 39) quote = c;
    else if (c === 62) return k;
  }
  return -1;
}

export class PublishedContract {
  private readonly documents = new Map<string, Document>();
  private readonly cache = new Map<string, { body: string; etag: string }>();

  constructor(docs: LoadedDocuments) {
    // Query keys: the entry WSDL is `wsdl`, other WSDLs `wsdl=N`, schemas `xsd=N`.
    const keys = new Map<string, string>();
    let wsdlN = 0;
    let xsdN = 0;
    for (const file of docs.files) {
      const root = docs.roots.get(file);
      if (!root) continue;
      if (file === docs.entry) keys.set(file, 'wsdl');
      else if (root.ns === WSDL_NS) keys.set(file, `wsdl=${++wsdlN}`);
      else if (root.ns === XSD_NS) keys.set(file, `xsd=${++xsdN}`);
    }
    for (const [file, key] of keys) {
      this.documents.set(key, { segments: this.segmentsOf(docs.texts.get(file)!, docs.roots.get(file)!, file, keys) });
    }
  }

  /** Splits a file's text where attribute values are rewritten. */
  private segmentsOf(text: string, root: SNode, file: string, keys: Map<string, string>): Segment[] {
    const edits: { from: number; to: number; with: Segment }[] = [];
    const rewrite = (node: SNode, name: string, value: Segment): void => {
      let at = node.offset;
      if (text.charCodeAt(at) !== 60) at = text.lastIndexOf('<', at); // defensive: astral characters before it
      const end = startTagEnd(text, at);
      if (at < 0 || end < 0) return;
      const m = new RegExp(`\\s${name}\\s*=\\s*(["'])`).exec(text.slice(at, end));
      if (!m) return;
      const from = at + m.index + m[0].length;
      const to = text.indexOf(m[1], from);
      if (to > 0 && to <= end) edits.push({ from, to, with: value });
    };
    const visit = (node: SNode): void => {
      const location = (a: string): string | undefined => attr(node, a);
      const target = (loc: string): Segment | undefined => {
        if (isRemote(loc)) return undefined;
        let rel = loc;
        try {
          rel = decodeURI(loc);
        } catch {
          /* as written */
        }
        const key = keys.get(path.resolve(path.dirname(file), rel));
        return key ? { ref: key } : undefined;
      };
      if (node.ns === WSDL_NS && node.local === 'import') {
        const loc = location('location');
        const t = loc && target(loc);
        if (t) rewrite(node, 'location', t);
      } else if (node.ns === XSD_NS && ['import', 'include', 'redefine', 'override'].includes(node.local)) {
        const loc = location('schemaLocation');
        const t = loc && target(loc);
        if (t) rewrite(node, 'schemaLocation', t);
      } else if ((node.ns === SOAP11_BINDING_NS || node.ns === SOAP12_BINDING_NS) && node.local === 'address') {
        rewrite(node, 'location', { base: true });
      }
      node.children.forEach(visit);
    };
    visit(root);
    edits.sort((a, b) => a.from - b.from);
    const segments: Segment[] = [];
    let last = 0;
    for (const e of edits) {
      segments.push(text.slice(last, e.from), e.with);
      last = e.to;
    }
    segments.push(text.slice(last));
    // Served as UTF-8 whatever the file was: the XML declaration must say so.
    if (typeof segments[0] === 'string') segments[0] = segments[0].replace(/^(\s*<\?xml[^>]*\bencoding\s*=\s*)(["'])[^"']*\2/, '$1$2UTF-8$2');
    return segments;
  }

  /** The document for a query key (`wsdl`, `wsdl=N`, `xsd=N`) with URLs based on `base`; undefined when there is none. */
  render(key: string, base: string): { body: string; etag: string } | undefined {
    const doc = this.documents.get(key);
    if (!doc) return undefined;
    const cacheKey = `${key}\u0000${base}`;
    const hit = this.cache.get(cacheKey);
    if (hit) return hit;
    let body = '';
    for (const seg of doc.segments) {
      if (typeof seg === 'string') body += seg;
      else if ('base' in seg) body += escapeAttr(base);
      else body += escapeAttr(`${base}?${seg.ref}`);
    }
    const out = { body, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"` };
    if (this.cache.size >= CACHE_MAX) this.cache.delete(this.cache.keys().next().value!);
    this.cache.set(cacheKey, out);
    return out;
  }

  /** The query keys published, for listings and tests. */
  keys(): string[] {
    return [...this.documents.keys()];
  }
}
