import type { IncomingMessage } from 'node:http';
import { TextDecoder } from 'node:util';
import { BridgeError } from '../errors/catalogue';
import { DEFAULT_JSON_MAX_DEPTH, jsonDepthMessage, jsonTooDeep } from '../json/depth';

/** Reads a request body up to `limit` bytes; a larger one is a 413 and is not read further. */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) {
    return Promise.reject(new BridgeError('PAYLOAD_TOO_LARGE', `the body is ${declared} bytes; the limit is ${limit}`));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const finish = (err?: Error): void => {
      if (done) return;
      done = true;
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('close', onClose);
      if (err) reject(err);
      else resolve(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, size));
    };
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > limit) {
        req.pause();
        finish(new BridgeError('PAYLOAD_TOO_LARGE', `the body is over the ${limit}-byte limit`));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = (): void => finish();
    const onError = (e: Error): void => finish(e);
    // The client went away before the end of its body: nobody is left to answer.
    const onClose = (): void => {
      if (!req.complete) finish(new BridgeError('MALFORMED_JSON', 'the request body was cut off before its end'));
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('close', onClose);
  });
}

const JSON_TYPE = /^application\/(?:[\w.+-]+\+)?json$/i;

/** Accepts application/json (and +json types) in UTF-8 only. */
export function checkJsonContentType(header: string | undefined): void {
  if (!header) throw new BridgeError('UNSUPPORTED_MEDIA_TYPE', 'send the body with Content-Type: application/json');
  const [type, ...params] = header.split(';').map((s) => s.trim());
  if (!JSON_TYPE.test(type)) throw new BridgeError('UNSUPPORTED_MEDIA_TYPE', `Content-Type ${type} is not accepted; send application/json`);
  for (const p of params) {
    const m = /^charset\s*=\s*"?([^"]+)"?$/i.exec(p);
    if (m && !/^utf-?8$/i.test(m[1])) throw new BridgeError('UNSUPPORTED_MEDIA_TYPE', `charset ${m[1]} is not accepted; send UTF-8`);
  }
}

/** Parses a JSON body; a syntax error, or nesting deeper than `maxDepth`, is a 400 that says where. */
export function parseJson(buf: Buffer, maxDepth: number = DEFAULT_JSON_MAX_DEPTH): unknown {
  const text = buf.toString('utf8');
  if (text.indexOf('\uFFFD') >= 0) {
    // U+FFFD may be in the text itself; only malformed bytes are refused.
    try {
      new TextDecoder('utf-8', { fatal: true }).decode(buf);
    } catch {
      throw new BridgeError('MALFORMED_JSON', 'the body is not valid UTF-8');
    }
  }
  if (text.trim() === '') throw new BridgeError('MALFORMED_JSON', 'the body is empty; send the operation input as a JSON object');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new BridgeError('MALFORMED_JSON', `the body is not valid JSON: ${(e as Error).message}`);
  }
  const deep = jsonTooDeep(text, maxDepth);
  if (deep >= 0) throw new BridgeError('MALFORMED_JSON', `the body is refused: ${jsonDepthMessage(maxDepth, deep)}`);
  return value;
}
