import { parseContractConfig, type ResolvedContractConfig } from "../contract/config.js";
import { UsageError } from "./command.js";
import type { CliIo } from "./io.js";

/** Stands in for `inStockSku` when a command (send, doctor) can do without one. */
export const NO_SKU = "-";

/** Reads `--config FILE`, with `--in-stock-sku` and `--store-id` as overrides or instead of a file. */
export async function loadCliConfig(
  io: CliIo,
  flags: { config?: string | undefined; "in-stock-sku"?: string | undefined; "store-id"?: string | undefined },
  options: { needsInStockSku: boolean },
): Promise<ResolvedContractConfig> {
  let input: Record<string, unknown> = {};
  if (flags.config !== undefined) {
    let text: string;
    try {
      text = await io.readFile(flags.config);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      const why = code === "ENOENT" ? `no such file (looked in ${io.cwd})` : code === "EISDIR" ? "it is a directory" : (code ?? String(error));
      throw new UsageError(`cannot read --config ${flags.config}: ${why}`);
    }
    try {
      input = JSON.parse(text) as Record<string, unknown>;
    } catch {
      throw new UsageError(`--config ${flags.config} is not valid JSON`);
    }
  }
  if (flags["in-stock-sku"] !== undefined) input = { ...input, inStockSku: flags["in-stock-sku"] };
  if (flags["store-id"] !== undefined) input = { ...input, storeId: flags["store-id"] };
  if (input.inStockSku === undefined) {
    if (options.needsInStockSku) throw new UsageError("the contract needs test data: pass --config FILE (with inStockSku) or --in-stock-sku SKU");
    input = { ...input, inStockSku: NO_SKU };
  }
  const parsed = parseContractConfig(input);
  if (!parsed.ok) throw new UsageError(parsed.message);
  return parsed.config;
}
