/**
 * How large a request body each kind of route reads (image data is streamed and not limited here);
 * a larger one is a 413 in the route's dialect, before it is parsed.
 */
export const BODY_LIMITS = Object.freeze({
  /** Every route not named below: member bodies, tags, actions (a member id is at most 255 characters). */
  default: 64 * 1024,
  /** Image create and PATCH: up to 128 extra properties of up to 64 KiB each, as JSON text. */
  image: 12 * 1024 * 1024,
  /** Keystone's default `max_request_body_size`. */
  identity: 112 * 1024,
  /** An IMS batch: 1,000 image ids and 1,000 project ids. */
  batch: 256 * 1024,
});
