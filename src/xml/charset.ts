/**
 * Character encodings of XML bytes: a charset parameter wins, then a BOM, then the XML
 * declaration, then UTF-8 (RFC 7303). Decoding is fatal: malformed bytes are an error,
 * never replacement characters.
 */

import { TextDecoder } from 'node:util';

export class CharsetError extends Error {}

function sniff(buf: Uint8Array): { encoding: string; skip: number } {
  if (buf.length >= 3 && buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf) return { encoding: 'utf-8', skip: 3 };
  if (buf.length >= 2 && buf[0] === 0xff && buf[1] === 0xfe) return { encoding: 'utf-16le', skip: 2 };
  if (buf.length >= 2 && buf[0] === 0xfe && buf[1] === 0xff) return { encoding: 'utf-16be', skip: 2 };
  const head = Buffer.from(buf.subarray(0, 200)).toString('latin1');
  const m = /^\s*<\?xml[^>]*\bencoding\s*=\s*["']([A-Za-z0-9._-]+)["']/.exec(head);
  return { encoding: m ? m[1] : 'utf-8', skip: 0 };
}

/** The `charset` parameter of a Content-Type header, if any. */
export function charsetOf(contentType: string | undefined): string | undefined {
  if (!contentType) return undefined;
  const m = /;\s*charset\s*=\s*"?([^";\s]+)"?/i.exec(contentType);
  return m ? m[1] : undefined;
}

/** Decodes XML bytes to text; throws CharsetError for unknown encodings or malformed bytes. */
export function decodeXml(buf: Uint8Array, declaredCharset?: string): string {
  const sniffed = sniff(buf);
  let encoding = declaredCharset ?? sniffed.encoding;
  if (encoding.toLowerCase() === 'utf8') encoding = 'utf-8';
  const skip = declaredCharset && !/^utf-?(8|16)/i.test(declaredCharset) ? 0 : sniffed.skip;
  // Fast path: ASCII/UTF-8 without BOM, the common case.
  if (skip === 0 && /^utf-?8$/i.test(encoding) && buf instanceof Buffer) {
    const text = buf.toString('utf8');
    if (text.indexOf('\uFFFD') < 0) return text;
  }
  let decoder: TextDecoder;
  try {
    decoder = new TextDecoder(encoding, { fatal: true });
  } catch {
    throw new CharsetError(`unsupported character encoding "${encoding}"`);
  }
  try {
    return decoder.decode(buf.subarray(skip));
  } catch {
    throw new CharsetError(`bytes are not valid ${encoding}`);
  }
}
