import type { ComplexType, ElementDecl, QName, SourcePos } from './xsd';

export type SoapVersion = '1.1' | '1.2';

/**
 * How a message's JSON form relates to the SOAP Body:
 * - wrapped: one part, an element named like the operation; JSON is that element's content.
 * - rpc: Body holds an element named after the operation; each part is a child; JSON has one
 *   property per part.
 * - bare: Body holds each part's element directly; JSON has one property per part.
 * In all three the JSON is the content of `type` (synthetic for rpc and bare).
 */
export interface MessageShape {
  style: 'wrapped' | 'bare' | 'rpc';
  /** The element written directly inside Body (wrapped and rpc); absent for bare. */
  wrapper?: QName;
  type: ComplexType;
  /** rpc/encoded: parts carry xsi:type (use="encoded"). */
  encoded: boolean;
}

export interface FaultShape {
  name: string;
  element?: ElementDecl;
}

export interface OperationModel {
  name: string;
  soapVersion: SoapVersion;
  /** soap:operation/@soapAction, '' when absent. */
  soapAction: string;
  style: 'document' | 'rpc';
  input: MessageShape;
  /** Absent for one-way operations. */
  output?: MessageShape;
  faults: FaultShape[];
  /** soap:address of the port that exposes the binding, when the WSDL has one. */
  address?: string;
  binding: QName;
  documentation?: string;
  pos: SourcePos;
}
