-- CreateEnum
CREATE TYPE "LeaveSource" AS ENUM ('API', 'CHAT');

-- CreateTable
CREATE TABLE "staff_leave" (
    "id" BIGSERIAL NOT NULL,
    "user_id" TEXT NOT NULL,
    "from_date" DATE NOT NULL,
    "to_date" DATE NOT NULL,
    "reason" TEXT,
    "source" "LeaveSource" NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "cancelled_at" TIMESTAMPTZ(3),

    CONSTRAINT "staff_leave_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "staff_leave_user_id_from_date_to_date_idx" ON "staff_leave"("user_id", "from_date", "to_date");

-- AddForeignKey
ALTER TABLE "staff_leave" ADD CONSTRAINT "staff_leave_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "staff"("user_id") ON DELETE RESTRICT ON UPDATE CASCADE;

