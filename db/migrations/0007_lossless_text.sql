ALTER TABLE "messages" ADD COLUMN "escaped_fields" text[] DEFAULT '{}'::text[] NOT NULL;--> statement-breakpoint
ALTER TABLE "messages" ADD COLUMN "escape_scheme" text;
