/**
 * Writing WSDL text into mapping.yaml: comments stay on one line, scalars read back as written,
 * field paths take the JSON Pointer form where a name holds a dot.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'mocha';
import { parseDocument } from 'yaml';
import { parseFieldPath, parseSource } from '../../src/mapping/fields';
import { alignComments, bodySourceText, fieldPathText, mappableName, oneLine, yamlScalar } from '../../src/scaffold/yaml-text';

describe('scaffold/yaml-text', () => {
  it('oneLine: every kind of line break becomes a space, controls go, long text is cut on a code point', () => {
    assert.equal(oneLine('a\nb\r\nc\u0085d\u2028e\u2029f\tg\vh\fi'), 'a b c d e f g h i');
    assert.equal(oneLine('\ufeffx\u0000y\u0007z\u009b'), 'xyz');
    assert.equal(oneLine('  lots   of    space  '), 'lots of space');
    assert.equal(oneLine('lone \ud800 surrogate \udc00 halves'), 'lone surrogate halves');
    assert.equal(oneLine('😀'.repeat(10), 5), '😀😀😀😀…');
    assert.equal(oneLine('abcdef', 6), 'abcdef');
  });

  it('yamlScalar: reads back as the same string, quoted only where it must be', () => {
    const plain = ['Add', 'body.intA', '$value', 'body.@id', 'POST /orders/{id}', '/a.b/c', 'Get-Item.v2', 'é'];
    const quoted = ['null', 'true', '@id', '1.5', '~', '', 'a: b', 'x #y', '{x}', '[x]', '*x', '&x', '!x', '%x', '|x', '>x', "'x", '"x', '- x', '? x'];
    for (const v of plain) assert.equal(yamlScalar(v), v);
    for (const v of [...plain, ...quoted]) {
      const line = `key: ${yamlScalar(v)}`;
      assert.deepEqual(parseDocument(line).toJS(), { key: v }, line);
      assert.deepEqual(parseDocument(`${yamlScalar(v)}: 1`).toJS(), { [v]: 1 }, `${v} as a key`);
    }
    for (const v of quoted.filter((x) => x !== '')) assert.notEqual(yamlScalar(v), v, v);
    assert.throws(() => yamlScalar('a\nb'), /line break/);
  });

  it('field paths and sources parse back to the same names', () => {
    const cases = [['a'], ['a', 'b'], ['a.b'], ['a', 'b.c', 'd'], ['@id', '$value'], ['x/y', 'z~w']];
    for (const p of cases) {
      assert.deepEqual(parseFieldPath(fieldPathText(p)), p, fieldPathText(p));
      assert.deepEqual(parseSource(bodySourceText(p)), { kind: 'body', path: p }, bodySourceText(p));
    }
    assert.equal(fieldPathText(['a', 'b']), 'a.b');
    assert.equal(fieldPathText(['a', 'b.c']), '/a/b.c');
    assert.equal(bodySourceText(['a', 'b.c']), 'body/a/b.c');
    assert.equal(bodySourceText([]), 'body');
  });

  it('mappableName: refuses the names mapping paths refuse, and names that cannot sit on one line', () => {
    for (const n of ['__proto__', 'constructor', 'prototype', '', 'a\nb', 'a\u2028b', 'tab\there']) assert.equal(mappableName(n), false, JSON.stringify(n));
    for (const n of ['a', 'a.b', '@id', '$value', 'Größe']) assert.equal(mappableName(n), true, n);
    assert.throws(() => parseFieldPath('constructor'));
  });

  it('alignComments: lines up trailing comments, up to a cap', () => {
    assert.deepEqual(alignComments([{ text: 'a: 1', comment: 'x' }, { text: 'bbb: 2', comment: 'y' }, { text: '## note' }], '  '), ['  a: 1    # x', '  bbb: 2  # y', '  ## note']);
    const long = alignComments([{ text: 'x'.repeat(60), comment: 'c' }, { text: 'y', comment: 'd' }], '', 10);
    assert.equal(long[0], `${'x'.repeat(60)}  # c`);
    assert.equal(long[1], `y${' '.repeat(9)}  # d`);
  });
});
