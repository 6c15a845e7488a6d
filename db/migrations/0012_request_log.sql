CREATE TABLE "request_log" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"at" timestamp with time zone NOT NULL,
	"tenant_id" uuid,
	"endpoint_id" uuid,
	"request_id" text NOT NULL,
	"method" text NOT NULL,
	"status" smallint NOT NULL,
	"code" text NOT NULL,
	"reason" text NOT NULL,
	"source_ip" text,
	"body_bytes" integer,
	"body_sha256" text,
	"headers" jsonb NOT NULL,
	"ack_ms" real NOT NULL
);
--> statement-breakpoint
CREATE INDEX "request_log_tenant_at_idx" ON "request_log" USING btree ("tenant_id","at","id");
--> statement-breakpoint
CREATE INDEX "request_log_endpoint_at_idx" ON "request_log" USING btree ("endpoint_id","at","id");
--> statement-breakpoint
CREATE INDEX "request_log_at_idx" ON "request_log" USING btree ("at");
