/**
 * Fault mapping, both directions:
 * - REST facade: a backend's SOAP Fault (code, fault string, detail element) -> HTTP status and
 *   problem type/title, first matching rule wins (the operation's rules before the bundle's);
 * - SOAP facade: a JSON service's HTTP status (404, or a class like 4xx) -> fault code and subcode.
 */
import type { FaultInfo } from '../errors/catalogue';
import type { SourcePos } from '../model/xsd';
import type { FaultRuleSpec, MappingPath, SoapFaultRuleSpec, Where } from './index';
import { didYouMean, formatPath } from './index';

export interface ProblemOverride {
  status: number;
  type?: string;
  title?: string;
}

export interface FaultRule {
  matches(fault: FaultInfo, detailElements: string[]): boolean;
  problem: ProblemOverride;
}

export interface SoapFaultRule {
  matches(status: number): boolean;
  /** 'Client' or 'Server' (written as Sender/Receiver in SOAP 1.2). */
  code: 'Client' | 'Server';
  subcode?: string;
}

interface Ctx {
  where: Where;
  report: { error(pos: SourcePos, message: string): void; warn(pos: SourcePos, message: string): void };
}

/** `Server.Timeout` matches a fault whose code is Server.Timeout; `Server` matches Server and Server.*; subcodes count too. */
function codeMatcher(want: string): (f: FaultInfo) => boolean {
  return (f) => {
    const codes = [f.code, ...(f.subcodes ?? [])];
    return codes.some((c) => c === want || c.startsWith(`${want}.`));
  };
}

export function compileFaultRules(specs: FaultRuleSpec[] | undefined, at: MappingPath, declaredDetails: string[] | undefined, ctx: Ctx): FaultRule[] {
  const out: FaultRule[] = [];
  (specs ?? []).forEach((spec, i) => {
    const path = [...at, i];
    const tests: ((f: FaultInfo, details: string[]) => boolean)[] = [];
    if (spec.code !== undefined) {
      const code = spec.code.includes(':') ? spec.code.slice(spec.code.indexOf(':') + 1) : spec.code;
      const m = codeMatcher(code);
      tests.push((f) => m(f));
    }
    if (spec.string !== undefined) {
      let re: RegExp;
      try {
        re = new RegExp(spec.string, 'u');
      } catch (e) {
        ctx.report.error(ctx.where([...path, 'string']), `${formatPath([...path, 'string'])}: not a valid regular expression: ${(e as Error).message}`);
        return;
      }
      tests.push((f) => re.test(f.string));
    }
    if (spec.detail !== undefined) {
      const name = spec.detail;
      if (declaredDetails && declaredDetails.length && !declaredDetails.includes(name)) {
        const hint = didYouMean(name, declaredDetails);
        ctx.report.warn(ctx.where([...path, 'detail']), `${formatPath([...path, 'detail'])}: no fault of ${at.length > 2 ? `operation ${String(at[1])}` : 'this service'} declares a detail element "${name}"${hint ? ` (did you mean "${hint}"?)` : ` (declared: ${declaredDetails.join(', ')})`}`);
      }
      tests.push((_f, details) => details.includes(name));
    }
    out.push({
      matches: (f, details) => tests.every((t) => t(f, details)),
      problem: { status: spec.status, type: spec.type, title: spec.title },
    });
  });
  return out;
}

export function compileSoapFaultRules(specs: SoapFaultRuleSpec[] | undefined): SoapFaultRule[] {
  return (specs ?? []).map((spec) => {
    const s = String(spec.status);
    const matches = /xx$/.test(s) ? (status: number) => Math.floor(status / 100) === Number(s[0]) : (status: number) => status === Number(s);
    const code = spec.code === 'Client' || spec.code === 'Sender' ? 'Client' : 'Server';
    return { matches, code, subcode: spec.subcode };
  });
}

/** The first rule that matches a fault, if any. */
export function matchFault(rules: readonly FaultRule[], fault: FaultInfo): ProblemOverride | undefined {
  if (rules.length === 0) return undefined;
  const details = fault.detail && typeof fault.detail === 'object' ? Object.keys(fault.detail as object) : [];
  return rules.find((r) => r.matches(fault, details))?.problem;
}
