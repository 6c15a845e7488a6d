ALTER TABLE "endpoints" ADD COLUMN "rate_limit_per_second" integer DEFAULT 100 NOT NULL;--> statement-breakpoint
ALTER TABLE "endpoints" ADD COLUMN "rate_limit_burst" integer DEFAULT 200 NOT NULL;