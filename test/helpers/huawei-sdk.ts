import assert from 'node:assert/strict';
import { BasicCredentials } from '@huaweicloud/huaweicloud-sdk-core';
import { HcClient } from '@huaweicloud/huaweicloud-sdk-core/HcClient.js';
import { ClientRequestException } from '@huaweicloud/huaweicloud-sdk-core/exception/ClientRequestException.js';
import { ServiceResponseException } from '@huaweicloud/huaweicloud-sdk-core/exception/ServiceResponseException.js';
import { DefaultHttpClient } from '@huaweicloud/huaweicloud-sdk-core/http/DefaultHttpClient.js';
import { LogLevel, type Logger } from '@huaweicloud/huaweicloud-sdk-core/logger/index.js';

/**
 * Huawei's own client stack (`@huaweicloud/huaweicloud-sdk-core`: BasicCredentials, the SDK-HMAC-SHA256 signer,
 * HcClient, DefaultHttpClient on axios, the error parsing of ExceptionUtil) driving our own request definitions
 * of the IMS operations, written from Huawei's IMS API reference (support.huaweicloud.com/api-ims, the
 * "IMS APIs" and "Native OpenStack APIs" chapters). A definition is what an SDK service module hands
 * HcClient.sendRequest: method, path template, content type, which fields go to the path, the query and the body.
 */

/** What a documented response field holds (`?`: may be absent; `|null`: may be null). */
type Kind = 'string' | 'number' | 'boolean' | 'array' | 'object' | 'string|null' | 'string?';
/** The documented fields of a response body that ims serves, by name. */
export type Shape = Readonly<Record<string, Kind>>;

export interface Operation {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /**
   * `{name}`s are request fields, but for `{project_id}`: the core fills in the credential's (a `project_id` field,
   * which no SDK request has, names another project instead).
   */
  path: string;
  /** Declared per operation, as the SDK does; the core sends any JSON type as exactly `application/json`. */
  contentType: string;
  /** Request fields that go to the query string. */
  query?: readonly string[];
  /** The request has a body (the `body` field). */
  body?: true;
  /** The status Huawei documents for success. */
  status: number;
  /** Documented response fields every success must carry (image data: the core's SdkStreamResponse `body`). */
  fields: Shape;
}

const JSON_TYPE = 'application/json';
const JSON_BODY = 'application/json;charset=UTF-8';
const JSON_PATCH = 'application/openstack-images-v2.1-json-patch';
const OCTETS = 'application/octet-stream';

const JOB_ID: Shape = { job_id: 'string' };
/** A member object (GlanceShowImageMember, ShowImageMember): `urn` only for organization members. */
export const MEMBER: Shape = {
  status: 'string', created_at: 'string', updated_at: 'string', image_id: 'string', member_id: 'string', schema: 'string',
  member_type: 'string', urn: 'string?',
};
/** A member list (ListImageMembers, GlanceListImageMembers): paged with `limit` and a base64 `marker`. */
const MEMBERS: Shape = { members: 'array', schema: 'string', page_info: 'object' };
const JOB: Shape = {
  status: 'string', job_id: 'string', job_type: 'string', begin_time: 'string', end_time: 'string',
  error_code: 'string|null', fail_reason: 'string|null', entities: 'object',
};
/** The image fields of GlanceShowImage and ListImages that ims has (the ECS/CBR-derived ones it has not). */
export const IMAGE: Shape = {
  id: 'string', name: 'string', status: 'string', visibility: 'string', protected: 'boolean', owner: 'string',
  container_format: 'string', disk_format: 'string', min_ram: 'number', min_disk: 'number', tags: 'array',
  created_at: 'string', updated_at: 'string', self: 'string', file: 'string', schema: 'string', __imagetype: 'string',
};
const SCHEMA: Shape = { name: 'string', properties: 'object' };
const LISTED_SCHEMA: Shape = { ...SCHEMA, links: 'array' };
/** GlanceListImages / ListImages filters that ims implements. */
const IMAGE_FILTERS = ['__imagetype', 'visibility', 'member_status', 'owner', 'name', 'id', 'status', 'tag',
  'protected', 'container_format', 'disk_format', 'min_disk', 'min_ram', 'created_at', 'updated_at', 'sort_key',
  'sort_dir', 'limit', 'marker'] as const;

