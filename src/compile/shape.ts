/**
 * The JSON shape of a complex type (CONTRACT §4): which properties it has, which are arrays,
 * which are attributes, where choices are. Computed once per type and shared by the JSON
 * Schema generator and the codec so the two can never disagree.
 */
import { LoadError } from './diagnostics';
import type { AnyParticle, AttributeUse, ComplexType, ElementDecl, Particle, SimpleType } from '../model/xsd';

export interface ElementProp {
  jsonName: string;
  decl: ElementDecl;
  /** Occurrence bounds once the enclosing groups are multiplied in. */
  min: number;
  max: number;
  array: boolean;
  /** Required at the level of its group (outside a choice: required in the object). */
  required: boolean;
  /** Inside an alternative of an xs:choice: absent (not []) when another alternative is taken. */
  inChoice: boolean;
  index: number;
}

export interface AttrProp {
  jsonName: string;
  use: AttributeUse;
}

/** A level of the content model for JSON Schema: plain properties plus nested choices. */
export interface ShapeGroup {
  props: ElementProp[];
  choices: ShapeChoice[];
  /**
   * Repeating choices of single elements (such as a reference to a substitution group's head
   * with maxOccurs > 1): the number of their elements, all alternatives together, is within
   * the choice's occurrences.
   */
  occurs?: ShapeOccurs[];
}

export interface ShapeOccurs {
  names: string[];
  min: number;
  max: number;
}

export interface ShapeChoice {
  branches: ShapeGroup[];
  optional: boolean;
}

export interface TypeShape {
  /**
   * 'scalar': simple content without attributes, the JSON value is the simple value itself.
   * 'array': a SOAP-encoded array (restriction of soapenc:Array), a JSON array of `item` values.
   */
  kind: 'scalar' | 'object' | 'array';
  /** For 'array': the member accessor. */
  item?: ElementDecl;
  type: ComplexType;
  valueType?: SimpleType;
  attrs: AttrProp[];
  elements: ElementProp[];
  root: ShapeGroup;
  /** Content allowed by xs:any is carried in `$any`. */
  any?: AnyParticle['namespaces'][];
  mixed: boolean;
}

const shapes = new WeakMap<ComplexType, TypeShape>();

function typeLabel(t: ComplexType): string {
  return t.name ? t.name.local : 'anonymous type';
}

export function shapeOf(t: ComplexType): TypeShape {
  const known = shapes.get(t);
  if (known) return known;
  const elements: ElementProp[] = [];
  const byName = new Map<string, ElementProp>();
  const any: AnyParticle['namespaces'][] = [];
  const pos = t.pos ?? { file: '', line: 0, col: 0 };
  const root: ShapeGroup = { props: [], choices: [] };

  const addElement = (p: Particle & { kind: 'element' }, min: number, max: number, group: ShapeGroup): void => {
    const jsonName = p.jsonName ?? p.decl.name.local;
    const existing = byName.get(jsonName);
    if (existing) {
      const sameDecl = existing.decl.type === p.decl.type && existing.decl.name.ns === p.decl.name.ns;
      if (!sameDecl)
        throw new LoadError(
          p.decl.pos ?? pos,
          `${typeLabel(t)} has two different elements named "${jsonName}"; their JSON properties would collide`,
        );
      existing.max = existing.max === Infinity || max === Infinity ? Infinity : Math.max(existing.max, max);
      existing.array ||= max > 1;
      if (!group.props.includes(existing)) group.props.push(existing);
      return;
    }
    const prop: ElementProp = { jsonName, decl: p.decl, min, max, array: max > 1, required: min >= 1, inChoice: group !== root, index: elements.length };
    elements.push(prop);
    byName.set(jsonName, prop);
    group.props.push(prop);
  };

  const walk = (p: Particle, minMul: number, maxMul: number, group: ShapeGroup): void => {
    const min = minMul * p.min;
    const max = p.max === 0 || maxMul === 0 ? 0 : maxMul * p.max;
    if (max === 0) return;
    switch (p.kind) {
      case 'element':
        return addElement(p, min, max, group);
      case 'any':
        any.push(p.namespaces);
        return;
      case 'sequence':
      case 'all':
        for (const item of p.items) walk(item, min, max, group);
        return;
      case 'choice': {
        if (max > 1) {
          // A repeating choice: every alternative may occur, each becomes an optional array.
          const before = elements.length;
          for (const item of p.items) walk(item, 0, max, group);
          // When each alternative is one element of its own, their count is the choice's.
          const single = p.items.every((i) => i.kind === 'element' && i.min === 1 && i.max === 1);
          const fresh = elements.length - before === p.items.length;
          if (single && fresh && (min > 0 || max !== Infinity)) {
            const names = elements.slice(before).map((e) => e.jsonName);
            (group.occurs ??= []).push({ names, min, max });
          }
          return;
        }
        const choice: ShapeChoice = { branches: [], optional: min === 0 };
        for (const item of p.items) {
          const branch: ShapeGroup = { props: [], choices: [] };
          walk(item, 1, max, branch);
          if (branch.props.length === 0 && branch.choices.length === 0) choice.optional = true;
          else {
            choice.branches.push(branch);
            if (!branch.props.some((x) => x.required) && branch.choices.every((c) => c.optional)) choice.optional = true;
          }
        }
        if (choice.branches.length === 1 && !choice.optional) {
          // A choice of one: simply its content.
          for (const prop of choice.branches[0].props) prop.inChoice = group !== root;
          group.props.push(...choice.branches[0].props);
          group.choices.push(...choice.branches[0].choices);
          if (choice.branches[0].occurs) (group.occurs ??= []).push(...choice.branches[0].occurs);
        } else if (choice.branches.length === 1 && choice.optional) {
          // One real alternative that may be left out: its properties are simply optional.
          for (const prop of choice.branches[0].props) {
            prop.required = false;
            prop.inChoice = group !== root;
            group.props.push(prop);
          }
          group.choices.push(...choice.branches[0].choices);
          // Left out, its elements number none: only the upper bound still holds.
          for (const o of choice.branches[0].occurs ?? []) if (o.max !== Infinity) (group.occurs ??= []).push({ ...o, min: 0 });
        } else if (choice.branches.length > 0) group.choices.push(choice);
        return;
      }
    }
  };

  const content = t.content;
  if (content.kind === 'elements') walk(content.particle, 1, 1, root);

  const attrs: AttrProp[] = [];
  const attrNames = new Set<string>();
  for (const use of t.attributes) {
    const jsonName = byName.has(use.name.local) ? `@${use.name.local}` : use.name.local;
    if (attrNames.has(jsonName))
      throw new LoadError(pos, `${typeLabel(t)} has two attributes named "${use.name.local}" in different namespaces`);
    attrNames.add(jsonName);
    attrs.push({ jsonName, use });
  }

  const shape: TypeShape = {
    kind: t.soapArray ? 'array' : content.kind === 'simple' && attrs.length === 0 ? 'scalar' : 'object',
    item: t.soapArray?.item,
    type: t,
    valueType: content.kind === 'simple' ? content.type : undefined,
    attrs,
    elements,
    root,
    any: any.length ? any : undefined,
    mixed: content.kind === 'elements' && content.mixed,
  };
  shapes.set(t, shape);
  return shape;
}

/** Whether a namespace is admitted by one of the wildcards. */
export function wildcardAdmits(wildcards: AnyParticle['namespaces'][], ns: string): boolean {
  return wildcards.some((w) => (w.mode === 'any' ? true : w.mode === 'not' ? !w.ns.includes(ns) : w.ns.includes(ns)));
}
