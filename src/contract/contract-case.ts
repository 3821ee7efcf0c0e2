import type { ContractClient } from "./client.js";
import type { ResolvedContractConfig } from "./config.js";

export type ContractGroup = "signature" | "products" | "cart" | "cart-get" | "reliability";

export const CONTRACT_GROUPS: readonly ContractGroup[] = ["signature", "products", "cart", "cart-get", "reliability"];

/** What a case gets: a signing client, the config, and fresh sessions the runner cleans up. */
export interface ContractContext {
  client: ContractClient;
  config: ResolvedContractConfig;
  /** A session id no other case (or run) uses; cleared with a signed `clear` after the case. */
  newSession(): string;
  /** An id unique to this run, for things that must not exist (`prefix-3f9a1c-7`). */
  unique(prefix: string): string;
  /** A line for the report (measured numbers, what was not checked). */
  note(text: string): void;
}

export interface ContractCase {
  /** Stable and unique: `group.name`, e.g. `signature.stale`. */
  id: string;
  group: ContractGroup;
  /** What a passing backend does, as a sentence. */
  title: string;
  /** Why the case cannot run with this config, or `undefined` when it can. */
  skipReason?(config: ResolvedContractConfig): string | undefined;
  run(context: ContractContext): Promise<void>;
}

/** The one error a case throws: its message says what was sent, what came back and the fix. */
export class ContractViolation extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ContractViolation";
  }
}

export const needsCartGet = (config: ResolvedContractConfig): string | undefined =>
  config.paths.cartGet === null ? "the config says there is no cart GET webhook (paths.cartGet: null)" : undefined;
