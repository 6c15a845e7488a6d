-- No-op. Migrations 0007–0012 were written by hand (in parallel branches), without drizzle-kit
-- snapshots; this entry only records the schema snapshot (meta/0013_snapshot.json), so the next
-- `drizzle-kit generate` diffs against the schema as it really is.
SELECT 1;
