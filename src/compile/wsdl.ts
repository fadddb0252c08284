/**
 * WSDL 1.1 bindings -> operation models. Every operation of every SOAP 1.1 and SOAP 1.2
 * binding is resolved (messages, parts, schema types); a problem disables that operation
 * and is reported with its position, the others still load.
 */
import { Diagnostics, LoadError } from './diagnostics';
import type { LoadedDocuments } from './loader';
import { WSDL_NS } from './loader';
import type { SchemaSet } from './xsd';
import type { FaultShape, MessageShape, OperationModel, SoapVersion } from '../model/operation';
import type { ComplexType, ElementDecl, Particle, SourcePos } from '../model/xsd';
import { clark } from '../model/xsd';
import { attr, childrenNamed, firstChild, resolveQName, type SNode } from '../xml/source';

export const SOAP11_BINDING_NS = 'http://schemas.xmlsoap.org/wsdl/soap/';
export const SOAP12_BINDING_NS = 'http://schemas.xmlsoap.org/wsdl/soap12/';
const HTTP_TRANSPORTS = new Set(['http://schemas.xmlsoap.org/soap/http', 'http://schemas.xmlsoap.org/soap/http/', 'http://www.w3.org/2003/05/soap/bindings/HTTP/']);

interface Indexed {
  node: SNode;
  tns: string;
}

interface BodyBinding {
  use: 'literal' | 'encoded';
  namespace?: string;
  parts?: string[];
  /** Where the soap:body with `parts` is. */
  partsPos?: SourcePos;
  /** Parts carried in soap:header blocks of this message. */
  headerParts: Set<string>;
}

function soapNsOf(node: SNode): SoapVersion | undefined {
  if (node.ns === SOAP11_BINDING_NS) return '1.1';
  if (node.ns === SOAP12_BINDING_NS) return '1.2';
  return undefined;
}

function soapChild(node: SNode, local: string): SNode | undefined {
  return node.children.find((c) => c.local === local && soapNsOf(c) !== undefined);
}

export class WsdlCompiler {
  private readonly messages = new Map<string, Indexed>();
  private readonly portTypes = new Map<string, Indexed>();
  private readonly bindings = new Map<string, Indexed>();
  private readonly portTypeIndex = new Map<SNode, Map<string, SNode[]>>();
  /** binding key -> soap:address of the first port that uses it. */
  private readonly addresses = new Map<string, string>();
  /** Namespace prefixes as the WSDL's authors wrote them, for readable envelopes. */
  readonly preferredPrefixes = new Map<string, string>();

  constructor(
    private readonly docs: LoadedDocuments,
    private readonly schemas: SchemaSet,
    private readonly diags: Diagnostics,
  ) {
    for (const doc of docs.wsdls) {
      for (const c of doc.node.children) {
        if (c.ns !== WSDL_NS) continue;
        const name = attr(c, 'name');
        if (!name) continue;
        const key = clark({ ns: doc.targetNamespace, local: name });
        const map = c.local === 'message' ? this.messages : c.local === 'portType' ? this.portTypes : c.local === 'binding' ? this.bindings : undefined;
        if (map && !map.has(key)) map.set(key, { node: c, tns: doc.targetNamespace });
      }
      // The scope's own keys and its inherited ones (a prototype chain).
      for (const prefix in doc.node.scope) {
        const uri = doc.node.scope[prefix];
        if (prefix && !this.preferredPrefixes.has(uri)) this.preferredPrefixes.set(uri, prefix);
      }
    }
    for (const doc of docs.wsdls) {
      for (const service of childrenNamed(doc.node, WSDL_NS, 'service')) {
        for (const port of childrenNamed(service, WSDL_NS, 'port')) {
          const b = attr(port, 'binding');
          const address = soapChild(port, 'address');
          const location = address && attr(address, 'location');
          if (!b || !location) continue;
          try {
            const { key } = this.resolveRef(this.bindings, port, b, 'binding');
            if (!this.addresses.has(key)) this.addresses.set(key, location.trim());
          } catch (e) {
            if (e instanceof LoadError) this.diags.warn(e.pos, `port ${attr(port, 'name') ?? '?'} is ignored: ${e.message}`);
            else throw e;
          }
        }
      }
    }
  }

