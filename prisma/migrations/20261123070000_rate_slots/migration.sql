-- CreateTable
CREATE TABLE "rate_slots" (
    "api" TEXT NOT NULL,
    "last_at" DOUBLE PRECISION NOT NULL,
    "live" DOUBLE PRECISION[],

    CONSTRAINT "rate_slots_pkey" PRIMARY KEY ("api")
);

