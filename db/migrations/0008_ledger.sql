CREATE TABLE "ledger_leaves" (
	"tenant_id" uuid NOT NULL,
	"leaf_index" bigint,
	"message_id" uuid NOT NULL,
	"manifest_sha256" text NOT NULL,
	"manifest_key" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "ledger_heads" (
	"tenant_id" uuid PRIMARY KEY NOT NULL,
	"size" bigint DEFAULT 0 NOT NULL
);
--> statement-breakpoint
CREATE TABLE "ledger_checkpoints" (
	"tenant_id" uuid NOT NULL,
	"tree_size" bigint NOT NULL,
	"root_hash" text NOT NULL,
	"note" text NOT NULL,
	"worm_key" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "ledger_audits" (
	"tenant_id" uuid PRIMARY KEY NOT NULL,
	"ran_at" timestamp with time zone NOT NULL,
	"ok" boolean NOT NULL,
	"tree_size" bigint NOT NULL,
	"checked_objects" bigint NOT NULL,
	"problems" jsonb NOT NULL,
	"sample_cursor" bigint DEFAULT 0 NOT NULL
);
--> statement-breakpoint
ALTER TABLE "ledger_leaves" ADD CONSTRAINT "ledger_leaves_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE no action ON UPDATE no action;
--> statement-breakpoint
ALTER TABLE "ledger_heads" ADD CONSTRAINT "ledger_heads_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE no action ON UPDATE no action;
--> statement-breakpoint
ALTER TABLE "ledger_checkpoints" ADD CONSTRAINT "ledger_checkpoints_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE no action ON UPDATE no action;
--> statement-breakpoint
ALTER TABLE "ledger_audits" ADD CONSTRAINT "ledger_audits_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE no action ON UPDATE no action;
--> statement-breakpoint
CREATE UNIQUE INDEX "ledger_leaves_tenant_index_uq" ON "ledger_leaves" USING btree ("tenant_id","leaf_index");
--> statement-breakpoint
CREATE UNIQUE INDEX "ledger_leaves_message_uq" ON "ledger_leaves" USING btree ("message_id");
--> statement-breakpoint
CREATE UNIQUE INDEX "ledger_checkpoints_tenant_size_uq" ON "ledger_checkpoints" USING btree ("tenant_id","tree_size");
--> statement-breakpoint
CREATE INDEX "ledger_leaves_pending_idx" ON "ledger_leaves" USING btree ("tenant_id","created_at") WHERE "ledger_leaves"."leaf_index" IS NULL;
--> statement-breakpoint
CREATE INDEX "ledger_audits_ok_idx" ON "ledger_audits" USING btree ("ok");
--> statement-breakpoint
CREATE TABLE "endpoint_cadence" (
	"endpoint_id" uuid PRIMARY KEY NOT NULL,
	"expect_silence_at_most_seconds" integer NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "endpoint_cadence" ADD CONSTRAINT "endpoint_cadence_endpoint_id_endpoints_id_fk" FOREIGN KEY ("endpoint_id") REFERENCES "public"."endpoints"("id") ON DELETE no action ON UPDATE no action;
