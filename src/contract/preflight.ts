import { NoAnswerViolation, type ContractClient, type WebhookCall, type WebhookReply } from "./client.js";
import type { ResolvedContractConfig } from "./config.js";
import { REJECTED_STATUSES } from "./expect-reply.js";

/** Why the cases could not be run at all: a misconfiguration, not a broken contract. */
export type PreflightProblem = "unreachable" | "wrong-secret" | "no-webhook";

export interface PreflightFailure {
  problem: PreflightProblem;
  /** One line naming the cause and the fix. */
  message: string;
}

const ABSENT = [404, 405];

/** How the preflight is named where it is reported as a test. */
export const PREFLIGHT_TITLE = "the backend is reachable at the URL and verifies with the same secret";

/**
 * Three harmless signed requests (a products check, a cart `clear` of a session no one uses, a
 * cart GET) that tell a misconfiguration from a broken contract: the backend cannot be reached,
 * the secrets differ, or `--url` is not where the webhooks live. `undefined` when the cases can
 * run; a slow answer is left to the cases, which report it.
 *
 * @example
 * const failure = await preflight(client, config);
 * if (failure !== undefined) console.error(failure.message);
 */
export async function preflight(client: ContractClient, config: ResolvedContractConfig, session = "vizochok-contract-preflight"): Promise<PreflightFailure | undefined> {
  const products: WebhookCall = { target: "products", body: { skus: [config.inStockSku], store_id: config.storeId } };
  const first = await probe(client, products);
  if ("unreachable" in first) return { problem: "unreachable", message: `${first.unreachable}: is the backend running, and is --url right?` };
  if (!("reply" in first)) return undefined;
  const status = first.reply.status;

  if (REJECTED_STATUSES.includes(status)) {
    const unsigned = await probe(client, { ...products, unsigned: true });
    if ("reply" in unsigned && REJECTED_STATUSES.includes(unsigned.reply.status)) {
      return {
        problem: "wrong-secret",
        message:
          `the secrets differ: a correctly signed request to ${client.baseUrl}${config.paths.products} was refused (${status}) just as an unsigned one was (${unsigned.reply.status}); ` +
          "--secret must be the secret the backend verifies with",
      };
    }
    return undefined;
  }

  const others: Array<[string, WebhookCall]> = [
    [config.paths.cart, { target: "cart", body: { action: "clear", store_id: config.storeId, session_id: session } }],
  ];
  if (config.paths.cartGet !== null) {
    others.push([config.paths.cartGet, { target: "cartGet", query: { store_id: config.storeId, session_id: session } }]);
  }
  const missing = ABSENT.includes(status) ? [config.paths.products] : [];
  for (const [path, call] of others) {
    const outcome = await probe(client, call);
    if ("reply" in outcome && ABSENT.includes(outcome.reply.status)) missing.push(path);
  }
  if (missing.length === 0) return undefined;
  const where = `no webhook at ${missing.map((path) => `${client.baseUrl}${path}`).join(", ")}`;
  if (missing.length === others.length + 1) {
    return { problem: "no-webhook", message: `${where}; --url must be the base path the three webhooks live under` };
  }
  return { problem: "no-webhook", message: `${where}, though the other webhooks answer; set "paths" in the config to where it lives` };
}

type Probed = { reply: WebhookReply } | { unreachable: string } | { noAnswer: true };

async function probe(client: ContractClient, call: WebhookCall): Promise<Probed> {
  try {
    return { reply: await client.send(call) };
  } catch (error) {
    if (!(error instanceof NoAnswerViolation)) throw error;
    if (error.kind === "unreachable") return { unreachable: error.message.slice(error.message.indexOf("cannot reach")) };
    return { noAnswer: true };
  }
}
