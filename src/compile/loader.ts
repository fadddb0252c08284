/**
 * Reads a WSDL and everything it pulls in by relative path (wsdl:import, xsd:import,
 * xsd:include, xsd:redefine) into parsed documents. No network: a remote location is
 * reported, never fetched.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Diagnostics, LoadError } from './diagnostics';
import { attr, childrenNamed, decodeXmlBytes, parseSourceXml, XSD_NS, type SNode } from '../xml/source';

export const WSDL_NS = 'http://schemas.xmlsoap.org/wsdl/';
export const WSDL2_NS = 'http://www.w3.org/ns/wsdl';

/** Namespaces whose schemas the bridge knows without loading them. */
export const WELL_KNOWN_NS = new Set([
  XSD_NS,
  'http://schemas.xmlsoap.org/soap/encoding/',
  'http://www.w3.org/2003/05/soap-encoding',
  'http://schemas.xmlsoap.org/soap/envelope/',
  'http://www.w3.org/2003/05/soap-envelope',
  'http://schemas.xmlsoap.org/wsdl/',
  'http://www.w3.org/XML/1998/namespace',
]);

export interface SchemaDoc {
  node: SNode;
  file: string;
  targetNamespace: string;
  /** Set for a chameleon include: names in no namespace take the includer's namespace. */
  chameleon: boolean;
  elementQualified: boolean;
  attributeQualified: boolean;
}

export interface WsdlDoc {
  node: SNode;
  file: string;
  targetNamespace: string;
}

export interface LoadedDocuments {
  entry: string;
  wsdls: WsdlDoc[];
  schemas: SchemaDoc[];
  /** Every file read (also one that does not parse: the bundle depends on it), absolute paths, entry first. */
  files: string[];
  /**
   * Namespaces whose imported or included schema file cannot be read, with the problem. A
   * reference into one of them is not read as xs:anyType: the fix is to restore the file.
   */
  unreadable: Map<string, string>;
  /** Imported or included files that were read but could not be used (not well-formed, not a schema), with the problem. */
  unusable: Map<string, string>;
  /** The decoded text and the parsed root of each file (for publishing the contract). */
  texts: Map<string, string>;
  roots: Map<string, SNode>;
}

/** A file that cannot be read at all (missing, unreadable), as opposed to one that does not parse. */
class UnreadableFile extends LoadError {}

class DocumentLoader {
  private readonly parsed = new Map<string, SNode>();
  private readonly seenSchemas = new Set<string>();
  private readonly seenWsdls = new Set<string>();
  readonly result: LoadedDocuments;

  constructor(
    entry: string,
    private readonly diags: Diagnostics,
  ) {
    this.result = { entry, wsdls: [], schemas: [], files: [], unreadable: new Map(), unusable: new Map(), texts: new Map(), roots: this.parsed };
  }

  /** Reads and parses a file once; LoadError carries the position of a parse problem. */
  private read(file: string, from?: SNode): SNode {
    const cached = this.parsed.get(file);
    if (cached) return cached;
    let buf: Buffer;
    try {
      buf = fs.readFileSync(file);
    } catch (e) {
      const reason = (e as NodeJS.ErrnoException).code ?? (e as Error).message;
      const pos = from?.pos ?? { file, line: 1, col: 1 };
      throw new UnreadableFile(pos, `cannot read ${JSON.stringify(file)} (${reason})`);
    }
    if (!this.result.files.includes(file)) this.result.files.push(file);
    const text = decodeXmlBytes(buf, file);
    const node = parseSourceXml(text, file);
    this.parsed.set(file, node);
    this.result.texts.set(file, text);
    return node;
  }

  loadEntry(file: string): void {
    const root = this.read(file);
    if (root.ns === WSDL_NS && root.local === 'definitions') this.addWsdl(root, file);
    else if (root.ns === WSDL2_NS && root.local === 'description')
      throw new LoadError(root.pos, 'WSDL 2.0 is not supported (the bridge reads WSDL 1.1 documents)');
    else if (root.ns === XSD_NS && root.local === 'schema')
      throw new LoadError(root.pos, 'this is an XML Schema, not a WSDL: give the .wsdl that imports it');
    else
      throw new LoadError(
        root.pos,
        `root element is {${root.ns}}${root.local}; a WSDL 1.1 document has {${WSDL_NS}}definitions`,
      );
  }

