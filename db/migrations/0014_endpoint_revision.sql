ALTER TABLE "endpoints" ADD COLUMN "revision" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
-- Every change to an endpoint bumps its revision, whatever code path makes it: the ingest path's
-- endpoint cache is only trusted while the revision it read is still the row's.
CREATE OR REPLACE FUNCTION endpoints_bump_revision() RETURNS trigger AS $$
BEGIN
  NEW.revision := OLD.revision + 1;
  RETURN NEW;
END;
$$ LANGUAGE plpgsql;
--> statement-breakpoint
CREATE TRIGGER endpoints_revision BEFORE UPDATE ON endpoints
  FOR EACH ROW EXECUTE FUNCTION endpoints_bump_revision();
--> statement-breakpoint
-- The tenant's retention travels with its cached endpoints: changing it makes them stale too.
CREATE OR REPLACE FUNCTION tenants_bump_endpoint_revisions() RETURNS trigger AS $$
BEGIN
  IF NEW.retention_days IS DISTINCT FROM OLD.retention_days THEN
    UPDATE endpoints SET revision = revision + 1 WHERE tenant_id = NEW.id;
  END IF;
  RETURN NEW;
END;
$$ LANGUAGE plpgsql;
--> statement-breakpoint
CREATE TRIGGER tenants_endpoint_revisions AFTER UPDATE ON tenants
  FOR EACH ROW EXECUTE FUNCTION tenants_bump_endpoint_revisions();
