CREATE TYPE "public"."receipt_state" AS ENUM('pending', 'started', 'archived', 'failed');--> statement-breakpoint
CREATE TABLE "ingest_receipts" (
	"id" uuid PRIMARY KEY NOT NULL,
	"tenant_id" uuid NOT NULL,
	"endpoint_id" uuid NOT NULL,
	"external_id" text NOT NULL,
	"raw" "bytea",
	"claim_check_key" text,
	"raw_sha256" text NOT NULL,
	"raw_size" bigint NOT NULL,
	"payload" "bytea",
	"request_headers" jsonb,
	"auth_mode" "auth_mode" NOT NULL,
	"received_at" timestamp with time zone NOT NULL,
	"request_id" text NOT NULL,
	"source_ip" text,
	"retention_days" integer NOT NULL,
	"workflow_id" text NOT NULL,
	"state" "receipt_state" DEFAULT 'pending' NOT NULL,
	"relay_attempts" integer DEFAULT 0 NOT NULL,
	"next_relay_at" timestamp with time zone DEFAULT now() NOT NULL,
	"started_at" timestamp with time zone,
	"finished_at" timestamp with time zone,
	"error" text
);
--> statement-breakpoint
ALTER TABLE "ingest_receipts" ADD CONSTRAINT "ingest_receipts_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "ingest_receipts" ADD CONSTRAINT "ingest_receipts_endpoint_id_endpoints_id_fk" FOREIGN KEY ("endpoint_id") REFERENCES "public"."endpoints"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "ingest_receipts_endpoint_external_id_uq" ON "ingest_receipts" USING btree ("endpoint_id","external_id");--> statement-breakpoint
CREATE INDEX "ingest_receipts_relay_idx" ON "ingest_receipts" USING btree ("next_relay_at") WHERE "ingest_receipts"."state" in ('pending', 'started');--> statement-breakpoint
CREATE INDEX "ingest_receipts_backlog_idx" ON "ingest_receipts" USING btree ("tenant_id","received_at") WHERE "ingest_receipts"."state" in ('pending', 'started');--> statement-breakpoint
-- Messages acknowledged before receipts existed keep deciding their duplicates: one receipt each,
-- pointing at the raw body sealed under its content address. (Upgrade with archiving drained:
-- in-flight runs of the old workflow are not re-driven; see README, "Upgrading".)
INSERT INTO "ingest_receipts" ("id", "tenant_id", "endpoint_id", "external_id", "claim_check_key", "raw_sha256", "raw_size", "auth_mode", "received_at", "request_id", "source_ip", "retention_days", "workflow_id", "state", "started_at", "finished_at", "error")
SELECT m."id", m."tenant_id", m."endpoint_id", m."external_id", 'tenants/' || m."tenant_id" || '/raw/' || m."raw_sha256", m."raw_sha256", m."raw_size", e."auth_mode", m."received_at", m."request_id", m."source_ip", t."retention_days", m."workflow_id",
  CASE m."status" WHEN 'archived' THEN 'archived'::receipt_state WHEN 'failed' THEN 'failed'::receipt_state ELSE 'started'::receipt_state END,
  m."received_at", m."archived_at", m."error"
FROM "messages" m JOIN "endpoints" e ON e."id" = m."endpoint_id" JOIN "tenants" t ON t."id" = m."tenant_id"
ON CONFLICT DO NOTHING;
