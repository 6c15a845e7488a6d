// The shape of a CLI command, and the option values every command may receive.
import type { AdminClient, Connection } from './connection';
import { UsageError } from './errors';

/** All options, parsed once with node:util parseArgs; each command says which it accepts. */
export const OPTIONS = {
  // Global.
  help: { type: 'boolean', short: 'h' },
  json: { type: 'boolean' },
  'api-url': { type: 'string' },
  'key-file': { type: 'string' },
  // Per command.
  name: { type: 'string' },
  auth: { type: 'string' },
  source: { type: 'string' },
  secret: { type: 'string' },
  'custom-hmac': { type: 'string' },
  mapping: { type: 'string' },
  allow: { type: 'string', multiple: true },
  'clear-allowlist': { type: 'boolean' },
  endpoint: { type: 'string' },
  limit: { type: 'string' },
  cursor: { type: 'string' },
  // messages search / download.
  q: { type: 'string' },
  participant: { type: 'string' },
  status: { type: 'string' },
  since: { type: 'string' },
  until: { type: 'string' },
  attachments: { type: 'string' },
  extra: { type: 'string' },
  attachment: { type: 'string' },
  out: { type: 'string', short: 'o' },
  // keys create.
  role: { type: 'string' },
  expires: { type: 'string' },
  // requests list.
  code: { type: 'string' },
  // reconcile.
  file: { type: 'string' },
  // export create.
  from: { type: 'string' },
  to: { type: 'string' },
  formats: { type: 'string' },
  wait: { type: 'boolean' },
} as const;

export const GLOBAL_OPTIONS = ['help', 'json', 'api-url', 'key-file'] as const;

export type OptionName = keyof typeof OPTIONS;

export interface OptionValues {
  help?: boolean;
  json?: boolean;
  'api-url'?: string;
  'key-file'?: string;
  name?: string;
  auth?: string;
  source?: string;
  secret?: string;
  'custom-hmac'?: string;
  mapping?: string;
  allow?: string[];
  'clear-allowlist'?: boolean;
  endpoint?: string;
  limit?: string;
  cursor?: string;
  q?: string;
  participant?: string;
  status?: string;
  since?: string;
  until?: string;
  attachments?: string;
  extra?: string;
  attachment?: string;
  out?: string;
  role?: string;
  expires?: string;
  code?: string;
  file?: string;
  from?: string;
  to?: string;
  formats?: string;
  wait?: boolean;
}

export interface CommandContext {
  api: AdminClient;
  /** For the few commands that are plain HTTP rather than tRPC (downloads). */
  connection: Connection;
  /** The command's positional arguments, already counted against `args`. */
  args: string[];
  opts: OptionValues;
  json: boolean;
  out: (s: string) => void;
  /** Set when stderr is a terminal: where progress bars are drawn. */
  progress?: (s: string) => void;
}

export interface Command {
  /** e.g. "endpoints create". */
  name: string;
  /** Names of required positional arguments, e.g. ['id']. */
  args: string[];
  /** Command-specific options it accepts (global ones always are). */
  options: OptionName[];
  /** Checks the options before any key or network is needed; throws UsageError. */
  validate?: (opts: OptionValues) => void;
  run: (ctx: CommandContext) => Promise<void>;
}

/** `--allow a --allow b,c` → ['a', 'b', 'c']. */
export function splitList(values: string[] | undefined): string[] | undefined {
  if (values === undefined) return undefined;
  return values
    .flatMap((v) => v.split(','))
    .map((s) => s.trim())
    .filter(Boolean);
}

export function requireOption(opts: OptionValues, name: 'name' | 'auth' | 'role', command: string): string {
  const v = opts[name];
  if (v === undefined || v.trim() === '') throw new UsageError(`${command}: missing --${name}`);
  return v;
}
