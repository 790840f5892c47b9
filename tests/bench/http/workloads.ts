import type { OperationRequest } from "@accounts/domain";

/** How the benchmark picks accounts and operations. */
export type WorkloadName = "uniform" | "zipf" | "hot" | "settle";
export const WORKLOADS: readonly WorkloadName[] = ["uniform", "zipf", "hot", "settle"];

/** Accounts the uniform, zipf and settle workloads spread over. */
export const ACCOUNTS = 100_000;
export const HOT_USER = "hot-0";
export const FEE_USER = "fees";

export function userName(index: number): string {
  return `u${index}`;
}

/** Ranks 0..n-1 drawn with P(rank k) proportional to 1/(k+1)^s, by binary search over the CDF. */
export function zipfSampler(n: number, s: number, random: () => number = Math.random): () => number {
  const cdf = new Float64Array(n);
  let total = 0;
  for (let k = 0; k < n; k++) {
    total += 1 / (k + 1) ** s;
    cdf[k] = total;
  }
  return () => {
    const target = random() * total;
    let lo = 0;
    let hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((cdf[mid] as number) < target) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
}

/**
 * The request generator of a workload. Amounts are tiny against the seeded balances, so every
 * operation is applied (a rejection would measure less work). The i-th call alternates credits and
 * reserves on one account (uniform, zipf, hot), or settles a trade between two accounts with a fee.
 */
export function requestGenerator(
  workload: WorkloadName,
  random: () => number = Math.random,
): (i: number) => OperationRequest {
  const zipf = workload === "zipf" ? zipfSampler(ACCOUNTS, 1.1, random) : undefined;
  const pick = (): string => {
    if (workload === "hot") return HOT_USER;
    if (zipf) return userName(zipf());
    return userName(Math.floor(random() * ACCOUNTS));
  };
  if (workload === "settle") {
    return () => {
      const buyer = Math.floor(random() * ACCOUNTS);
      let seller = Math.floor(random() * (ACCOUNTS - 1));
      if (seller >= buyer) seller += 1;
      return {
        type: "transfer",
        postings: [
          {
            from: { userId: userName(buyer), bucket: "available" },
            to: { userId: userName(seller), bucket: "available" },
            currency: "USDT",
            amount: "65.5",
          },
          {
            from: { userId: userName(seller), bucket: "available" },
            to: { userId: userName(buyer), bucket: "available" },
            currency: "BTC",
            amount: "0.001",
          },
          {
            from: { userId: userName(buyer), bucket: "available" },
            to: { userId: FEE_USER, bucket: "available" },
            currency: "USDT",
            amount: "0.0655",
          },
        ],
      };
    };
  }
  return (i) => {
    const account = { userId: pick(), currency: "USDT" };
    return i % 2 === 0
      ? { type: "credit", account, amount: "1.5" }
      : { type: "reserve", account, amount: "0.5" };
  };
}