/** Every operation, by the SDK's operation name; image data, which the SDK has no operation for, by what it does. */
export const OPERATIONS = {
  // IMS sharing APIs.
  BatchAddMembers: { method: 'POST', path: '/v1/cloudimages/members', contentType: JSON_BODY, body: true, status: 200,
    fields: JOB_ID },
  BatchUpdateMembers: { method: 'PUT', path: '/v1/cloudimages/members', contentType: JSON_BODY, body: true,
    status: 200, fields: JOB_ID },
  BatchDeleteMembers: { method: 'DELETE', path: '/v1/cloudimages/members', contentType: JSON_BODY, body: true,
    status: 200, fields: JOB_ID },
  ShowJob: { method: 'GET', path: '/v1/{project_id}/jobs/{job_id}', contentType: JSON_TYPE, status: 200, fields: JOB },
  ShowJobProgress: { method: 'GET', path: '/v1/cloudimages/job/{job_id}', contentType: JSON_TYPE, status: 200,
    fields: JOB },
  ListImageMembers: { method: 'GET', path: '/v1/{project_id}/cloudimages/{image_id}/members', contentType: JSON_TYPE,
    query: ['limit', 'marker'], status: 200, fields: MEMBERS },
  ShowImageMember: { method: 'GET', path: '/v1/{project_id}/cloudimages/{image_id}/members/{member_id}',
    contentType: JSON_TYPE, status: 200, fields: MEMBER },
  ListImages: { method: 'GET', path: '/v2/cloudimages', contentType: JSON_TYPE, query: IMAGE_FILTERS, status: 200,
    fields: { images: 'array' } },
  // Native OpenStack APIs: images.
  GlanceListImages: { method: 'GET', path: '/v2/images', contentType: JSON_TYPE, query: IMAGE_FILTERS, status: 200,
    fields: { images: 'array', first: 'string', schema: 'string', next: 'string?' } },
  GlanceShowImage: { method: 'GET', path: '/v2/images/{image_id}', contentType: JSON_TYPE, status: 200,
    fields: IMAGE },
  GlanceCreateImageMetadata: { method: 'POST', path: '/v2/images', contentType: JSON_BODY, body: true, status: 201,
    fields: IMAGE },
  GlanceUpdateImage: { method: 'PATCH', path: '/v2/images/{image_id}', contentType: JSON_PATCH, body: true,
    status: 200, fields: IMAGE },
  GlanceDeleteImage: { method: 'DELETE', path: '/v2/images/{image_id}', contentType: JSON_BODY, body: true,
    status: 204, fields: {} },
  GlanceCreateTag: { method: 'PUT', path: '/v2/images/{image_id}/tags/{tag}', contentType: JSON_TYPE, status: 204,
    fields: {} },
  GlanceDeleteTag: { method: 'DELETE', path: '/v2/images/{image_id}/tags/{tag}', contentType: JSON_TYPE, status: 204,
    fields: {} },
  // Huawei documents `PUT /v2/images/{image_id}/file` (octet-stream, 204) without an SDK operation.
  UploadImageFile: { method: 'PUT', path: '/v2/images/{image_id}/file', contentType: OCTETS, body: true,
    status: 204, fields: {} },
  // Glance's download, which ims also serves on that path. The core reads it with axios' default response type
  // (text), as it reads any answer: binary data does not survive that, and tests download text.
  DownloadImageFile: { method: 'GET', path: '/v2/images/{image_id}/file', contentType: JSON_TYPE, status: 200,
    fields: { body: 'string' } },
  // Native OpenStack APIs: members.
  GlanceAddImageMember: { method: 'POST', path: '/v2/images/{image_id}/members', contentType: JSON_BODY, body: true,
    status: 200, fields: MEMBER },
  GlanceListImageMembers: { method: 'GET', path: '/v2/images/{image_id}/members', contentType: JSON_TYPE,
    query: ['limit', 'marker'], status: 200, fields: MEMBERS },
  GlanceShowImageMember: { method: 'GET', path: '/v2/images/{image_id}/members/{member_id}', contentType: JSON_TYPE,
    status: 200, fields: MEMBER },
  GlanceUpdateImageMember: { method: 'PUT', path: '/v2/images/{image_id}/members/{member_id}',
    contentType: JSON_BODY, body: true, status: 200, fields: MEMBER },
  GlanceDeleteImageMember: { method: 'DELETE', path: '/v2/images/{image_id}/members/{member_id}',
    contentType: JSON_TYPE, status: 204, fields: {} },
  // Native OpenStack APIs: schemas.
  GlanceShowImageSchemas: { method: 'GET', path: '/v2/schemas/image', contentType: JSON_TYPE, status: 200,
    fields: SCHEMA },
  GlanceListImageSchemas: { method: 'GET', path: '/v2/schemas/images', contentType: JSON_TYPE, status: 200,
    fields: LISTED_SCHEMA },
  GlanceShowImageMemberSchemas: { method: 'GET', path: '/v2/schemas/member', contentType: JSON_TYPE, status: 200,
    fields: SCHEMA },
  GlanceListImageMemberSchemas: { method: 'GET', path: '/v2/schemas/members', contentType: JSON_TYPE, status: 200,
    fields: LISTED_SCHEMA },
} as const satisfies Record<string, Operation>;

export type OperationName = keyof typeof OPERATIONS;

/** A request: its path and query fields by name, and `body`. */
export type Fields = Readonly<Record<string, unknown>>;

/** A parsed success body, plus the status the core adds (`httpStatusCode`). */
export type Body = Record<string, any>;

