/** The scale of `currency` in the batch's scales; a currency the batch did not load is a bug. */
export function scaleOf(scales: ReadonlyMap<string, number>, currency: string): number {
  const scale = scales.get(currency);
  if (scale === undefined) throw new Error(`no scale known for currency ${currency}`);
  return scale;
}
