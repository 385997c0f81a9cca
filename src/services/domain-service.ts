import { type Clock, hexId, isoNow } from '../domain/clock.js';
import { clip } from '../domain/clip.js';
import type { RequestContext } from '../domain/context.js';
import { hasControl } from '../domain/control.js';
import { quoteRepr } from '../domain/py-repr.js';
import { badRequest, conflict, notFound } from '../errors/app-error.js';
import { identityDenied as denied } from '../policy/identity.js';
import type { DomainRow, IdentityRepo } from '../repos/identity-repo.js';
import { MAX_DOMAIN_NAME } from './identity-bootstrap.js';

/** A new domain as `POST /v3/domains` (or `ims domain create`) gives it. */
export interface DomainInput {
  /** Keystone's `explicit_domain_id`: the id to use instead of a new one. */
  id?: string;
  name: string;
  description: string;
  enabled: boolean;
}

/** Keystone's longest description we keep. */
const MAX_DESCRIPTION = 255;


/** Keystone domains (accounts), with Keystone's default policy: admins manage them, users see their own. */
export class DomainService {
  constructor(
    private readonly repo: IdentityRepo,
    private readonly clock: Clock,
  ) {}

  async list(ctx: RequestContext, name: string | undefined): Promise<DomainRow[]> {
    if (!ctx.isAdmin) throw denied('list_domains');
    return this.repo.listDomains({ name });
  }

  /** Admins see any domain; others the domain of the project they are scoped to. */
  async get(ctx: RequestContext, id: string): Promise<DomainRow> {
    if (!ctx.isAdmin && (await this.repo.projectById(ctx.projectId))?.domain_id !== id) throw denied('get_domain');
    const domain = await this.repo.domainById(id);
    if (!domain) throw notFound(`Could not find domain: ${clip(id)}.`);
    return domain;
  }

  async create(ctx: RequestContext, input: DomainInput): Promise<DomainRow> {
    if (!ctx.isAdmin) throw denied('create_domain');
    checkName(input.name);
    if (input.description.length > MAX_DESCRIPTION) {
      throw badRequest(`Invalid input for field 'domain/description': ${quoteRepr(input.description)} is too long`);
    }
    if (input.id !== undefined && !/^[0-9a-f]{32}$/.test(input.id)) {
      throw badRequest(`Invalid input for field 'domain/explicit_domain_id': ${quoteRepr(input.id)} does not match `
        + "'^[a-f0-9]{32}$'");
    }
    const row = { id: input.id ?? hexId(), name: input.name, description: input.description,
      enabled: input.enabled ? 1 : 0, created_at: isoNow(this.clock) };
    if (await this.repo.insertDomain(row)) return row;
    const why = await this.repo.domainByName(input.name) ? `Duplicate entry found with name ${clip(input.name)}`
      : `Duplicate ID, ${row.id}`;
    throw conflict(`Conflict occurred attempting to store domain - ${why}.`);
  }
}

/** Keystone's domain name: 1 to 64 characters with at least one that is not a space (and no control character). */
function checkName(name: string): void {
  const field = "Invalid input for field 'domain/name'";
  if (name.length === 0) throw badRequest(`${field}: '' is too short`);
  if (name.length > MAX_DOMAIN_NAME) throw badRequest(`${field}: ${quoteRepr(name)} is too long`);
  if (!/\S/.test(name) || hasControl(name)) throw badRequest(`${field}: ${quoteRepr(name)} does not match '[\\\\S]+'`);
}
