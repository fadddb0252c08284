/**
 * SOAP header blocks the REST facade adds to its requests (`soapHeaders:` in mapping.yaml): a
 * global element of the WSDL's schemas, filled from request headers, query parameters,
 * constants and `${ENV}` values, validated against the element's schema and written by the
 * element's compiled encoder. A block made only of constants is built and checked once, at load.
 */
import type { ValidateFunction } from 'ajv';
import { violationsOf } from '../compile/ajv';
import type { ElementEncoder } from '../compile/encoder';
import { BridgeError, type ProblemItem } from '../errors/catalogue';
import type { ElementDecl, QName } from '../model/xsd';
import { clark } from '../model/xsd';
import type { SchemaSet } from '../compile/xsd';
import type { Transform, RequestParts } from './transform';
import { didYouMean } from './index';

export interface HeaderBlock {
  /** `{ns}local` of the element, for messages. */
  readonly name: string;
  /** The block's XML, or a VALIDATION_FAILED BridgeError naming the parameters at fault. */
  build(parts: RequestParts): string;
}

/** Finds a global element named `{ns}local` or, when only one namespace has it, `local`. */
export function findElement(schemas: SchemaSet, name: string): { decl: ElementDecl } | { error: string } {
  const all = schemas.elementNames();
  let q: QName | undefined;
  const m = /^\{([^}]*)\}(.+)$/.exec(name);
  if (m) q = { ns: m[1], local: m[2] };
  else {
    const matches = all.filter((k) => k === name || k.endsWith(`}${name}`));
    if (matches.length > 1) return { error: `element "${name}" is declared in several namespaces (${matches.join(', ')}); write it as {namespace}${name}` };
    if (matches.length === 1) {
      const mm = /^\{([^}]*)\}(.+)$/.exec(matches[0]);
      q = mm ? { ns: mm[1], local: mm[2] } : { ns: '', local: matches[0] };
    }
  }
  const decl = q ? schemas.elementByName(q) : undefined;
  if (decl) return { decl };
  const locals = all.map((k) => k.replace(/^\{[^}]*\}/, ''));
  const hint = didYouMean(m ? m[2] : name, locals);
  return { error: `no global element "${name}" in the WSDL's schemas${hint ? ` (did you mean "${hint}"?)` : ''}` };
}

/** Problems of a header value, each traced to the request parameter it came from where it did. */
function problems(validate: ValidateFunction, transform: Transform, value: unknown): ProblemItem[] {
  if (validate(value)) return [];
  return violationsOf(validate.errors).map((v) => {
    const o = transform.origin(v.pointer);
    return 'pointer' in o ? { pointer: o.pointer, detail: v.detail } : { in: o.in, parameter: o.parameter, detail: v.detail };
  });
}

export function headerBlock(decl: ElementDecl, transform: Transform, validate: ValidateFunction, encode: ElementEncoder, mustUnderstand: string | undefined): HeaderBlock & { constant?: string; constantProblems?: ProblemItem[] } {
  const name = clark(decl.name);
  const write = (value: unknown): string => {
    const xml = encode(value);
    // The encoder writes `<prefix:local…`; mustUnderstand goes right after the tag name.
    return mustUnderstand ? xml.replace(/^<([^\s/>]+)/, `<$1 soap:mustUnderstand="${mustUnderstand}"`) : xml;
  };
  const onlyConstants = transform.params.length === 0;
  if (onlyConstants) {
    const value = transform.apply(undefined);
    const found = problems(validate, transform, value);
    const xml = found.length ? '' : write(value);
    return {
      name,
      constant: xml,
      constantProblems: found,
      build() {
        if (found.length) throw new BridgeError('INTERNAL', `the SOAP header ${name} of the mapping is not valid`);
        return xml;
      },
    };
  }
  return {
    name,
    build(parts) {
      const value = transform.apply(undefined, parts);
      const found = problems(validate, transform, value);
      if (found.length) {
        const errors = found.map((p) => ('pointer' in p && p.pointer !== undefined ? { ...p, detail: `SOAP header ${decl.name.local}${p.pointer}: ${p.detail}` } : p));
        throw new BridgeError('VALIDATION_FAILED', `the SOAP header ${decl.name.local} cannot be built from this request (${found.length} problem${found.length === 1 ? '' : 's'})`, { errors });
      }
      return write(value);
    },
  };
}
