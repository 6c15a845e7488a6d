// The admin CLI: parses a command line, talks to the archive's tRPC admin API with an admin key,
// and prints the result. In-process and side-effect free apart from its io, so tests call it.
// Exit status: 0 done, 1 the request failed, 2 usage or configuration error.
import { parseArgs } from 'node:util';
import { type Command, GLOBAL_OPTIONS, OPTIONS, type OptionValues } from './command';
import { endpointCommands } from './commands/endpoints';
import { exportCommands } from './commands/exports';
import { keyCommands } from './commands/keys';
import { messageCommands } from './commands/messages';
import { reconcileCommands } from './commands/reconcile';
import { requestCommands } from './commands/requests';
import { createAdminClient, resolveAdminKey, resolveApiUrl } from './connection';
import { describeFailure, SetupError, UsageError } from './errors';
import { clean } from './output';

export interface CliIo {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
  env: Record<string, string | undefined>;
  /** stderr is a terminal: long commands draw a progress bar there. */
  isTTY?: boolean;
}

const COMMANDS: Command[] = [
  ...endpointCommands,
  ...messageCommands,
  ...keyCommands,
  ...requestCommands,
  ...reconcileCommands,
  ...exportCommands,
];
const GROUPS = [...new Set(COMMANDS.map((c) => c.name.split(' ')[0]!))];

export const USAGE = `Usage: scripts/admin <command> [options]

Endpoints:
  endpoints create --name NAME --auth bearer|hmac [--allow CIDR]...
                          Create an endpoint; prints its URL and its secret (shown once)
  endpoints create --name NAME --source SOURCE [--secret S] [--custom-hmac JSON]
                   [--mapping JSON] [--allow CIDR]...
                          An endpoint for a SaaS tool's own webhooks. SOURCE: github,
                          stripe, slack, shopify, svix, standard-webhooks, custom-hmac.
                          --secret is the tool's signing secret (required for stripe, slack,
                          shopify, svix); otherwise one is generated and shown once
  endpoints list          List endpoints
  endpoints show <id>     Show one endpoint
  endpoints update <id> [--name NAME] [--allow CIDR]... [--clear-allowlist]
                          Rename it, or replace its IP allowlist
  endpoints rotate <id> [--secret S]
                          Issue a new secret (or set the tool's new one); the old one stops
                          working at once
  endpoints enable <id>   Accept webhooks on its URL again
  endpoints disable <id>  Reject every webhook on its URL (nothing is deleted)
  endpoints delete <id>   Delete it: the URL stops resolving; archived messages are kept

Messages:
  messages list [--endpoint ID] [--limit N] [--cursor C]
                          List archived messages, newest first (default 50, at most 200)
  messages show <id>      Show one message with its body and attachments
  messages counts [--endpoint ID]
                          Messages by status, the backlog (acknowledged, not yet archived), and
                          how many are stuck (unarchived for longer than STUCK_AFTER_MS, 5 min)
  messages search [--q TEXT] [--endpoint ID] [--participant ADDR] [--status S,S]
                  [--since ISO] [--until ISO] [--attachments yes|no] [--extra JSON]
                  [--limit N] [--cursor C]
                          Full-text search (web syntax: words, "phrases", or, -word) with
                          filters; --since/--until bound occurred_at; --extra is JSONB
                          containment, e.g. '{"ticket":{"priority":"high"}}'
  messages verify <id>    Re-read every sealed object of a message and check its SHA-256
  messages reprocess <id> Re-run archiving of a failed or stuck message from its stored bytes
  messages download <id> [--attachment N] [--out FILE]
                          Stream the raw body (or attachment N) from WORM storage, verifying
                          its SHA-256 on the way; writes to FILE, or stdout

API keys (admin only):
  keys create --name NAME --role admin|reviewer|auditor [--expires 90d|12h|ISO]
                          Create a key with a role; prints it (shown once)
  keys list               List the tenant's keys (never the keys themselves)
  keys revoke <id>        Revoke a key: refused from the next request on

Requests (what the archive answered producers, and why):
  requests list [--endpoint ID] [--status N] [--code CODE] [--since ISO] [--until ISO]
                [--limit N] [--cursor C]
                          The request log, newest first: refusals with their precise
                          reason, masked headers, body size and SHA-256 (default 50)

Evidence:
  reconcile --endpoint ID --file FILE [--since ISO --until ISO]
                          Check the producer's list (one external id, or "id sha256", a line)
                          against the archive: missing, mismatched and, with a window on
                          received time, unexpected (archived but not listed) ids

Exports (for regulators and e-discovery):
  export create --from ISO --to ISO [--endpoint ID] [--q TEXT] [--formats rsmf,eml,jsonl]
                [--wait]
                          Start an export of the archived messages received in [from, to)
                          (a zip: messages.jsonl, .eml, RSMF, raw bodies, attachments, proofs,
                          signed EXPORT-MANIFEST.json); prints its id. --wait (or a terminal)
                          follows its progress until it completes
  export show <id>        State and progress of an export
  export list             Recent exports, newest first
  export download <id> --out FILE
                          Download the bundle; resumes a partial FILE (HTTP Range) and checks
                          the SHA-256 of the whole. Verify it with scripts/verify-export FILE

Options:
  --allow CIDR            An IP address or CIDR range allowed to post; repeat the option or
                          separate with commas. No allowlist: any address may post.
  --json                  Print the raw result as JSON, for scripts
  --api-url URL           The archive's base URL. Default: $API_URL, else $PUBLIC_BASE_URL,
                          else http://127.0.0.1:$PORT (8080)
  --key-file FILE         Read the admin key from FILE. Default: $ADMIN_API_KEY, else
                          $DATA_DIR/admin-key (./data/admin-key, written by scripts/start)
  -h, --help              Show this help

Exit status: 0 done, 1 the request failed, 2 usage or configuration error.
`;

