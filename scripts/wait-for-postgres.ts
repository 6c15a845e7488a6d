// Fails fast, with a clear message, when the test PostgreSQL is not reachable.
import postgres from 'postgres';

const url = process.env.TEST_POSTGRES_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const deadline = Date.now() + 30_000;
for (;;) {
  const sql = postgres(url, { max: 1, connect_timeout: 3, onnotice: () => {} });
  try {
    await sql`select 1`;
    await sql.end();
    break;
  } catch (err) {
    await sql.end({ timeout: 1 }).catch(() => {});
    if (Date.now() > deadline) {
      console.error(
        `PostgreSQL not reachable at ${url.replace(/:[^:@/]*@/, ':***@')}: ${(err as Error).message}`,
      );
      console.error('Start it (e.g. pg_ctlcluster <version> main start) or set TEST_POSTGRES_ADMIN_URL.');
      process.exit(1);
    }
    await new Promise((r) => setTimeout(r, 1000));
  }
}
