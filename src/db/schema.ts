import type { Generated, Insertable, Selectable } from 'kysely';

/** Row types of every table, as Kysely sees them. Timestamps are ISO-8601 strings with milliseconds (UTC). */
export interface ProjectTable {
  id: string;
  name: string;
  domain_id: string;
  created_at: string;
  /** Migration 0013. */
  description: Generated<string>;
  /** 1 or 0: no one logs into a disabled project (migration 0013). */
  enabled: Generated<number>;
}

export interface UserTable {
  id: string;
  name: string;
  domain_id: string;
  password_hash: string;
  /** Optional since migration 0013 (cleared when the project is deleted). */
  default_project_id: string | null;
  created_at: string;
  /** Failed password checks in a row (migration 0009). */
  failed_auth_count: Generated<number>;
  failed_auth_at: string | null;
  /** 1 or 0: a disabled user cannot log in (migration 0013). */
  enabled: Generated<number>;
  description: string | null;
  email: string | null;
}

export interface RoleAssignmentTable {
  user_id: string;
  project_id: string;
  role: string;
}

export interface AccessKeyTable {
  access: string;
  secret: string;
  user_id: string;
  created_at: string;
  /** `active` or `inactive` (migration 0014): an inactive key authenticates nothing. */
  status: Generated<string>;
  description: Generated<string>;
  /** When the key last authenticated a request (at most a minute late); null: never. */
  last_used_at: string | null;
}

export interface SettingTable {
  key: string;
  value: string;
}

export interface ImageTable {
  id: string;
  name: string | null;
  owner: string | null;
  visibility: string;
  status: string;
  container_format: string | null;
  disk_format: string | null;
  size: number | null;
  virtual_size: number | null;
  checksum: string | null;
  os_hash_algo: string | null;
  os_hash_value: string | null;
  min_disk: number;
  min_ram: number;
  protected: number;
  os_hidden: number;
  /** JSON array of strings. */
  tags: string;
  /** JSON object of extra string properties. */
  extra: string;
  created_at: string;
  updated_at: string;
  /** Version of the row and its memberships, set by triggers on every change (migration 0003). */
  rev: Generated<number>;
  /** How many memberships the image has, kept by the membership triggers (migration 0006). */
  member_count: Generated<number>;
}

export type ImageRow = Selectable<ImageTable>;
export type NewImageRow = Insertable<ImageTable>;

export interface ImageMemberTable {
  image_id: string;
  member_id: string;
  status: string;
  vault_id: string | null;
  /** Copy of images.created_at, for keyset pages of the images shared with a member. */
  image_created_at: string;
  created_at: string;
  updated_at: string;
  /** `project`, `domain` (an account) or `organization` (an organization, its root or an OU) (migration 0012). */
  member_type: string;
  /** An organization member's URN; null for the others. */
  urn: string | null;
}

export interface KmsGrantTable {
  key_id: string;
  project_id: string;
  created_at: string;
}

export interface JobTable {
  id: string;
  project_id: string;
  type: string;
  status: string;
  /** JSON input of the job handler. */
  payload: string;
  error_code: string | null;
  fail_reason: string | null;
  attempts: number;
  locked_by: string | null;
  /** Lease end (ISO); a RUNNING job whose lease passed may be taken over. */
  locked_until: string | null;
  created_at: string;
  begin_time: string;
  end_time: string | null;
  /** Attempts that failed for a transient reason and were retried (migration 0007). */
  retries: Generated<number>;
  /** What the last such attempt failed with. */
  last_error: string | null;
  /** Pairs the job has to do (migration 0010): a project's unfinished ones are its queued work. */
  pairs: Generated<number>;
  /** Since when the job waits for a runner: its submission, or the end of its last time slice. */
  queued_at: string | null;
  /** Time slices it gave up for another project's job. */
  slices: Generated<number>;
}

export interface JobResultTable {
  job_id: string;
  seq: number;
  image_id: string;
  project_id: string;
  status: string;
  error_code: string | null;
}

/** An image upload in progress (migration 0008). */
export interface UploadTable {
  image_id: string;
  /** The process streaming the data. */
  owner: string;
  /** The file the data goes to until it is complete, under `<data-dir>/images`. */
  temp_file: string;
  /** Renewed while the data streams; an expired lease means the process died. */
  lease_until: string;
  created_at: string;
}

/** The version of what a project (scope '' : every project) may list (migrations 0004, SQLite, and 0005, PostgreSQL). */
export interface ListRevTable {
  scope: string;
  rev: number;
}

/** A Keystone domain: an account (migration 0011). */
export interface DomainTable {
  id: string;
  name: string;
  description: string;
  /** 1 or 0: users of a disabled domain cannot log in, nor anyone into its projects. */
  enabled: number;
  created_at: string;
}

/** An organization and its management account (migration 0011). */
export interface OrganizationTable {
  id: string;
  management_domain_id: string;
  created_at: string;
}

/** A unit of an organization's tree: its root (no parent) or an OU. */
export interface OrgUnitTable {
  id: string;
  org_id: string;
  parent_id: string | null;
  name: string;
  created_at: string;
}

/** An account's place in its organization (an account is in at most one). */
export interface OrgAccountTable {
  domain_id: string;
  org_id: string;
  parent_id: string;
  /** `created` for the management account, `invited` for the others (Huawei's join methods). */
  join_method: string;
  joined_at: string;
}

/** A Keystone token revocation event (migration 0013): null fields match any token. */
export interface RevocationEventTable {
  id: Generated<number>;
  audit_id: string | null;
  user_id: string | null;
  project_id: string | null;
  /** Tokens issued at or before this time (ISO, milliseconds) are refused. */
  issued_before: string;
  /** When every token it matches has expired: the event may go. */
  expires_at: string;
}

export interface Database {
  domains: DomainTable;
  organizations: OrganizationTable;
  org_units: OrgUnitTable;
  org_accounts: OrgAccountTable;
  projects: ProjectTable;
  users: UserTable;
  role_assignments: RoleAssignmentTable;
  access_keys: AccessKeyTable;
  settings: SettingTable;
  images: ImageTable;
  image_members: ImageMemberTable;
  kms_grants: KmsGrantTable;
  jobs: JobTable;
  job_results: JobResultTable;
  list_revs: ListRevTable;
  uploads: UploadTable;
  revocation_events: RevocationEventTable;
}
