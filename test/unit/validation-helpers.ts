import { AppError } from "../../src/lib/errors.ts";

/** A caught VALIDATION error: the user message and its problem list. */
export interface CaughtValidation {
  message: string;
  problems: { field?: string; message: string; key?: string }[];
}

/** Runs `fn`, expecting an AppError VALIDATION; anything else (or no error) fails the test. */
export function catchValidation(fn: () => unknown): CaughtValidation {
  try {
    fn();
  } catch (error) {
    if (error instanceof AppError && error.code === "VALIDATION") {
      return { message: error.userMessage, problems: error.details as CaughtValidation["problems"] };
    }
    throw error;
  }
  throw new Error("expected a VALIDATION error, but the call succeeded");
}