  /** Every operation of every SOAP binding, in document order. */
  operations(): OperationModel[] {
    const out: OperationModel[] = [];
    let soapBindings = 0;
    for (const [key, b] of this.bindings) {
      const sb = soapChild(b.node, 'binding');
      if (!sb) continue;
      soapBindings++;
      const version = soapNsOf(sb)!;
      const transport = attr(sb, 'transport');
      if (transport && !HTTP_TRANSPORTS.has(transport.trim()))
        this.diags.warn(sb.pos, `binding transport ${transport} is not SOAP over HTTP; the bridge calls it over HTTP anyway`);
      const defaultStyle = attr(sb, 'style') === 'rpc' ? 'rpc' : 'document';
      let portType: Indexed | undefined;
      try {
        const ptName = attr(b.node, 'type');
        if (!ptName) throw new LoadError(b.node.pos, 'wsdl:binding needs a type attribute (its portType)');
        portType = this.resolveRef(this.portTypes, b.node, ptName, 'portType').entry;
      } catch (e) {
        if (e instanceof LoadError) {
          this.diags.warn(e.pos, `binding ${attr(b.node, 'name') ?? '?'} is disabled: ${e.message}`);
          continue;
        }
        throw e;
      }
      for (const bop of childrenNamed(b.node, WSDL_NS, 'operation')) {
        try {
          out.push(this.operation(bop, b, portType, version, defaultStyle, key));
        } catch (e) {
          if (e instanceof LoadError) this.diags.warn(e.pos, `operation ${attr(bop, 'name') ?? '?'} is disabled: ${e.message}`);
          else throw e;
        }
      }
    }
    if (soapBindings === 0) {
      this.diags.error(this.docs.wsdls[0].node.pos, 'the WSDL has no SOAP 1.1 or SOAP 1.2 binding (wsdl:binding with soap:binding)');
    }
    return out;
  }

  private operation(bop: SNode, binding: Indexed, portType: Indexed, version: SoapVersion, defaultStyle: 'rpc' | 'document', bindingKey: string): OperationModel {
    const name = attr(bop, 'name');
    if (!name) throw new LoadError(bop.pos, 'wsdl:operation needs a name');
    const bInput = firstChild(bop, WSDL_NS, 'input');
    const bOutput = firstChild(bop, WSDL_NS, 'output');
    const candidates = this.portTypeOperations(portType.node).get(name) ?? [];
    const pop =
      candidates.length > 1
        ? candidates.find((o) => attr(firstChild(o, WSDL_NS, 'input') ?? o, 'name') === (bInput && attr(bInput, 'name'))) ?? candidates[0]
        : candidates[0];
    if (!pop) throw new LoadError(bop.pos, `portType ${attr(portType.node, 'name')} has no operation ${name}`);
    const soapOp = soapChild(bop, 'operation');
    const style = (soapOp && attr(soapOp, 'style')) === 'rpc' ? 'rpc' : (soapOp && attr(soapOp, 'style')) === 'document' ? 'document' : defaultStyle;
    const pInput = firstChild(pop, WSDL_NS, 'input');
    const pOutput = firstChild(pop, WSDL_NS, 'output');
    if (!pInput) throw new LoadError(pop.pos, 'notification and solicit-response operations (no input) are not supported');
    const input = this.message(name, 'input', pInput, bInput, style);
    const output = pOutput ? this.message(name, 'output', pOutput, bOutput, style, input) : undefined;
    const faults: FaultShape[] = [];
    for (const f of childrenNamed(pop, WSDL_NS, 'fault')) {
      const fname = attr(f, 'name') ?? '';
      try {
        const msg = this.lookupMessage(f);
        const part = childrenNamed(msg.node, WSDL_NS, 'part')[0];
        const el = part && attr(part, 'element');
        faults.push({ name: fname, element: el ? this.schemas.element(resolveQName(part, el), part) : undefined });
      } catch (e) {
        if (!(e instanceof LoadError)) throw e;
        this.diags.warn(e.pos, `operation ${name}: fault ${fname} cannot be typed (${e.message}); its detail is converted generically`);
        faults.push({ name: fname });
      }
    }
    const docNode = firstChild(pop, WSDL_NS, 'documentation');
    return {
      name,
      soapVersion: version,
      soapAction: (soapOp && attr(soapOp, 'soapAction')?.trim()) ?? '',
      style,
      input,
      output,
      faults,
      address: this.addresses.get(bindingKey),
      binding: { ns: binding.tns, local: attr(binding.node, 'name') ?? '' },
      documentation: docNode?.text.replace(/\s+/g, ' ').trim() || undefined,
      pos: bop.pos,
    };
  }

