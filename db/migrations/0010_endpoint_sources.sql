CREATE TYPE "public"."endpoint_source" AS ENUM('comma', 'standard-webhooks', 'svix', 'github', 'stripe', 'slack', 'shopify', 'custom-hmac');--> statement-breakpoint
ALTER TABLE "endpoints" ADD COLUMN "source" "endpoint_source" DEFAULT 'comma' NOT NULL;--> statement-breakpoint
ALTER TABLE "endpoints" ADD COLUMN "source_config" jsonb DEFAULT '{}'::jsonb NOT NULL;
