-- Fixture tables of the store contract suite (describeStoreContract in @dualwrite/stores/testing), so the
-- suite runs against tables of its own and never against the example domain. Not used by the application.
-- Generated with `prisma migrate diff --from-schema-datamodel <previous schema> --to-schema-datamodel prisma/schema.prisma --script`.

-- CreateTable
CREATE TABLE "contract_owners" (
    "id" UUID NOT NULL,
    "email" TEXT NOT NULL,
    "display_name" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "contract_owners_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "contract_items" (
    "id" UUID NOT NULL,
    "owner_id" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "amount" DECIMAL(14,2) NOT NULL,
    "currency" CHAR(3) NOT NULL,
    "metadata" JSONB NOT NULL DEFAULT '{}',
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "contract_items_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "contract_posts" (
    "id" UUID NOT NULL,
    "author_id" UUID NOT NULL,
    "title" TEXT NOT NULL,
    "body" TEXT NOT NULL,
    "published" BOOLEAN NOT NULL DEFAULT false,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "contract_posts_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "contract_notes" (
    "id" SERIAL NOT NULL,
    "post_id" UUID NOT NULL,
    "author_id" UUID NOT NULL,
    "body" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "contract_notes_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "contract_owners_email_key" ON "contract_owners"("email");

-- CreateIndex
CREATE INDEX "contract_items_owner_id_idx" ON "contract_items"("owner_id");

-- CreateIndex
CREATE INDEX "contract_posts_author_id_idx" ON "contract_posts"("author_id");

-- CreateIndex
CREATE INDEX "contract_notes_post_id_idx" ON "contract_notes"("post_id");

-- AddForeignKey
ALTER TABLE "contract_items" ADD CONSTRAINT "contract_items_owner_id_fkey" FOREIGN KEY ("owner_id") REFERENCES "contract_owners"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "contract_posts" ADD CONSTRAINT "contract_posts_author_id_fkey" FOREIGN KEY ("author_id") REFERENCES "contract_owners"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "contract_notes" ADD CONSTRAINT "contract_notes_post_id_fkey" FOREIGN KEY ("post_id") REFERENCES "contract_posts"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "contract_notes" ADD CONSTRAINT "contract_notes_author_id_fkey" FOREIGN KEY ("author_id") REFERENCES "contract_owners"("id") ON DELETE CASCADE ON UPDATE CASCADE;

