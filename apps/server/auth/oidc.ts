// OpenID Connect sign-in for the web UI (openid-client): authorization code flow with PKCE,
// state and nonce. The flow's secrets (code verifier, state, nonce) travel in a short-lived
// cookie sealed with AES-256-GCM (lib/crypto SecretBox), so no server state is kept before the
// user comes back.
import * as client from 'openid-client';
import { z } from 'zod';
import type { Config } from '../../../lib/config';
import type { SecretBox } from '../../../lib/crypto';
import type { Logger } from '../../../lib/logger';
import type { Role } from '../../../lib/roles';
import { roleFromClaims } from './oidc-roles';

export const LOGIN_COOKIE = 'wa_oidc_login';
const LOGIN_TTL_SECONDS = 600;
const LOGIN_AAD = 'oidc-login-v1';

const ZPendingLogin = z.object({
  verifier: z.string(),
  state: z.string(),
  nonce: z.string(),
  exp: z.number(),
});

export type OidcConfig = Config & { OIDC_ISSUER: string; OIDC_CLIENT_ID: string };

export function oidcEnabled(config: Config): config is OidcConfig {
  return config.OIDC_ISSUER !== undefined && config.OIDC_CLIENT_ID !== undefined;
}

/** A sign-in refused for a reason the user is told (as a code in the redirect). */
export class SignInError extends Error {
  override name = 'SignInError';
  constructor(
    readonly code: 'login_expired' | 'login_failed' | 'idp_error' | 'no_role',
    message: string,
  ) {
    super(message);
  }
}

export interface SignedInUser {
  issuer: string;
  subject: string;
  displayName: string | null;
  role: Role;
}

const isLoopback = (u: URL) => ['127.0.0.1', 'localhost', '[::1]'].includes(u.hostname);

export function createOidcClient(config: OidcConfig, secretBox: SecretBox, log: Logger) {
  const issuer = new URL(config.OIDC_ISSUER);
  const redirectUri = `${config.PUBLIC_BASE_URL}/auth/callback`;
  let discovered: Promise<client.Configuration> | null = null;

  /** Discovery once, on first use; a failure is not cached, so the next sign-in retries. */
  function configuration() {
    discovered ??= client
      .discovery(
        issuer,
        config.OIDC_CLIENT_ID,
        config.OIDC_CLIENT_SECRET,
        config.OIDC_CLIENT_SECRET ? client.ClientSecretBasic(config.OIDC_CLIENT_SECRET) : client.None(),
        // Plain http is only ever acceptable for a provider on this machine (development, tests).
        issuer.protocol === 'http:' && isLoopback(issuer)
          ? { execute: [client.allowInsecureRequests], timeout: 10 }
          : { timeout: 10 },
      )
      .catch((err) => {
        discovered = null;
        throw err;
      });
    return discovered;
  }

  return {
    /** Where to send the browser, and the sealed cookie value that must come back with it. */
    async startLogin() {
      const cfg = await configuration();
      const pending = {
        verifier: client.randomPKCECodeVerifier(),
        state: client.randomState(),
        nonce: client.randomNonce(),
        exp: Date.now() + LOGIN_TTL_SECONDS * 1000,
      };
      const url = client.buildAuthorizationUrl(cfg, {
        redirect_uri: redirectUri,
        scope: config.OIDC_SCOPES,
        code_challenge: await client.calculatePKCECodeChallenge(pending.verifier),
        code_challenge_method: 'S256',
        state: pending.state,
        nonce: pending.nonce,
      });
      return {
        url: url.href,
        cookie: secretBox.seal(JSON.stringify(pending), LOGIN_AAD),
        maxAge: LOGIN_TTL_SECONDS,
      };
    },

    /** Validates the provider's answer (state, PKCE, ID token, nonce) and maps claims to a role. */
    async finishLogin(callbackUrl: URL, sealedCookie: string | null): Promise<SignedInUser> {
      const providerError = callbackUrl.searchParams.get('error');
      if (providerError)
        throw new SignInError('idp_error', `the identity provider answered ${providerError}`);
      const pending = openPending(sealedCookie);
      const cfg = await configuration();
      let tokens: Awaited<ReturnType<typeof client.authorizationCodeGrant>>;
      try {
        tokens = await client.authorizationCodeGrant(
          cfg,
          callbackUrl,
          {
            pkceCodeVerifier: pending.verifier,
            expectedState: pending.state,
            expectedNonce: pending.nonce,
            idTokenExpected: true,
          },
          { redirect_uri: redirectUri },
        );
      } catch (err) {
        log.warn(
          { err: { name: (err as Error).name, message: (err as Error).message } },
          'OIDC code exchange refused',
        );
        throw new SignInError('login_failed', 'the sign-in could not be completed');
      }
      let claims: Record<string, unknown> = { ...tokens.claims() };
      const subject = String(claims.sub);
      // Some providers put group claims only in userinfo.
      if (claims[config.OIDC_ROLE_CLAIM] === undefined && cfg.serverMetadata().userinfo_endpoint) {
        const info = await client.fetchUserInfo(cfg, tokens.access_token, subject);
        claims = { ...info, ...claims };
      }
      const role = roleFromClaims(claims, config.OIDC_ROLE_CLAIM, config.OIDC_ROLE_MAP);
      if (!role) throw new SignInError('no_role', `no role is mapped for ${subject}`);
      const name = claims.name ?? claims.email ?? claims.preferred_username;
      return {
        issuer: cfg.serverMetadata().issuer,
        subject,
        displayName: typeof name === 'string' ? name : null,
        role,
      };
    },
  };

  function openPending(sealed: string | null) {
    if (!sealed) throw new SignInError('login_expired', 'the sign-in started too long ago or elsewhere');
    try {
      const pending = ZPendingLogin.parse(JSON.parse(secretBox.open(sealed, LOGIN_AAD)));
      if (pending.exp < Date.now()) throw new Error('expired');
      return pending;
    } catch {
      throw new SignInError('login_expired', 'the sign-in started too long ago or elsewhere');
    }
  }
}

export type OidcClient = ReturnType<typeof createOidcClient>;
