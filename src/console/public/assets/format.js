// @ts-check
/**
 * Pretty-printing for the console's panes: JSON re-indented, XML laid out one element a line
 * (an element holding only text stays on one line). Display only: the text shown is the text
 * exchanged, with whitespace between tags changed. Pure: runs in the browser and in Node.
 */

/**
 * @param {string} text
 * @returns {string} the JSON with two-space indentation, or the text as it was when it is not JSON
 */
export function prettyJson(text) {
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return text;
  }
}

// Comments, CDATA, processing instructions, declarations, end tags, start/empty tags (quoted
// attribute values may hold ">"), and text between them.
const TOKEN = /<!--[\s\S]*?-->|<!\[CDATA\[[\s\S]*?\]\]>|<\?[\s\S]*?\?>|<![^>]*>|<\/[^>]*>|<(?:[^>"']|"[^"]*"|'[^']*')*>|[^<]+|</g;

/**
 * @param {string} text
 * @returns {string} the XML indented by two spaces a level; the text as it was when it does not look like XML
 */
export function prettyXml(text) {
  const src = text.trim();
  if (!src.startsWith('<')) return text;
  /** @type {string[]} */
  const tokens = src.match(TOKEN) ?? [];
  /** @type {string[]} */
  const lines = [];
  let depth = 0;
  const pad = () => '  '.repeat(Math.max(0, depth));
  for (let k = 0; k < tokens.length; k++) {
    const t = tokens[k];
    if (t.startsWith('</')) {
      depth--;
      lines.push(pad() + t);
    } else if (t.startsWith('<!--') || t.startsWith('<?') || t.startsWith('<!')) {
      lines.push(pad() + t);
    } else if (t.startsWith('<') && t.length > 1) {
      const selfClosing = t.endsWith('/>');
      const text1 = tokens[k + 1];
      const close = tokens[k + 2];
      if (!selfClosing && text1 !== undefined && !text1.startsWith('<') && close?.startsWith('</')) {
        lines.push(pad() + t + text1 + close);
        k += 2;
        continue;
      }
      if (!selfClosing && text1?.startsWith('</')) {
        lines.push(pad() + t + text1);
        k += 1;
        continue;
      }
      lines.push(pad() + t);
      if (!selfClosing) depth++;
    } else if (t.trim() !== '') {
      lines.push(pad() + t.trim());
    }
  }
  return lines.join('\n');
}

/**
 * A body laid out for reading, by its content type or, without one, by its first character.
 * @param {string} body
 * @param {string} [contentType]
 */
export function prettyBody(body, contentType) {
  const ct = (contentType ?? '').toLowerCase();
  const first = body.trimStart()[0];
  if (ct.includes('json') || (!ct.includes('xml') && (first === '{' || first === '['))) return prettyJson(body);
  if (ct.includes('xml') || first === '<') return prettyXml(body);
  return body;
}
