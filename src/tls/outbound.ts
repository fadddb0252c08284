/**
 * Outbound TLS of a backend (mapping key `tls`): the CA to trust, the client certificate and
 * key (mTLS), SNI and the lowest TLS version. The files are read and checked when the bundle
 * loads (missing, not PEM, key not matching the certificate, wrong passphrase, expired client
 * certificate); requests get ready tls.connect options and an identity (a hash of the settings)
 * that keeps backends with different settings in separate connection pools.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import tls from 'node:tls';
import type { Diagnostics } from '../compile/diagnostics';
import { registerSecret } from '../log/redact';
import type { SourcePos } from '../model/xsd';

/** The `tls` map of mapping.yaml, after `${VAR}` substitution. */
export interface TlsSpec {
  /** PEM file(s) of the CA certificates to trust, relative to the bundle folder. */
  ca?: string | string[];
  /** With `ca`: trust Node's built-in roots too (default false: only `ca`). */
  systemCa?: boolean;
  /** PEM file of the client certificate (and its chain). */
  cert?: string;
  /** PEM file of the client certificate's private key. */
  key?: string;
  /** Passphrase of an encrypted key (a secret: `${VAR}`). */
  passphrase?: string;
  /** Name sent as SNI and checked against the backend's certificate. */
  servername?: string;
  minVersion?: 'TLSv1.2' | 'TLSv1.3';
}

/**
 * What the transport needs: tls.connect options and an identity for the pool key. The options
 * hold the decrypted private key: JSON and util.inspect show the identity only.
 */
export class OutboundTls {
  constructor(
    /** Short sha256 over the settings and the files' contents. */
    readonly id: string,
    readonly connect: tls.ConnectionOptions,
  ) {}

  toJSON(): { id: string } {
    return { id: this.id };
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return `OutboundTls(${this.id})`;
  }
}

/** Client certificates that expire within this many days get a warning. */
export const EXPIRY_WARNING_DAYS = 30;

type At = (string | number)[];

export interface TlsCompileContext {
  /** The bundle folder: relative file names are resolved against it. */
  dir: string;
  /** Where a mapping path is in the file. */
  where: (path: At, key?: boolean) => SourcePos;
  diags: Diagnostics;
  /** Files read (for the hot reload's hash and watcher). */
  files: string[];
  now?: Date;
}

const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----[\s\S]*?-----END \1-----/g;

function label(at: At): string {
  let out = '';
  for (const p of at) out += typeof p === 'number' ? `[${p}]` : out ? `.${p}` : p;
  return out;
}

function readFile(file: string, at: At, ctx: TlsCompileContext): string | undefined {
  const full = path.resolve(ctx.dir, file);
  try {
    const text = fs.readFileSync(full, 'utf8');
    ctx.files.push(full);
    return text;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a folder' : code === 'EACCES' ? 'permission denied' : (code ?? 'cannot be read');
    ctx.diags.error(ctx.where(at), `${label(at)}: cannot read ${file} (${full}): ${why}`);
    return undefined;
  }
}

/** The certificates of a PEM text; an error message when there are none or one is broken. */
function certificates(text: string, file: string): crypto.X509Certificate[] | string {
  const blocks = [...text.matchAll(PEM_BLOCK)];
  const certs = blocks.filter((b) => b[1] === 'CERTIFICATE' || b[1] === 'TRUSTED CERTIFICATE');
  if (certs.length === 0) {
    const kinds = [...new Set(blocks.map((b) => b[1]))];
    return kinds.length ? `${file} holds no certificate (found ${kinds.join(', ')}): give a PEM file with -----BEGIN CERTIFICATE-----` : `${file} is not a PEM file (no -----BEGIN CERTIFICATE----- block; a DER file can be converted with \`openssl x509 -inform der -in FILE -out FILE.pem\`)`;
  }
  const out: crypto.X509Certificate[] = [];
  for (const [i, b] of certs.entries()) {
    try {
      out.push(new crypto.X509Certificate(b[0]));
    } catch {
      return `${file}: certificate ${i + 1} of the file is not a valid PEM certificate`;
    }
  }
  return out;
}

function days(ms: number): number {
  return Math.floor(ms / 86_400_000);
}

function privateKey(text: string, file: string, passphrase: string | undefined): crypto.KeyObject | string {
  if (!/-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----/.test(text)) {
    return `${file} is not a PEM private key (no -----BEGIN … PRIVATE KEY----- block)`;
  }
  const encrypted = /-----BEGIN ENCRYPTED PRIVATE KEY-----|Proc-Type: 4,ENCRYPTED/.test(text);
  if (encrypted && passphrase === undefined) return `${file} is encrypted: set tls.passphrase (from the environment: \${VAR})`;
  try {
    return crypto.createPrivateKey({ key: text, format: 'pem', passphrase: passphrase ?? '' });
  } catch (e) {
    if (encrypted) return `${file} cannot be decrypted: wrong passphrase`;
    return `${file} is not a usable private key (${(e as { code?: string }).code ?? 'unreadable'})`;
  }
}

/**
 * Reads and checks the files of one `tls` map at `at`; problems go to `ctx.diags` (errors make
 * the bundle invalid; an expired or soon expiring client certificate is a warning).
 */
