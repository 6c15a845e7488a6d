-- Roles and expiry for API keys: every existing key stays an admin key.
ALTER TABLE "admin_keys" ADD COLUMN "role" text DEFAULT 'admin' NOT NULL;--> statement-breakpoint
ALTER TABLE "admin_keys" ADD COLUMN "expires_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "admin_keys" ADD CONSTRAINT "admin_keys_role_check" CHECK ("role" IN ('admin', 'reviewer', 'auditor'));--> statement-breakpoint
-- Where an audited access came from.
ALTER TABLE "audit_log" ADD COLUMN "source_ip" text;--> statement-breakpoint
CREATE INDEX "audit_log_tenant_id_idx" ON "audit_log" USING btree ("tenant_id","id");--> statement-breakpoint
-- Web UI sessions after OpenID Connect sign-in.
CREATE TABLE "ui_sessions" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tenant_id" uuid NOT NULL,
	"token_hash" text NOT NULL,
	"issuer" text NOT NULL,
	"subject" text NOT NULL,
	"display_name" text,
	"role" text NOT NULL,
	"source_ip" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"ended_at" timestamp with time zone,
	CONSTRAINT "ui_sessions_token_hash_unique" UNIQUE("token_hash"),
	CONSTRAINT "ui_sessions_role_check" CHECK ("role" IN ('admin', 'reviewer', 'auditor'))
);
--> statement-breakpoint
ALTER TABLE "ui_sessions" ADD CONSTRAINT "ui_sessions_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "ui_sessions_tenant_idx" ON "ui_sessions" USING btree ("tenant_id");