type Parsed = { kind: 'help' } | { kind: 'run'; command: Command; args: string[]; opts: OptionValues };

export async function runCli(argv: string[], io: CliIo): Promise<number> {
  // Belt and braces: whatever ends up printed, the admin key never does.
  const secrets = new Set<string>();
  const redact = (s: string) => {
    let r = s;
    for (const k of secrets) r = r.split(k).join('[redacted]');
    return r;
  };
  const out = (s: string) => io.stdout(redact(s));
  const err = (s: string) => io.stderr(redact(s));
  const noteKey = (key: string | undefined) => {
    if (key && key.length >= 8) secrets.add(key);
  };

  let parsed: Parsed;
  try {
    parsed = parseCommandLine(argv);
  } catch (e) {
    if (!(e instanceof UsageError)) return internalError(e, err);
    // A key pasted into the wrong place on the command line must not be echoed back.
    noteKey(tryResolveKey(io.env));
    err(`error: ${clean(e.message)}\n\n${USAGE}`);
    return 2;
  }
  if (parsed.kind === 'help') {
    out(USAGE);
    return 0;
  }

  const { command, args, opts } = parsed;
  let apiUrl: string;
  let adminKey: string;
  try {
    apiUrl = resolveApiUrl(io.env, opts['api-url']);
    noteKey(tryResolveKey(io.env));
    adminKey = resolveAdminKey(io.env, opts['key-file']);
    noteKey(adminKey);
  } catch (e) {
    if (!(e instanceof SetupError)) return internalError(e, err);
    err(`${clean(e.message)}\n`);
    return 2;
  }

  try {
    await command.run({
      api: createAdminClient({ apiUrl, adminKey }),
      connection: { apiUrl, adminKey },
      args,
      opts,
      json: opts.json ?? false,
      out,
      ...(io.isTTY ? { progress: err } : {}),
    });
    return 0;
  } catch (e) {
    err(`${describeFailure(e, apiUrl)}\n`);
    return 1;
  }
}

/** A bug in the CLI itself: one line, no stack trace. */
function internalError(e: unknown, err: (s: string) => void): number {
  err(`error: ${clean(e instanceof Error ? e.message : String(e))}\n`);
  return 1;
}

function tryResolveKey(env: CliIo['env']): string | undefined {
  try {
    return resolveAdminKey(env);
  } catch {
    return undefined;
  }
}

function parseCommandLine(argv: string[]): Parsed {
  let values: OptionValues;
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args: argv,
      options: OPTIONS,
      allowPositionals: true,
      strict: true,
    }));
  } catch (e) {
    throw new UsageError(parseArgsMessage(e));
  }
  const [group, sub, ...rest] = positionals;
  if (values.help || group === 'help' || sub === 'help') return { kind: 'help' };
  if (group === undefined) throw new UsageError('missing command');
  if (!GROUPS.includes(group)) throw new UsageError(`unknown command: ${group}`);
  // One-word commands (reconcile) take every other positional as an argument.
  const standalone = COMMANDS.find((c) => c.name === group);
  if (standalone) return checked(standalone, sub === undefined ? [] : [sub, ...rest], values);
  const subcommands = COMMANDS.filter((c) => c.name.startsWith(`${group} `)).map((c) => c.name.split(' ')[1]);
  if (sub === undefined) {
    throw new UsageError(`${group}: missing subcommand (one of: ${subcommands.join(', ')})`);
  }
  const command = COMMANDS.find((c) => c.name === `${group} ${sub}`);
  if (!command) {
    throw new UsageError(`unknown command: ${group} ${sub} (${group} takes: ${subcommands.join(', ')})`);
  }
  return checked(command, rest, values);
}

function checked(command: Command, rest: string[], values: OptionValues): Parsed {
  if (rest.length < command.args.length) {
    throw new UsageError(`${command.name}: missing <${command.args[rest.length]}>`);
  }
  if (rest.length > command.args.length) {
    throw new UsageError(`${command.name}: unexpected argument ${JSON.stringify(rest[command.args.length])}`);
  }
  for (const [name, value] of Object.entries(values)) {
    if (value === undefined) continue;
    const known =
      (GLOBAL_OPTIONS as readonly string[]).includes(name) || (command.options as string[]).includes(name);
    if (!known) throw new UsageError(`${command.name}: option --${name} does not apply to this command`);
  }
  command.validate?.(values);
  return { kind: 'run', command, args: rest, opts: values };
}

/** node:util's parse errors, in one short line. */
function parseArgsMessage(e: unknown): string {
  const code = (e as { code?: unknown }).code;
  const message = e instanceof Error ? e.message : String(e);
  const option = /'(-[^' ]+)/.exec(message)?.[1];
  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' && option) return `unknown option ${option}`;
  if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE' && option) {
    if (/argument missing|ambiguous/.test(message)) {
      return `option ${option} needs a value (for a value starting with '-', write ${option}=VALUE)`;
    }
    if (/does not take an argument/.test(message)) return `option ${option} takes no value`;
  }
  return message.split('\n')[0] ?? 'invalid arguments';
}
