/**
 * The WSDL's own description of a service (`wsdl:definitions/wsdl:documentation`, else that of
 * its `wsdl:service`), for the service's tag. Read from the contract the bundle publishes (the
 * WSDL text as loaded, in memory), so it always matches the bundle being described.
 */
import type { Bundle } from '../compile';
import { LOAD_READ_LIMITS, readXml, type XElem } from '../xml/reader';

const WSDL_NS = 'http://schemas.xmlsoap.org/wsdl/';
const cache = new WeakMap<Bundle, { text?: string }>();

function docOf(el: XElem): string | undefined {
  const d = el.children.find((c) => c.ns === WSDL_NS && c.local === 'documentation');
  return d?.text.replace(/\s+/g, ' ').trim() || undefined;
}

export function serviceDocumentation(bundle: Bundle): string | undefined {
  const hit = cache.get(bundle);
  if (hit) return hit.text;
  let text: string | undefined;
  try {
    const wsdl = bundle.contract.render('wsdl', 'http://localhost/');
    if (wsdl) {
      const root = readXml(wsdl.body, LOAD_READ_LIMITS);
      text = docOf(root);
      for (const s of root.children) if (!text && s.ns === WSDL_NS && s.local === 'service') text = docOf(s);
    }
  } catch {
    text = undefined; // the WSDL loaded once already; a description is not worth failing for
  }
  cache.set(bundle, { text });
  return text;
}