  /** A portType's operations by name, indexed once: a linear search per operation made big WSDLs quadratic. */
  private portTypeOperations(node: SNode): Map<string, SNode[]> {
    let byName = this.portTypeIndex.get(node);
    if (!byName) {
      byName = new Map();
      for (const o of childrenNamed(node, WSDL_NS, 'operation')) {
        const n = attr(o, 'name');
        if (n !== undefined) byName.set(n, [...(byName.get(n) ?? []), o]);
      }
      this.portTypeIndex.set(node, byName);
    }
    return byName;
  }

  private lookupMessage(ref: SNode): Indexed {
    const m = attr(ref, 'message');
    if (!m) throw new LoadError(ref.pos, `wsdl:${ref.local} needs a message attribute`);
    return this.resolveRef(this.messages, ref, m, 'message').entry;
  }

  /**
   * Resolves a reference to a WSDL component. WSDLs in the wild often qualify these with the
   * wrong prefix (or none); when the name does not resolve but exactly one component of that
   * kind has the local name, that one is used and a warning says so.
   */
  private resolveRef(map: Map<string, Indexed>, node: SNode, value: string, what: string): { key: string; entry: Indexed } {
    let problem: string;
    try {
      const key = clark(resolveQName(node, value));
      const entry = map.get(key);
      if (entry) return { key, entry };
      problem = `${what} ${key} is not defined`;
    } catch (e) {
      if (!(e instanceof LoadError)) throw e;
      problem = e.message;
    }
    const local = value.slice(value.indexOf(':') + 1).trim();
    const matches = [...map].filter(([k]) => k === local || k.endsWith(`}${local}`));
    if (matches.length !== 1) throw new LoadError(node.pos, problem);
    this.diags.warn(node.pos, `${problem}; using the only ${what} named "${local}" (${matches[0][0]})`);
    return { key: matches[0][0], entry: matches[0][1] };
  }

  private bodyBinding(bmsg: SNode | undefined, msgKey: string): BodyBinding {
    const result: BodyBinding = { use: 'literal', headerParts: new Set() };
    if (!bmsg) return result;
    const body = soapChild(bmsg, 'body');
    if (body) {
      result.use = attr(body, 'use') === 'encoded' ? 'encoded' : 'literal';
      result.namespace = attr(body, 'namespace');
      const parts = attr(body, 'parts');
      if (parts !== undefined) {
        result.parts = parts.split(/\s+/).filter(Boolean);
        result.partsPos = body.pos;
      }
    }
    for (const h of bmsg.children.filter((c) => c.local === 'header' && soapNsOf(c))) {
      const m = attr(h, 'message');
      const part = attr(h, 'part');
      if (m && part && clark(resolveQName(h, m)) === msgKey) result.headerParts.add(part);
    }
    return result;
  }

