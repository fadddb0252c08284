/**
 * Escaping for the XML the bridge writes. Text escapes '&', '<', '>' (so "]]>" is safe) and CR
 * (as &#13;, which survives line-end normalisation); attribute values also escape quotes and
 * the whitespace characters that attribute normalisation would turn into spaces.
 */
import { INVALID_XML_CHAR } from './reader';

/** Thrown when a value holds a character XML cannot carry at all (e.g. U+0001, a lone surrogate). */
export class UnwritableCharError extends Error {
  constructor(readonly value: string) {
    super('contains a character that XML 1.0 cannot represent');
    this.name = 'UnwritableCharError';
  }
}

const TEXT_SPECIAL = /[&<>\r]/;
const TEXT_SPECIAL_G = /[&<>\r]/g;
const ATTR_SPECIAL = /[&<>"\r\n\t]/;
const ATTR_SPECIAL_G = /[&<>"\r\n\t]/g;

const TEXT_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '\r': '&#13;' };
const ATTR_ESCAPES: Record<string, string> = { ...TEXT_ESCAPES, '"': '&quot;', '\n': '&#10;', '\t': '&#9;' };

export function escapeText(s: string): string {
  if (INVALID_XML_CHAR.test(s)) throw new UnwritableCharError(s);
  return TEXT_SPECIAL.test(s) ? s.replace(TEXT_SPECIAL_G, (c) => TEXT_ESCAPES[c]) : s;
}

export function escapeAttr(s: string): string {
  if (INVALID_XML_CHAR.test(s)) throw new UnwritableCharError(s);
  return ATTR_SPECIAL.test(s) ? s.replace(ATTR_SPECIAL_G, (c) => ATTR_ESCAPES[c]) : s;
}
