/**
 * The parity table: messages (the SOAP Body's element), each with the verdict XML Schema gives
 * it. Three verdicts must agree with `valid` (test/strict/parity.test.ts): the fast path (the
 * compiled decoder and ajv on the JSON form), strict mode (libxml2-wasm) and
 * `xmllint --noout --schema types.xsd`. A row marked `strictOnly` holds a rule the fast path
 * cannot express (the reason says which); only libxml2 and xmllint give it the schema's verdict. The prefixes p (urn:parity), e (urn:parity:ext), o (urn:other), xsi, w and w2 are
 * declared on each message's root by the test.
 */
export interface ParityRow {
  feature: string;
  name: string;
  xml: string;
  valid: boolean;
  /**
   * Why the fast path cannot decide this row: a rule it cannot express. Its verdict then differs
   * from the schema's (it passes an invalid message, which strict mode then refuses; or it
   * refuses a valid one, which the bridge cannot carry in either mode).
   */
  strictOnly?: string;
}

const rows: ParityRow[] = [];
function row(feature: string, name: string, valid: boolean, xml: string, strictOnly?: string): void {
  rows.push({ feature, name, valid, xml, strictOnly });
}

// sequence, minOccurs/maxOccurs
row('sequence', 'all fields', true, '<p:Seq><p:a>x</p:a><p:b>1</p:b><p:c>1</p:c><p:c>2</p:c></p:Seq>');
row('sequence', 'optional left out, one of a repeating element', true, '<p:Seq><p:a>x</p:a><p:c>1</p:c></p:Seq>');
row('minOccurs', 'required repeating element missing', false, '<p:Seq><p:a>x</p:a></p:Seq>');
row('maxOccurs', 'four of maxOccurs=3', false, '<p:Seq><p:a>x</p:a><p:c>1</p:c><p:c>2</p:c><p:c>3</p:c><p:c>4</p:c></p:Seq>');
row('sequence', 'out of order', false, '<p:Seq><p:b>1</p:b><p:a>x</p:a><p:c>1</p:c></p:Seq>', 'the fast path reads child elements in any order (the JSON form has none, CONTRACT §4.8): it does not check the sequence');
row('sequence', 'int that is not a number', false, '<p:Seq><p:a>x</p:a><p:b>one</p:b><p:c>1</p:c></p:Seq>');
row('sequence', 'undeclared element', false, '<p:Seq><p:a>x</p:a><p:c>1</p:c><p:d/></p:Seq>');
// choice
row('choice', 'first alternative', true, '<p:Choice><p:x>s</p:x></p:Choice>');
row('choice', 'second alternative and a following element', true, '<p:Choice><p:y>7</p:y><p:z>s</p:z></p:Choice>');
row('choice', 'two alternatives', false, '<p:Choice><p:x>s</p:x><p:y>7</p:y></p:Choice>');
row('choice', 'no alternative of a required choice', false, '<p:Choice><p:z>s</p:z></p:Choice>');
// all
row('all', 'any order', true, '<p:All><p:q>1</p:q><p:p>s</p:p></p:All>');
row('all', 'optional member left out', true, '<p:All><p:p>s</p:p></p:All>');
row('all', 'member twice', false, '<p:All><p:p>s</p:p><p:p>t</p:p></p:All>');
row('all', 'required member missing', false, '<p:All><p:q>1</p:q></p:All>');
// nillable
row('nillable', 'xsi:nil on a nillable element', true, '<p:Nil><p:n1 xsi:nil="true"/></p:Nil>');
row('nillable', 'xsi:nil on an element that is not nillable', false, '<p:Nil><p:n1>1</p:n1><p:n2 xsi:nil="true"/></p:Nil>');
row('nillable', 'xsi:nil with content', false, '<p:Nil><p:n1 xsi:nil="true">5</p:n1></p:Nil>');
row('nillable', 'empty int without xsi:nil', false, '<p:Nil><p:n1/></p:Nil>');
// attributes and attributeGroups
row('attributes', 'required, enumerated and group attributes', true, '<p:Attrs id="1" kind="plain" createdBy="ada"><p:v>x</p:v></p:Attrs>');
row('attributes', 'default and fixed attributes given', true, '<p:Attrs id="2" lang="fr" ver="1" createdBy="ada" revision="3"><p:v>x</p:v></p:Attrs>');
row('attributes', 'required attribute missing', false, '<p:Attrs createdBy="ada"><p:v>x</p:v></p:Attrs>');
row('attributes', 'int attribute that is not a number', false, '<p:Attrs id="x" createdBy="ada"><p:v>x</p:v></p:Attrs>');
row('attributes', 'attribute outside its enumeration', false, '<p:Attrs id="1" kind="odd" createdBy="ada"><p:v>x</p:v></p:Attrs>');
row('fixed', 'fixed attribute with another value', false, '<p:Attrs id="1" ver="2" createdBy="ada"><p:v>x</p:v></p:Attrs>');
row('attributes', 'undeclared attribute', false, '<p:Attrs id="1" foo="1" createdBy="ada"><p:v>x</p:v></p:Attrs>');
row('attributeGroup', 'required attribute of the group missing', false, '<p:Attrs id="1"><p:v>x</p:v></p:Attrs>');
row('attributeGroup', 'group attribute outside its type (positiveInteger 0)', false, '<p:Attrs id="1" createdBy="ada" revision="0"><p:v>x</p:v></p:Attrs>');
// enumerations
row('enumeration', 'string and int enumerations', true, '<p:Enum><p:color>red</p:color><p:size>2</p:size></p:Enum>');
row('enumeration', 'case differs', false, '<p:Enum><p:color>Red</p:color></p:Enum>');
row('enumeration', 'int outside the enumeration', false, '<p:Enum><p:color>blue</p:color><p:size>4</p:size></p:Enum>');
row('enumeration', 'int enumeration with surrounding whitespace (collapsed)', true, '<p:Enum><p:color>green</p:color><p:size> 2 </p:size></p:Enum>');
// lists
row('list', 'list of ints', true, '<p:Lists><p:nums>1 2 3</p:nums></p:Lists>');
row('list', 'empty list', true, '<p:Lists><p:nums></p:nums></p:Lists>');
row('list', 'item that is not an int', false, '<p:Lists><p:nums>1 x</p:nums></p:Lists>');
row('list', 'list with length 3', true, '<p:Lists><p:nums>1</p:nums><p:triple>4  5 6</p:triple></p:Lists>');
row('list', 'list length facet broken', false, '<p:Lists><p:nums>1</p:nums><p:triple>4 5</p:triple></p:Lists>');
// unions
row('union', 'each member type', true, '<p:Unions><p:u>5</p:u><p:u>none</p:u></p:Unions>');
row('union', 'no member type matches', false, '<p:Unions><p:u>foo</p:u></p:Unions>');
// patterns
row('pattern', 'matches', true, '<p:Patterns><p:sku>ABC-1234</p:sku></p:Patterns>');
row('pattern', 'implicit anchoring: trailing text', false, '<p:Patterns><p:sku>ABC-1234x</p:sku></p:Patterns>');
row('pattern', 'implicit anchoring: leading text', false, '<p:Patterns><p:sku>xABC-1234</p:sku></p:Patterns>');
row('pattern', '\\i\\c* matches a name', true, '<p:Patterns><p:sku>ABC-1234</p:sku><p:ident>_a1.b-c</p:ident></p:Patterns>');
row('pattern', '\\i\\c*: a name cannot start with a digit', false, '<p:Patterns><p:sku>ABC-1234</p:sku><p:ident>1abc</p:ident></p:Patterns>');
row('pattern', '\\p{IsBasicLatin}+ on ASCII', true, '<p:Patterns><p:sku>ABC-1234</p:sku><p:ascii>hello~</p:ascii></p:Patterns>');
row('pattern', '\\p{IsBasicLatin}+ refuses é', false, '<p:Patterns><p:sku>ABC-1234</p:sku><p:ascii>h\u00e9llo</p:ascii></p:Patterns>');
row('pattern', 'alternation matches whole', true, '<p:Patterns><p:sku>ABC-1234</p:sku><p:either>cd</p:either></p:Patterns>');
row('pattern', 'alternation is anchored as a whole', false, '<p:Patterns><p:sku>ABC-1234</p:sku><p:either>abcd</p:either></p:Patterns>');
// length, minLength, maxLength
row('length', 'exact length', true, '<p:Lengths><p:exact>abcd</p:exact></p:Lengths>');
row('length', 'too short for length', false, '<p:Lengths><p:exact>abc</p:exact></p:Lengths>');
row('length', 'length counts characters, not UTF-16 units', true, '<p:Lengths><p:exact>\u{1F600}\u{1F600}\u{1F600}\u{1F600}</p:exact></p:Lengths>');
row('minLength', 'below minLength', false, '<p:Lengths><p:exact>abcd</p:exact><p:ranged>a</p:ranged></p:Lengths>');
row('maxLength', 'above maxLength', false, '<p:Lengths><p:exact>abcd</p:exact><p:ranged>abcdef</p:ranged></p:Lengths>');
row('maxLength', 'at maxLength', true, '<p:Lengths><p:exact>abcd</p:exact><p:ranged>abcde</p:ranged></p:Lengths>');
row('maxLength', 'hexBinary length in octets', true, '<p:Lengths><p:exact>abcd</p:exact><p:bin>0A0B</p:bin></p:Lengths>');
row('maxLength', 'hexBinary above maxLength in octets', false, '<p:Lengths><p:exact>abcd</p:exact><p:bin>0A0B0C</p:bin></p:Lengths>');
// totalDigits, fractionDigits
row('digits', 'within both', true, '<p:Digits><p:amount>123.45</p:amount></p:Digits>');
row('digits', 'five digits, one fraction digit', true, '<p:Digits><p:amount>1234.5</p:amount></p:Digits>');
row('fractionDigits', 'three fraction digits', false, '<p:Digits><p:amount>123.456</p:amount></p:Digits>');
row('totalDigits', 'six digits', false, '<p:Digits><p:amount>123456</p:amount></p:Digits>');
row('totalDigits', 'leading and trailing zeros do not count', true, '<p:Digits><p:amount>0012.30</p:amount></p:Digits>');
// min/max inclusive/exclusive
row('minInclusive', 'at the lower bound', true, '<p:Ranges><p:age>0</p:age></p:Ranges>');
row('maxInclusive', 'above the upper bound', false, '<p:Ranges><p:age>151</p:age></p:Ranges>');
row('minInclusive', 'below the lower bound', false, '<p:Ranges><p:age>-1</p:age></p:Ranges>');
row('minExclusive', 'at an exclusive bound', false, '<p:Ranges><p:age>1</p:age><p:temp>-10</p:temp></p:Ranges>');
row('maxExclusive', 'just below an exclusive bound', true, '<p:Ranges><p:age>1</p:age><p:temp>49.99</p:temp></p:Ranges>');
row('ranges', 'byte overflow', false, '<p:Ranges><p:age>1</p:age><p:small>128</p:small></p:Ranges>');
row('ranges', 'byte minimum', true, '<p:Ranges><p:age>1</p:age><p:small>-128</p:small></p:Ranges>');
// dates
row('dates', 'leap day', true, '<p:Dates><p:d>2024-02-29</p:d></p:Dates>');
row('dates', 'no leap day in 2023', false, '<p:Dates><p:d>2023-02-29</p:d></p:Dates>');
row('dates', 'month 13', false, '<p:Dates><p:d>2024-13-01</p:d></p:Dates>');
row('dates', 'date with an offset', true, '<p:Dates><p:d>2024-01-01+02:00</p:d></p:Dates>');
row('dates', 'dateTime, time, gYearMonth, duration', true, '<p:Dates><p:d>2024-01-01</p:d><p:dt>2024-01-01T10:00:00.5Z</p:dt><p:t>23:59:59</p:t><p:ym>2024-02</p:ym><p:dur>P1Y2M3DT4H</p:dur></p:Dates>');
row('dates', 'dateTime with a space for T', false, '<p:Dates><p:d>2024-01-01</p:d><p:dt>2024-01-01 10:00:00</p:dt></p:Dates>');
row('dates', 'time past midnight', false, '<p:Dates><p:d>2024-01-01</p:d><p:t>24:00:01</p:t></p:Dates>');
row('dates', 'duration without a component', false, '<p:Dates><p:d>2024-01-01</p:d><p:dur>P</p:dur></p:Dates>');
// xs:any, anyAttribute
row('any', 'element of another namespace', true, '<p:Anys><p:known>k</p:known><o:thing><o:deep a="1">t</o:deep></o:thing></p:Anys>');
row('any', '##other refuses the target namespace', false, '<p:Anys><p:known>k</p:known><p:extra/></p:Anys>');
row('any', 'lax: a declared element is validated', false, '<p:Anys><p:known>k</p:known><e:Stamp/></p:Anys>', 'content allowed by xs:any is kept as an XML string ($any): the fast path does not validate it');
row('anyAttribute', 'attribute of another namespace', true, '<p:Anys o:flag="1"><p:known>k</p:known></p:Anys>');
row('anyAttribute', '##other refuses an unqualified attribute', false, '<p:Anys flag="1"><p:known>k</p:known></p:Anys>');
row('any', 'strict: a declared element', true, '<p:StrictAny><e:Note>hi</e:Note></p:StrictAny>');
row('any', 'strict: an undeclared element of the namespace', false, '<p:StrictAny><e:Unknown/></p:StrictAny>', 'content allowed by xs:any is kept as an XML string ($any): the fast path does not validate it');
row('any', 'strict: another namespace', false, '<p:StrictAny><o:x/></p:StrictAny>');
// named model groups
row('group', 'group members present', true, '<p:Groups><p:name>n</p:name><p:street>s</p:street><p:city>c</p:city></p:Groups>');
row('group', 'group member missing', false, '<p:Groups><p:name>n</p:name><p:street>s</p:street></p:Groups>');
// substitution groups
row('substitutionGroup', 'a member in place of the head', true, '<p:Drawing><p:circle><p:radius>1.5</p:radius></p:circle></p:Drawing>');
row('substitutionGroup', 'two different members', true, '<p:Drawing><p:square><p:label>s</p:label><p:side>2</p:side></p:square><p:circle><p:radius>1</p:radius></p:circle></p:Drawing>');
row('substitutionGroup', 'the abstract head itself', false, '<p:Drawing><p:shape/></p:Drawing>');
row('substitutionGroup', "a member with another member's content", false, '<p:Drawing><p:circle><p:side>1</p:side></p:circle></p:Drawing>');
row('substitutionGroup', 'a non-abstract head used itself', true, '<p:Fleet><p:vehicle><p:wheels>4</p:wheels></p:vehicle></p:Fleet>');
row('substitutionGroup', 'the head and a member side by side', true, '<p:Fleet><p:vehicle><p:wheels>4</p:wheels></p:vehicle><p:car><p:wheels>4</p:wheels><p:doors>5</p:doors></p:car></p:Fleet>');
row('substitutionGroup', 'a member of a member (transitive), taking its head\'s type', true, '<p:Fleet><p:taxi><p:wheels>4</p:wheels><p:doors>4</p:doors></p:taxi></p:Fleet>');
row('substitutionGroup', 'a member derived by restriction', true, '<p:Fleet><p:bike><p:wheels>2</p:wheels></p:bike></p:Fleet>');
row('substitutionGroup', 'a member from another namespace', true, '<p:Fleet><e:truck><p:wheels>6</p:wheels><e:load>1.5</e:load></e:truck></p:Fleet>');
row('substitutionGroup', 'a member from another namespace with its content wrong', false, '<p:Fleet><e:truck><p:wheels>6</p:wheels><e:load>heavy</e:load></e:truck></p:Fleet>');
row('substitutionGroup', 'a member in the namespace of another', false, '<p:Fleet><p:truck><p:wheels>6</p:wheels><p:load>1</p:load></p:truck></p:Fleet>');
row('substitutionGroup', "a member without its own type's element", false, '<p:Fleet><p:car><p:wheels>4</p:wheels></p:car></p:Fleet>');
row('substitutionGroup', "a member of a member without its inherited type's element", false, '<p:Fleet><p:taxi><p:wheels>4</p:wheels></p:taxi></p:Fleet>');
row('substitutionGroup', 'three of one member (maxOccurs=3 on the reference)', true, '<p:Fleet><p:car><p:wheels>4</p:wheels><p:doors>3</p:doors></p:car><p:car><p:wheels>4</p:wheels><p:doors>5</p:doors></p:car><p:car><p:wheels>3</p:wheels><p:doors>2</p:doors></p:car></p:Fleet>');
row('substitutionGroup', 'four of one member (maxOccurs=3 on the reference)', false, '<p:Fleet><p:bike><p:wheels>2</p:wheels></p:bike><p:bike><p:wheels>2</p:wheels></p:bike><p:bike><p:wheels>2</p:wheels></p:bike><p:bike><p:wheels>2</p:wheels></p:bike></p:Fleet>');
row('substitutionGroup', 'four members of different kinds (maxOccurs=3 counts them together)', false, '<p:Fleet><p:vehicle><p:wheels>4</p:wheels></p:vehicle><p:bike><p:wheels>2</p:wheels></p:bike><p:bike><p:wheels>2</p:wheels></p:bike><p:taxi><p:wheels>4</p:wheels><p:doors>4</p:doors></p:taxi></p:Fleet>');
row('substitutionGroup', 'three members of different kinds and namespaces', true, '<p:Fleet><p:bike><p:wheels>2</p:wheels></p:bike><e:truck><p:wheels>6</p:wheels><e:load>2</e:load></e:truck><p:taxi><p:wheels>4</p:wheels><p:doors>4</p:doors></p:taxi></p:Fleet>');
row('substitutionGroup', 'no member where one is required', false, '<p:Drawing></p:Drawing>');
row('substitutionGroup', 'an element that is no member of the group', false, '<p:Fleet><p:circle><p:radius>1</p:radius></p:circle></p:Fleet>');
row('block', 'a head with block="substitution" used itself', true, '<p:Blocks><p:note>n</p:note></p:Blocks>');
row('block', 'block="substitution" refuses a member', false, '<p:Blocks><p:memo>n</p:memo></p:Blocks>');
row('block', 'block="extension" admits a member derived by restriction', true, '<p:Blocks><p:restricted><p:wheels>2</p:wheels></p:restricted></p:Blocks>');
row('block', 'block="extension" refuses a member derived by extension', false, '<p:Blocks><p:extended><p:wheels>4</p:wheels><p:doors>2</p:doors></p:extended></p:Blocks>');
row('substitutionGroup', 'members of an xs:anyType head with unrelated types', true, '<p:Values><p:count>3</p:count><p:point><p:x>1</p:x><p:y>2</p:y></p:point><p:anything>text</p:anything></p:Values>');
row('substitutionGroup', 'an int member of an xs:anyType head with a word', false, '<p:Values><p:count>three</p:count></p:Values>');
row('substitutionGroup', 'a complex member of an xs:anyType head missing an element', false, '<p:Values><p:point><p:x>1</p:x></p:point></p:Values>');
row('substitutionGroup', 'a member whose content refers to the head again', true, '<p:Calc><p:neg><p:neg><p:num>7</p:num></p:neg></p:neg></p:Calc>');
row('substitutionGroup', 'the recursive member with two members in its single place', false, '<p:Calc><p:neg><p:num>1</p:num><p:num>2</p:num></p:neg></p:Calc>');
row('substitutionGroup', 'the recursive member without its required member', false, '<p:Calc><p:neg/></p:Calc>');
row('substitutionGroup', 'the abstract head of a recursive group', false, '<p:Calc><p:expr/></p:Calc>');
// abstract types and xsi:type
row('xsi:type', 'derived type named by xsi:type', true, '<p:Pets><p:pet xsi:type="p:Dog"><p:name>Rex</p:name><p:bark>true</p:bark></p:pet></p:Pets>', 'xsi:type is not modelled by the fast path (the JSON form has no type names): it refuses the content of a derived type');
row('abstract type', 'abstract type without xsi:type', false, '<p:Pets><p:pet><p:name>Rex</p:name></p:pet></p:Pets>');
row('xsi:type', "derived type with another type's content", false, '<p:Pets><p:pet xsi:type="p:Cat"><p:name>Tom</p:name><p:bark>true</p:bark></p:pet></p:Pets>');
row('xsi:type', 'unknown type', false, '<p:Pets><p:pet xsi:type="p:Nope"><p:name>Rex</p:name></p:pet></p:Pets>');
// default and fixed element values
row('default', 'empty element takes its default', true, '<p:Defaults><p:qty/></p:Defaults>');
row('fixed', 'fixed element with its value', true, '<p:Defaults><p:qty>5</p:qty><p:unit>kg</p:unit></p:Defaults>');
row('fixed', 'fixed element with another value', false, '<p:Defaults><p:qty>5</p:qty><p:unit>g</p:unit></p:Defaults>');
row('fixed', 'empty fixed element takes its value', true, '<p:Defaults><p:qty>5</p:qty><p:unit/></p:Defaults>');
// identity constraints
row('unique', 'distinct keys', true, '<p:Catalog><p:item><p:sku>ABC-0001</p:sku></p:item><p:item><p:sku>ABC-0002</p:sku></p:item></p:Catalog>');
row('unique', 'duplicate key', false, '<p:Catalog><p:item><p:sku>ABC-0001</p:sku></p:item><p:item><p:sku>ABC-0001</p:sku></p:item></p:Catalog>', 'identity constraints (xs:unique, xs:key, xs:keyref) are not checked by the fast path');
// inline schemas of the WSDL (xmllint reads types.xsd only, so these rows are checked against the fast path and libxml2-wasm)
export const INLINE_ROWS: ParityRow[] = [
  { feature: 'inline schema', name: 'inline schema importing another by namespace only', valid: true, xml: '<w2:Pong><w:Ping><w:sku>ABC-1234</w:sku></w:Ping></w2:Pong>' },
  { feature: 'inline schema', name: 'chameleon type used from an inline schema', valid: false, xml: '<w:Ping><w:sku>abc</w:sku></w:Ping>' },
];

export const ROWS: readonly ParityRow[] = rows;
