import type { ContractCase } from "../contract-case.js";
import { cartGetCases } from "./cart-get.js";
import { cartCases } from "./cart.js";
import { productsCases } from "./products.js";
import { reliabilityCases } from "./reliability.js";
import { signatureCases } from "./signature.js";

/** Every contract case, in the order they run and are reported. */
export const CONTRACT_CASES: readonly ContractCase[] = [
  ...signatureCases,
  ...productsCases,
  ...cartCases,
  ...cartGetCases,
  ...reliabilityCases,
];