  private addWsdl(node: SNode, file: string): void {
    if (this.seenWsdls.has(file)) return;
    this.seenWsdls.add(file);
    this.result.wsdls.push({ node, file, targetNamespace: attr(node, 'targetNamespace') ?? '' });
    for (const imp of childrenNamed(node, WSDL_NS, 'import')) {
      const location = attr(imp, 'location');
      if (!location) continue;
      const target = this.locate(imp, location, attr(imp, 'namespace'), 'wsdl:import');
      if (!target) continue;
      this.guard(attr(imp, 'namespace'), () => {
        const root = this.read(target, imp);
        if (root.ns === WSDL_NS && root.local === 'definitions') this.addWsdl(root, target);
        else if (root.ns === XSD_NS && root.local === 'schema') this.addSchema(root, target, undefined);
        else throw new LoadError(imp.pos, `wsdl:import ${location} is neither a WSDL nor an XML Schema`);
      });
    }
    for (const types of childrenNamed(node, WSDL_NS, 'types')) {
      for (const schema of childrenNamed(types, XSD_NS, 'schema')) this.addSchema(schema, file, undefined);
    }
  }

  /**
   * Registers one schema document and follows its includes and imports.
   * `includerNs` is set for an include: a schema without targetNamespace takes it (chameleon).
   */
  private addSchema(node: SNode, file: string, includerNs: string | undefined): void {
    const own = attr(node, 'targetNamespace');
    const tns = own ?? includerNs ?? '';
    const key = `${file}#${node.pos.line}:${node.pos.col}#${tns}`;
    if (this.seenSchemas.has(key)) return;
    this.seenSchemas.add(key);
    this.result.schemas.push({
      node,
      file,
      targetNamespace: tns,
      chameleon: own === undefined && includerNs !== undefined && includerNs !== '',
      elementQualified: attr(node, 'elementFormDefault') === 'qualified',
      attributeQualified: attr(node, 'attributeFormDefault') === 'qualified',
    });
    for (const child of node.children) {
      if (child.ns !== XSD_NS) continue;
      const isInclude = child.local === 'include' || child.local === 'redefine' || child.local === 'override';
      if (!isInclude && child.local !== 'import') continue;
      const location = attr(child, 'schemaLocation');
      if (!location) continue;
      const target = this.locate(child, location, attr(child, 'namespace'), `xsd:${child.local}`);
      if (!target) continue;
      this.guard(isInclude ? tns : attr(child, 'namespace'), () => {
        const root = this.read(target, child);
        if (!(root.ns === XSD_NS && root.local === 'schema')) {
          // Some WSDLs import another WSDL's schemas through xsd:import.
          if (root.ns === WSDL_NS && root.local === 'definitions' && !isInclude) return this.addWsdl(root, target);
          throw new LoadError(child.pos, `${location} is not an XML Schema (root {${root.ns}}${root.local})`);
        }
        if (isInclude) {
          const inc = attr(root, 'targetNamespace');
          if (inc !== undefined && inc !== tns)
            throw new LoadError(
              child.pos,
              `included schema ${location} has targetNamespace "${inc}", expected "${tns}" (use xsd:import)`,
            );
          this.addSchema(root, target, tns);
        } else this.addSchema(root, target, undefined);
      });
    }
  }

  /** Resolves a location to a local file, or reports why it is skipped. */
  private locate(
    at: SNode,
    location: string,
    namespace: string | undefined,
    what: string,
  ): string | undefined {
    if (/^[a-z][a-z0-9+.-]*:\/\//i.test(location) && !location.startsWith('file:')) {
      if (namespace && WELL_KNOWN_NS.has(namespace)) return undefined;
      const msg =
        `${what} of remote location ${location} is not fetched (the bridge never loads schemas over the ` +
        'network); save it beside the WSDL and reference it by relative path';
      this.diags.warn(at.pos, msg);
      return undefined;
    }
    let rel = location;
    if (location.startsWith('file:')) {
      try {
        return new URL(location).pathname;
      } catch {
        rel = location.slice(5);
      }
    }
    let decoded = rel;
    try {
      decoded = decodeURI(rel);
    } catch {
      /* keep as written */
    }
    return path.resolve(path.dirname(at.pos.file), decoded);
  }

  /** Loads an imported document (of namespace `ns`); its failure is reported and what depends on it is disabled. */
  private guard(ns: string | undefined, fn: () => void): void {
    try {
      fn();
    } catch (e) {
      if (!(e instanceof LoadError)) throw e;
      this.diags.warn(e.pos, `${e.message}; definitions from it are unavailable`);
      if (e instanceof UnreadableFile && ns !== undefined && !this.result.unreadable.has(ns.trim())) this.result.unreadable.set(ns.trim(), e.message);
      else if (!(e instanceof UnreadableFile) && !this.result.unusable.has(e.pos.file)) this.result.unusable.set(e.pos.file, e.message);
    }
  }
}

/** Loads a WSDL and its imports. Problems go to `diags`; a fatal one returns undefined. */
export function loadDocuments(entry: string, diags: Diagnostics): LoadedDocuments | undefined {
  const loader = new DocumentLoader(path.resolve(entry), diags);
  try {
    loader.loadEntry(path.resolve(entry));
  } catch (e) {
    if (e instanceof LoadError) {
      diags.error(e.pos, e.message);
      return undefined;
    }
    throw e;
  }
  return loader.result;
}
