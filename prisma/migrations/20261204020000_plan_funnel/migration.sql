-- Optional sales-funnel settings of a plan (average deal size, stage conversion rates): the target card shows
-- the weekly leads, visits and proposals they imply. Null: no funnel guidance.

-- AlterTable
ALTER TABLE "plan" ADD COLUMN     "funnel" JSONB;

