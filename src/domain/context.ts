/** Who is calling: built from a verified token or AK/SK signature, passed explicitly to every service call. */
export interface RequestContext {
  userId: string;
  projectId: string;
  roles: readonly string[];
  isAdmin: boolean;
}

export function contextFor(userId: string, projectId: string, roles: readonly string[]): RequestContext {
  return { userId, projectId, roles, isAdmin: roles.includes('admin') };
}