  private message(opName: string, dir: 'input' | 'output', pmsg: SNode, bmsg: SNode | undefined, style: 'rpc' | 'document', input?: MessageShape): MessageShape {
    let msg: Indexed;
    try {
      msg = this.lookupMessage(pmsg);
    } catch (e) {
      // Without its input an operation cannot be called; without its output's message the reply is still passed on.
      if (dir === 'input' || !(e instanceof LoadError)) throw e;
      this.diags.warn(e.pos, `${e.message}; the output of operation ${opName} is read as any content (kept in $any)`);
      const any: Particle = { kind: 'any', namespaces: { mode: 'any' }, processContents: 'lax', min: 0, max: Infinity };
      return { style: 'bare', type: synthetic([any], pmsg.pos, 'bare'), encoded: false };
    }
    const msgKey = clark({ ns: msg.tns, local: attr(msg.node, 'name') ?? '' });
    const body = this.bodyBinding(bmsg, msgKey);
    let parts = childrenNamed(msg.node, WSDL_NS, 'part');
    const named = body.parts?.filter((p) => {
      if (parts.some((x) => attr(x, 'name') === p)) return true;
      // A name the message does not have says nothing about the body: it is left out.
      this.diags.warn(body.partsPos!, `soap:body names part "${p}", which message ${attr(msg.node, 'name')} does not have; the name is ignored`);
      return false;
    });
    if (named && (named.length > 0 || body.parts!.length === 0)) parts = parts.filter((p) => named.includes(attr(p, 'name') ?? ''));
    else {
      if (named) this.diags.warn(body.partsPos!, `soap:body names no part of message ${attr(msg.node, 'name')}; the body carries the message's parts`);
      parts = parts.filter((p) => !body.headerParts.has(attr(p, 'name') ?? ''));
    }
    const encoded = body.use === 'encoded';
    const pos = msg.node.pos;
    if (encoded && style !== 'rpc')
      this.diags.warn(bmsg?.pos ?? pos, `operation ${opName}: use="encoded" with document style is written and read as literal (SOAP encoding is supported for rpc operations)`);

    if (style === 'rpc') {
      const items: Particle[] = parts.map((p) => this.rpcPart(p, encoded));
      return {
        style: 'rpc',
        wrapper: { ns: body.namespace?.trim() ?? '', local: dir === 'input' ? opName : `${opName}Response` },
        type: synthetic(items, pos, 'rpc'),
        encoded,
      };
    }
    // Document style.
    if (parts.length === 1) {
      const elName = attr(parts[0], 'element');
      const decl = elName ? this.schemas.partElement(parts[0], elName) : undefined;
      if (decl) {
        const wrappedInput = dir === 'input' && decl.name.local === opName;
        const wrappedOutput = dir === 'output' && input?.style === 'wrapped';
        if ((wrappedInput || wrappedOutput) && isWrapperType(decl)) {
          return { style: 'wrapped', wrapper: decl.name, type: decl.type as ComplexType, encoded };
        }
      }
    }
    const items: Particle[] = parts.map((p) => (attr(p, 'element') ? this.elementPart(p) : this.rpcPart(p, encoded)));
    return { style: 'bare', type: synthetic(items, pos, 'bare'), encoded };
  }

  /** An rpc part accessor: an unqualified element named after the part, typed by the part (nillable when encoded). */
  private rpcPart(p: SNode, encoded: boolean): Particle {
    const partName = attr(p, 'name');
    if (!partName) throw new LoadError(p.pos, 'wsdl:part needs a name');
    const typeName = attr(p, 'type');
    const elName = attr(p, 'element');
    if (typeName) {
      const decl: ElementDecl = { name: { ns: '', local: partName }, type: this.schemas.partType(p, typeName), nillable: encoded, abstract: false, global: false, pos: p.pos };
      return { kind: 'element', decl, min: 1, max: 1 };
    }
    if (elName) return this.elementPart(p);
    throw new LoadError(p.pos, `part ${partName} needs an element or a type attribute`);
  }

  /** A part given by its element; one whose element name is unknown (unbound prefix) is any one element. */
  private elementPart(p: SNode): Particle {
    const decl = this.schemas.partElement(p, attr(p, 'element')!);
    if (decl) return { kind: 'element', decl, min: 1, max: 1, jsonName: attr(p, 'name') ?? '' };
    return { kind: 'any', namespaces: { mode: 'any' }, processContents: 'lax', min: 1, max: 1 };
  }
}

/** A wrapper element: complex type with element (or empty) content and no attributes. */
function isWrapperType(decl: ElementDecl): boolean {
  const t = decl.type;
  return t.kind === 'complex' && t.attributes.length === 0 && (t.content.kind === 'elements' || t.content.kind === 'empty');
}

function synthetic(items: Particle[], pos: SourcePos, kind: 'rpc' | 'bare'): ComplexType {
  return {
    kind: 'complex',
    attributes: [],
    anyAttribute: true,
    content: { kind: 'elements', particle: { kind: 'sequence', items, min: 1, max: 1 }, mixed: false },
    abstract: false,
    synthetic: kind,
    pos,
  };
}

