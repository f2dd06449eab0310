/** Divides and rounds half away from zero, in exact integer arithmetic (amounts never pass through a float). */
export function roundDiv(numerator: bigint, denominator: bigint): bigint {
  if (denominator < 0n) return roundDiv(-numerator, -denominator);
  if (numerator < 0n) return -roundDiv(-numerator, denominator);
  return (2n * numerator + denominator) / (2n * denominator);
}
