import { IdentityClient, passwordLogin } from '../client/identity-client.js';
import { type ImsAuth, ImsClient } from '../client/ims-client.js';
import { UsageError } from './exit-codes.js';

/** What a client command talks to: the image service, the identity service, and the caller's project. */
export interface Session {
  images: ImsClient;
  identity: IdentityClient;
  /** The caller's project: the token's scope, OS_PROJECT_ID, or HUAWEICLOUD_SDK_PROJECT_ID. */
  projectId: string | undefined;
  /** The caller's user, when a password login told it. */
  userId: string | undefined;
}

type Env = Readonly<Record<string, string | undefined>>;

const USER_AGENT = 'ims-cli/0.1';

/** The service root of a Keystone auth URL: `http://host:9292/v3` -> `http://host:9292`. */
const serviceRoot = (authUrl: string) => authUrl.replace(/\/+$/, '').replace(/\/v(3|2\.0)$/, '');

/** The caller's project, or a usage error naming the variable that gives it. */
export function projectOf(session: Session): string {
  if (session.projectId === undefined) {
    throw new UsageError('this command needs a project: set OS_PROJECT_ID (with OS_TOKEN) or HUAWEICLOUD_SDK_PROJECT_ID');
  }
  return session.projectId;
}

/**
 * The credentials of the environment: an openrc (OS_AUTH_URL with OS_TOKEN, or with OS_USERNAME/OS_USER_ID and
 * OS_PASSWORD), else Huawei's AK/SK variables (HUAWEICLOUD_SDK_AK, _SK, _PROJECT_ID, _SECURITY_TOKEN) with
 * IMS_ENDPOINT. IMS_ENDPOINT, when set, is the image service's URL whatever the credentials.
 */
export async function openSession(env: Env = process.env): Promise<Session> {
  const authUrl = env.OS_AUTH_URL;
  const endpoint = env.IMS_ENDPOINT;
  const session = (auth: ImsAuth, imageUrl: string, identityUrl: string, projectId: string | undefined,
    userId?: string): Session => ({
    images: new ImsClient({ endpoint: imageUrl, auth, userAgent: USER_AGENT }),
    identity: new IdentityClient(new ImsClient({ endpoint: identityUrl, auth, userAgent: USER_AGENT })),
    projectId,
    userId,
  });
  if (authUrl && env.OS_TOKEN) {
    return session({ token: env.OS_TOKEN }, endpoint ?? serviceRoot(authUrl), serviceRoot(authUrl), env.OS_PROJECT_ID);
  }
  if (authUrl && env.OS_PASSWORD && (env.OS_USERNAME || env.OS_USER_ID)) {
    const project = env.OS_PROJECT_ID || env.OS_PROJECT_NAME
      ? { id: env.OS_PROJECT_ID, name: env.OS_PROJECT_NAME, domainId: env.OS_PROJECT_DOMAIN_ID,
        domainName: env.OS_PROJECT_DOMAIN_NAME }
      : undefined;
    const login = await passwordLogin({ endpoint: serviceRoot(authUrl), userAgent: USER_AGENT }, {
      user: { id: env.OS_USER_ID, name: env.OS_USERNAME, domainId: env.OS_USER_DOMAIN_ID, domainName: env.OS_USER_DOMAIN_NAME },
      password: env.OS_PASSWORD, project,
    }, env.OS_REGION_NAME);
    return session({ token: login.token }, endpoint ?? login.imageUrl ?? serviceRoot(authUrl), serviceRoot(authUrl),
      login.projectId, login.userId);
  }
  const { HUAWEICLOUD_SDK_AK: ak, HUAWEICLOUD_SDK_SK: sk } = env;
  if (ak && sk) {
    if (!endpoint) throw new UsageError('HUAWEICLOUD_SDK_AK and HUAWEICLOUD_SDK_SK need IMS_ENDPOINT, the service\'s URL');
    const projectId = env.HUAWEICLOUD_SDK_PROJECT_ID || undefined;
    const auth = { ak, sk, projectId, securityToken: env.HUAWEICLOUD_SDK_SECURITY_TOKEN || undefined };
    return session(auth, endpoint, authUrl ? serviceRoot(authUrl) : endpoint, projectId);
  }
  throw new UsageError('no credentials: source an openrc file (OS_AUTH_URL, OS_USERNAME, OS_PASSWORD, OS_PROJECT_NAME) '
    + 'or set HUAWEICLOUD_SDK_AK, HUAWEICLOUD_SDK_SK and IMS_ENDPOINT');
}
