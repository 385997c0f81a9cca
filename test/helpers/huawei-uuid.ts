import { randomUUID } from 'node:crypto';
import Module, { createRequire } from 'node:module';

/**
 * `@huaweicloud/huaweicloud-sdk-core` 3.1.211 requires `uuid` (http/DefaultUserAgent.js, the application id of
 * ClientBuilder) without declaring it, so an SDK service client (IamClient imports ClientBuilder) cannot load
 * where npm did not install `uuid` for another package. Until `uuid` is a dev dependency of ours, the core's
 * `require('uuid')` gets `v4` from node's randomUUID; when `uuid` resolves, this does nothing. Imported before the
 * SDK. Only ClientBuilder's application id uses it, and the tests build their clients without ClientBuilder.
 */
const core = createRequire(import.meta.url).resolve('@huaweicloud/huaweicloud-sdk-core');
try {
  createRequire(core).resolve('uuid');
} catch {
  const loader = Module as unknown as { _load(request: string, ...rest: unknown[]): unknown };
  const load = loader._load;
  loader._load = function (request: string, ...rest: unknown[]) {
    return request === 'uuid' ? { v4: randomUUID } : load.call(this, request, ...rest);
  };
}