export function compileTls(spec: TlsSpec, at: At, ctx: TlsCompileContext): OutboundTls | undefined {
  const { diags, where } = ctx;
  const before = diags.errors.length;
  // The passphrase came from the environment: never in a log line or an error body.
  if (spec.passphrase) registerSecret(spec.passphrase);
  const connect: tls.ConnectionOptions = {};
  const hash = crypto.createHash('sha256');
  const feed = (name: string, value: string | undefined): void => {
    hash.update(`${name}\0${value ?? ''}\0`);
  };

  if (spec.ca !== undefined) {
    const list = typeof spec.ca === 'string' ? [spec.ca] : spec.ca;
    const pems: string[] = [];
    list.forEach((file, i) => {
      const fat = typeof spec.ca === 'string' ? [...at, 'ca'] : [...at, 'ca', i];
      const text = readFile(file, fat, ctx);
      if (text === undefined) return;
      const certs = certificates(text, file);
      if (typeof certs === 'string') {
        diags.error(where(fat), `${label(fat)}: ${certs}`);
        return;
      }
      for (const c of certs) {
        if (!c.ca) diags.warn(where(fat), `${label(fat)}: ${file} holds a certificate that is not a CA (${c.subject.replace(/\n/g, ', ')}); it can still be trusted as the backend's own certificate`);
        pems.push(c.toString());
        feed('ca', c.fingerprint256);
      }
    });
    connect.ca = spec.systemCa ? [...tls.rootCertificates, ...pems] : pems;
    feed('systemCa', String(spec.systemCa === true));
  } else if (spec.systemCa !== undefined) {
    diags.warn(where([...at, 'systemCa'], true), `${label([...at, 'systemCa'])} has no effect without tls.ca (Node's built-in roots are trusted)`);
  }

  if ((spec.cert === undefined) !== (spec.key === undefined)) {
    const missing = spec.cert === undefined ? 'cert' : 'key';
    diags.error(where(at), `${label(at)}: \`${missing}\` is required with \`${missing === 'cert' ? 'key' : 'cert'}\` (a client certificate needs its private key)`);
  } else if (spec.cert !== undefined && spec.key !== undefined) {
    const certText = readFile(spec.cert, [...at, 'cert'], ctx);
    const keyText = readFile(spec.key, [...at, 'key'], ctx);
    const certs = certText === undefined ? undefined : certificates(certText, spec.cert);
    if (typeof certs === 'string') diags.error(where([...at, 'cert']), `${label([...at, 'cert'])}: ${certs}`);
    const key = keyText === undefined ? undefined : privateKey(keyText, spec.key, spec.passphrase);
    if (typeof key === 'string') {
      const kat = [...at, spec.passphrase !== undefined && key.endsWith('wrong passphrase') ? 'passphrase' : 'key'];
      diags.error(where(kat), `${label(kat)}: ${key}`);
    }
    if (Array.isArray(certs) && key instanceof crypto.KeyObject) {
      const leaf = certs[0];
      if (!leaf.checkPrivateKey(key)) {
        diags.error(where([...at, 'key']), `${label([...at, 'key'])}: ${spec.key} is not the private key of the certificate in ${spec.cert} (${leaf.subject.replace(/\n/g, ', ')})`);
      }
      const now = (ctx.now ?? new Date()).getTime();
      const notAfter = new Date(leaf.validTo).getTime();
      const notBefore = new Date(leaf.validFrom).getTime();
      const cat = where([...at, 'cert']);
      if (notAfter < now) diags.warn(cat, `${label([...at, 'cert'])}: the client certificate in ${spec.cert} expired on ${new Date(notAfter).toISOString()}; backends will refuse it`);
      else if (notAfter - now < EXPIRY_WARNING_DAYS * 86_400_000) diags.warn(cat, `${label([...at, 'cert'])}: the client certificate in ${spec.cert} expires on ${new Date(notAfter).toISOString()} (in ${days(notAfter - now)} days)`);
      else if (notBefore > now) diags.warn(cat, `${label([...at, 'cert'])}: the client certificate in ${spec.cert} is not valid before ${new Date(notBefore).toISOString()}`);
      connect.cert = certText;
      // The decrypted key object: the passphrase is not needed on each connection.
      connect.key = key.export({ format: 'pem', type: 'pkcs8' }) as string;
      feed('cert', certs.map((c) => c.fingerprint256).join(','));
      feed('key', crypto.createHash('sha256').update(connect.key).digest('hex'));
    }
  } else if (spec.passphrase !== undefined) {
    diags.warn(where([...at, 'passphrase'], true), `${label([...at, 'passphrase'])} has no effect without tls.key`);
  }

  if (spec.servername !== undefined && net.isIP(spec.servername)) {
    diags.error(where([...at, 'servername']), `${label([...at, 'servername'])}: give a host name; an IP address cannot be sent as SNI (the URL's IP address is checked when servername is not set)`);
  } else if (spec.servername !== undefined) {
    connect.servername = spec.servername;
    feed('servername', spec.servername);
  }
  if (spec.minVersion !== undefined) {
    connect.minVersion = spec.minVersion;
    feed('minVersion', spec.minVersion);
  }
  if (diags.errors.length > before) return undefined;
  return new OutboundTls(hash.digest('hex').slice(0, 16), connect);
}

/** Whether a URL is plain http:// (where `tls` has no effect). */
export function isPlainHttp(url: string | undefined): boolean {
  return url !== undefined && /^http:\/\//i.test(url);
}
