/**
 * The JSON nesting limit. JSON.parse itself copes with deep documents, but everything after it
 * (validation, shaping, encoding) walks values recursively, so a body nested thousands of levels
 * deep is refused before any of that sees it.
 */

/** The environment variable that sets the limit (src/config maps it). */
export const JSON_DEPTH_ENV = 'JSON_MAX_DEPTH';
export const DEFAULT_JSON_MAX_DEPTH = 128;

/**
 * The offset of the first `[` or `{` that opens a level deeper than `max` in JSON text that
 * JSON.parse has accepted, or -1 when there is none. One scan of the text, skipping strings;
 * text shorter than `max` cannot hold such nesting and is not scanned.
 */
export function jsonTooDeep(text: string, max: number): number {
  if (text.length <= max) return -1;
  let depth = 0;
  const len = text.length;
  for (let i = 0; i < len; i++) {
    const c = text.charCodeAt(i);
    if (c === 34 /* " */) {
      // Skip the string: a quote preceded by a backslash is escaped.
      for (i++; i < len; i++) {
        const d = text.charCodeAt(i);
        if (d === 92 /* \ */) i++;
        else if (d === 34) break;
      }
    } else if (c === 91 /* [ */ || c === 123 /* { */) {
      if (++depth > max) return i;
    } else if (c === 93 /* ] */ || c === 125 /* } */) {
      depth--;
    }
  }
  return -1;
}

/** The message of a refusal: "JSON nesting depth exceeds JSON_MAX_DEPTH (128)". */
export function jsonDepthMessage(max: number, offset: number): string {
  return `JSON nesting depth exceeds ${JSON_DEPTH_ENV} (${max}) at offset ${offset}`;
}
