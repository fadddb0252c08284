/**
 * The REST side of a bundle as callers see it: one entry per route of the REST facade, with the
 * JSON Schemas of what the route takes and gives. Built at load time from the WSDL and the
 * mapping; read by the OpenAPI generator. Schemas refer to the bundle's JSON Schema document
 * by absolute `$ref` (`{bundle.schema.$id}#/$defs/Name`).
 */
import type { AuthDescription } from '../auth/verify';

export type JsonSchema = Record<string, unknown>;

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface RouteParam {
  in: 'path' | 'query' | 'header';
  name: string;
  required: boolean;
  schema: JsonSchema;
  description?: string;
}

export interface RouteDescription {
  method: HttpMethod;
  /** The whole path, OpenAPI style: `/api/calculator/Add`, `/api/orders/orders/{orderId}`. */
  path: string;
  /** The WSDL operation the route calls. */
  operation: string;
  /** True for the contract's `POST /api/{service}/{operation}`. */
  isDefault: boolean;
  parameters: RouteParam[];
  /** Schema of the JSON body; undefined when the route takes none. */
  requestBody?: JsonSchema;
  /** Schema of the 200 answer; undefined for a one-way operation (204). */
  response?: JsonSchema;
  /** Statuses the mapping's fault rules can answer with, besides the contract's. */
  faultStatuses: { status: number; type?: string; title?: string }[];
  /** From the WSDL's documentation of the operation. */
  description?: string;
  /** Who may call the route (mapping `auth:`); false: public by `auth: false`; undefined: no auth configured. */
  auth?: AuthDescription | false;
}
