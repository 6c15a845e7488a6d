// The typed admin API: tRPC over plain JSON (no transformer) at /trpc, with the admin key as a
// Bearer token. Components use useTRPC() with TanStack Query's hooks.
import { createTRPCClient, httpLink, TRPCClientError } from '@trpc/client';
import type { inferRouterInputs, inferRouterOutputs } from '@trpc/server';
import { createTRPCContext } from '@trpc/tanstack-react-query';
import type { AppRouter } from '../../server/trpc/root';
import { type Credentials, credentialHeaders } from './auth';

export type { AppRouter };

export const { TRPCProvider, useTRPC, useTRPCClient } = createTRPCContext<AppRouter>();

export function createApiClient(getCredentials: () => Credentials) {
  return createTRPCClient<AppRouter>({
    links: [httpLink({ url: '/trpc', headers: () => credentialHeaders(getCredentials()) })],
  });
}

export type ApiClient = ReturnType<typeof createApiClient>;

interface ErrorData {
  code?: string;
  httpStatus?: number;
}

function errorData(err: unknown): ErrorData | undefined {
  return err instanceof TRPCClientError ? (err.data as ErrorData | undefined) : undefined;
}

export function isUnauthorized(err: unknown): boolean {
  const d = errorData(err);
  return d?.code === 'UNAUTHORIZED' || d?.httpStatus === 401;
}

export function isForbidden(err: unknown): boolean {
  return errorData(err)?.code === 'FORBIDDEN';
}

export function isNotFound(err: unknown): boolean {
  return errorData(err)?.code === 'NOT_FOUND';
}

/** 4xx: retrying will not help. */
export function isClientError(err: unknown): boolean {
  const status = errorData(err)?.httpStatus;
  return status !== undefined && status >= 400 && status < 500;
}

const FIELD_LABELS: Record<string, string> = {
  name: 'Name',
  authMode: 'Auth mode',
  ipAllowlist: 'IP allowlist',
  q: 'Search',
};

/**
 * A message a person can act on. Input validation errors carry their issues as data
 * (`data.issues`); those become lines like "IP allowlist entry 2: not a valid IP address …".
 */
export function errorMessage(err: unknown): string {
  if (err instanceof TRPCClientError) {
    if (!err.data && err.cause instanceof TypeError) {
      return 'Could not reach the server. Check that it is running and try again.';
    }
    const issues = (err.data as { issues?: Issue[] | null } | undefined)?.issues;
    if (issues && issues.length > 0) return issues.map(describeIssue).join('\n');
    return err.message || 'The request failed.';
  }
  if (err instanceof Error) return err.message;
  return String(err);
}

interface Issue {
  path: (string | number)[];
  message: string;
}

function describeIssue({ path, message }: Issue): string {
  const [field, index] = path;
  let where = '';
  if (field !== undefined) {
    where = FIELD_LABELS[String(field)] ?? String(field);
    if (typeof index === 'number') where += ` entry ${index + 1}`;
    where += ': ';
  }
  return `${where}${message || 'invalid value'}`;
}

export type RouterOutputs = inferRouterOutputs<AppRouter>;
export type RouterInputs = inferRouterInputs<AppRouter>;
export type Endpoint = RouterOutputs['endpoints']['list'][number];
/** endpoints.get: the list's view plus live ingest counters. */
export type EndpointDetail = RouterOutputs['endpoints']['get'];
