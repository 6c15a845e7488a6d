// Operator commands that act on the database directly (no admin key exists yet for them):
//   scripts/tenant create --name NAME [--retention-days N]   a tenant and its first admin key
//   scripts/tenant add-key --tenant ID [--name NAME]          another admin key for a tenant
// Admin keys are printed once and stored only as a hash. With PGlite (no DATABASE_URL) the
// embedded server must be stopped first: PGlite's files belong to one process at a time.
import { parseArgs } from 'node:util';
import { eq } from 'drizzle-orm';
import { z } from 'zod';
import { audit } from '../../db/audit';
import { adminKeys, tenants } from '../../db/schema';
import { loadConfig } from '../../lib/config';
import { sha256Hex } from '../../lib/crypto';
import { openConfiguredDatabase } from '../runtime';
import { createTenantWithKey, newAdminKey } from '../server/bootstrap';

const USAGE = `Usage:
  scripts/tenant create --name NAME [--retention-days N]
  scripts/tenant add-key --tenant TENANT_ID [--name KEY_NAME]
Needs DATABASE_URL, or a stopped embedded instance (PGlite in DATA_DIR).`;

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      name: { type: 'string' },
      'retention-days': { type: 'string' },
      tenant: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const command = positionals[0];
  if (values.help || !command) {
    console.log(USAGE);
    return values.help ? 0 : 2;
  }
  const config = loadConfig();
  if (!config.DATABASE_URL && (await embeddedServerRunning(`http://${config.HOST}:${config.PORT}/healthz`))) {
    console.error(
      'error: the embedded instance is running; stop scripts/start first (PGlite is single-process), or set DATABASE_URL',
    );
    return 2;
  }
  const database = openConfiguredDatabase(config);
  try {
    await database.migrate();
    if (command === 'create') {
      const name = z.string().trim().min(1).max(200).safeParse(values.name);
      const days = z.coerce
        .number()
        .int()
        .min(1)
        .max(100 * 365)
        .safeParse(values['retention-days'] ?? config.RETENTION_DAYS);
      if (!name.success || !days.success) {
        console.error(
          `error: ${!name.success ? '--name is required' : '--retention-days must be a whole number of days'}\n\n${USAGE}`,
        );
        return 2;
      }
      const t = await createTenantWithKey(database.db, name.data, { retentionDays: days.data });
      console.log(
        `tenant:    ${t.tenantId}\nretention: ${days.data} days\nadmin key: ${t.adminKey}\n\nThis key is shown only once. Store it now.`,
      );
      return 0;
    }
    if (command === 'add-key') {
      const id = z.uuid().safeParse(values.tenant);
      if (!id.success) {
        console.error(`error: --tenant must be a tenant id\n\n${USAGE}`);
        return 2;
      }
      const [tenant] = await database.db.select().from(tenants).where(eq(tenants.id, id.data));
      if (!tenant) {
        console.error(`error: tenant ${id.data} not found`);
        return 1;
      }
      const key = newAdminKey();
      const [row] = await database.db
        .insert(adminKeys)
        .values({
          tenantId: tenant.id,
          name: values.name ?? 'operator',
          keyHash: sha256Hex(key),
          keyPrefix: key.slice(0, 13),
        })
        .returning({ id: adminKeys.id });
      await audit(database.db, {
        tenantId: tenant.id,
        actor: 'operator',
        action: 'admin_key.created',
        targetType: 'admin_key',
        targetId: row!.id,
      });
      console.log(`tenant:    ${tenant.id}\nadmin key: ${key}\n\nThis key is shown only once. Store it now.`);
      return 0;
    }
    console.error(`error: unknown command ${command}\n\n${USAGE}`);
    return 2;
  } finally {
    await database.close();
  }
}

async function embeddedServerRunning(url: string): Promise<boolean> {
  try {
    await fetch(url, { signal: AbortSignal.timeout(1000) });
    return true;
  } catch {
    return false;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    console.error(`error: ${err instanceof Error ? err.message : String(err)}`);
    process.exitCode = 1;
  },
);
