/**
 * Generated WSDLs of any number of operations, for the big-WSDL benchmark (bench/big-wsdl.ts)
 * and the test that a 1,000-operation WSDL compiles whole. Document/literal wrapped, one SOAP 1.1
 * and one SOAP 1.2 binding; every operation has its own request and response elements with a
 * few fields, and uses some of the shared complex types (an address, an amount with a currency
 * attribute, a status enumeration, a line item with a choice, a recursive node).
 */
import fs from 'node:fs';
import path from 'node:path';

export const BIG_NS = 'urn:soap-bridge:bench:big';

/** `Op00042`: operation names sort in creation order. */
export function opName(i: number): string {
  return `Op${String(i).padStart(5, '0')}`;
}

const SHARED_TYPES = `
      <xs:simpleType name="Status">
        <xs:restriction base="xs:string">
          <xs:enumeration value="NEW"/><xs:enumeration value="PAID"/><xs:enumeration value="SHIPPED"/>
        </xs:restriction>
      </xs:simpleType>
      <xs:simpleType name="Code">
        <xs:restriction base="xs:string"><xs:pattern value="[A-Z]{3}-[0-9]{4}"/></xs:restriction>
      </xs:simpleType>
      <xs:complexType name="Address">
        <xs:sequence>
          <xs:element name="street" type="xs:string"/>
          <xs:element name="city" type="xs:string"/>
          <xs:element name="zip" minOccurs="0">
            <xs:simpleType><xs:restriction base="xs:string"><xs:length value="5"/></xs:restriction></xs:simpleType>
          </xs:element>
          <xs:element name="country" type="xs:string" minOccurs="0"/>
        </xs:sequence>
      </xs:complexType>
      <xs:complexType name="Amount">
        <xs:simpleContent>
          <xs:extension base="xs:decimal"><xs:attribute name="currency" type="xs:string" use="required"/></xs:extension>
        </xs:simpleContent>
      </xs:complexType>
      <xs:complexType name="Item">
        <xs:sequence>
          <xs:element name="code" type="tns:Code"/>
          <xs:element name="quantity" type="xs:int"/>
          <xs:element name="price" type="tns:Amount"/>
          <xs:choice>
            <xs:element name="note" type="xs:string"/>
            <xs:element name="ref" type="xs:long"/>
          </xs:choice>
        </xs:sequence>
        <xs:attribute name="line" type="xs:int"/>
      </xs:complexType>
      <xs:complexType name="Node">
        <xs:sequence>
          <xs:element name="label" type="xs:string"/>
          <xs:element name="child" type="tns:Node" minOccurs="0" maxOccurs="unbounded"/>
        </xs:sequence>
      </xs:complexType>`;

/** The request and response elements of operation i: a few fields, some of the shared types. */
function elements(i: number): string {
  const n = opName(i);
  const shared = i % 3 === 0 ? '<xs:element name="address" type="tns:Address" minOccurs="0"/>' : i % 3 === 1 ? '<xs:element name="item" type="tns:Item" minOccurs="0" maxOccurs="unbounded"/>' : '<xs:element name="tree" type="tns:Node" minOccurs="0"/>';
  return `
      <xs:element name="${n}">
        <xs:complexType>
          <xs:sequence>
            <xs:element name="id" type="xs:long"/>
            <xs:element name="name" type="xs:string" minOccurs="0"/>
            <xs:element name="since" type="xs:date" minOccurs="0"/>
            ${shared}
          </xs:sequence>
        </xs:complexType>
      </xs:element>
      <xs:element name="${n}Response">
        <xs:complexType>
          <xs:sequence>
            <xs:element name="id" type="xs:long"/>
            <xs:element name="status" type="tns:Status"/>
            <xs:element name="total" type="tns:Amount"/>
            <xs:element name="flag${i}" type="xs:boolean" nillable="true"/>
            ${shared}
          </xs:sequence>
        </xs:complexType>
      </xs:element>`;
}

/** The WSDL text of a service with `count` operations. */
export function bigWsdl(count: number): string {
  const ops = Array.from({ length: count }, (_, k) => k + 1);
  const parts: string[] = [];
  parts.push(`<?xml version="1.0" encoding="UTF-8"?>
<wsdl:definitions xmlns:wsdl="http://schemas.xmlsoap.org/wsdl/" xmlns:soap="http://schemas.xmlsoap.org/wsdl/soap/"
    xmlns:soap12="http://schemas.xmlsoap.org/wsdl/soap12/" xmlns:xs="http://www.w3.org/2001/XMLSchema"
    xmlns:tns="${BIG_NS}" targetNamespace="${BIG_NS}" name="Big${count}">
  <wsdl:types>
    <xs:schema targetNamespace="${BIG_NS}" elementFormDefault="qualified">${SHARED_TYPES}`);
  for (const i of ops) parts.push(elements(i));
  parts.push(`
    </xs:schema>
  </wsdl:types>`);
  for (const i of ops) {
    const n = opName(i);
    parts.push(`
  <wsdl:message name="${n}In"><wsdl:part name="parameters" element="tns:${n}"/></wsdl:message>
  <wsdl:message name="${n}Out"><wsdl:part name="parameters" element="tns:${n}Response"/></wsdl:message>`);
  }
  parts.push('\n  <wsdl:portType name="BigPort">');
  for (const i of ops) {
    const n = opName(i);
    parts.push(`
    <wsdl:operation name="${n}"><wsdl:input message="tns:${n}In"/><wsdl:output message="tns:${n}Out"/></wsdl:operation>`);
  }
  parts.push('\n  </wsdl:portType>');
  for (const [binding, prefix] of [['BigSoap11', 'soap'], ['BigSoap12', 'soap12']] as const) {
    parts.push(`
  <wsdl:binding name="${binding}" type="tns:BigPort">
    <${prefix}:binding style="document" transport="http://schemas.xmlsoap.org/soap/http"/>`);
    for (const i of ops) {
      const n = opName(i);
      parts.push(`
    <wsdl:operation name="${n}"><${prefix}:operation soapAction="${BIG_NS}#${n}"/><wsdl:input><${prefix}:body use="literal"/></wsdl:input><wsdl:output><${prefix}:body use="literal"/></wsdl:output></wsdl:operation>`);
    }
    parts.push('\n  </wsdl:binding>');
  }
  parts.push(`
  <wsdl:service name="BigService">
    <wsdl:port name="BigSoap11" binding="tns:BigSoap11"><soap:address location="http://127.0.0.1:9/big"/></wsdl:port>
    <wsdl:port name="BigSoap12" binding="tns:BigSoap12"><soap12:address location="http://127.0.0.1:9/big"/></wsdl:port>
  </wsdl:service>
</wsdl:definitions>
`);
  return parts.join('');
}

/** Writes `big-<count>.wsdl` into `dir` and returns its path. */
export function writeBigWsdl(dir: string, count: number): string {
  const file = path.join(dir, `big-${count}.wsdl`);
  fs.writeFileSync(file, bigWsdl(count));
  return file;
}