/** The parts of a ServiceResponseException a caller reads. */
export interface Refusal {
  httpStatusCode: string | number | undefined;
  errorCode: string | undefined;
  errorMsg: string | undefined;
}

/** The core's error logger prints every refusal to stdout; tests read them from the exception instead. */
export const quiet: Logger = {
  debug() {}, info() {}, warn() {}, error() {}, setLevel() {}, getLevel: () => LogLevel.ERROR, setName() {},
};

function check(value: unknown, kind: Kind): boolean {
  switch (kind) {
    case 'array': return Array.isArray(value);
    case 'object': return typeof value === 'object' && value !== null && !Array.isArray(value);
    case 'string|null': return value === null || typeof value === 'string';
    case 'string?': return value === undefined || typeof value === 'string';
    default: return typeof value === kind;
  }
}

/** Asserts that every documented field is present with its kind. */
export function assertShape(body: Body, shape: Shape, what: string): void {
  for (const [field, kind] of Object.entries(shape)) {
    assert.ok(check(body[field], kind), `${what}: ${field} should be ${kind}, got ${JSON.stringify(body[field])}`);
  }
}

export interface SdkClientOptions {
  endpoint: string;
  ak: string;
  sk: string;
  /** The credential's project: sent as X-Project-Id and filled into `{project_id}`; none sends neither. */
  projectId?: string;
}

/**
 * An IMS client as a Huawei SDK service module builds one. HcClient and DefaultHttpClient are built as
 * ClientBuilder.build() builds them, less two side effects: ClientBuilder writes an application id under
 * ~/.huaweicloud for its User-Agent and gives DefaultHttpClient a logger that prints every refusal.
 */
export class ImsSdkClient {
  private readonly hc: HcClient;

  constructor(options: SdkClientOptions) {
    const credentials = new BasicCredentials().withAk(options.ak).withSk(options.sk);
    if (options.projectId !== undefined) credentials.withProjectId(options.projectId);
    const headers = { 'User-Agent': 'huaweicloud-usdk-nodejs/3.0; ims-tests' };
    const http = new DefaultHttpClient({ logger: quiet, headers }, [options.endpoint]);
    this.hc = new HcClient(http).withCredential(credentials).withEndpoints([options.endpoint]);
  }

  /** Sends one operation; on success checks the documented status and fields and returns the body. */
  async call(name: OperationName, fields: Fields = {}): Promise<Body> {
    const op: Operation = OPERATIONS[name];
    const pathParams: Record<string, unknown> = {};
    const queryParams: Record<string, unknown> = {};
    for (const [field, value] of Object.entries(fields)) {
      if (op.path.includes(`{${field}}`)) pathParams[field] = value;
      else if (op.query?.includes(field)) queryParams[field] = value;
      else assert.ok(field === 'body' && op.body, `${name} has no request field ${field}`);
    }
    const body = await this.hc.sendRequest<Body>({
      method: op.method, url: op.path, contentType: op.contentType, pathParams, queryParams, headers: {},
      data: fields.body as Record<string, any> | undefined,
    });
    assert.equal(body.httpStatusCode, op.status, `${name}: ${JSON.stringify(body)}`);
    assertShape(body, op.fields, name);
    return body;
  }

  /** Sends one operation that must be refused; returns what the core parsed of the refusal. */
  async refused(name: OperationName, fields: Fields = {}): Promise<Refusal> {
    const err = await this.call(name, fields).then(
      (body) => assert.fail(`${name} should have been refused, got ${JSON.stringify(body)}`),
      (e: unknown) => e);
    assert.ok(err instanceof ServiceResponseException, `${name}: not a ServiceResponseException: ${String(err)}`);
    const status = Number(err.httpStatusCode);
    // 4xx: ClientRequestException; 5xx: ServerResponseException; anything else the base class.
    assert.equal(err instanceof ClientRequestException, status >= 400 && status < 500, `${name}: ${err.name}`);
    assert.match(String(err.requestId), /^req-/, `${name}: the request id (X-Request-Id)`);
    return { httpStatusCode: err.httpStatusCode, errorCode: err.errorCode, errorMsg: err.errorMsg };
  }

  /** Polls ShowJob until the job has finished; returns its body. */
  async finishedJob(jobId: string): Promise<Body> {
    for (let i = 0; i < 200; i++) {
      const job = await this.call('ShowJob', { job_id: jobId });
      if (job.status === 'SUCCESS' || job.status === 'FAIL') return job;
      await new Promise((r) => setTimeout(r, 25));
    }
    assert.fail(`job ${jobId} did not finish`);
  }
}

/** The refusal of an IMS (or, for SDK callers, native) error body `{"error": {"code", "message"}}`. */
export const imsRefusal = (status: number, code: string, message: string): Refusal =>
  ({ httpStatusCode: status, errorCode: code, errorMsg: message });

/** The API gateway's refusal of a request it could not authenticate. */
export const apigwRefusal = (reason: string): Refusal =>
  imsRefusal(401, 'APIGW.0301', `Incorrect IAM authentication information: ${reason}`);
