// CommonJS on a Node that cannot require() an ES module (before 20.19): the kit through import().
async function main(): Promise<void> {
  const { signWebhook, verifyWebhookSignature } = await import("vizochok-merchant-kit");
  const body = JSON.stringify({ skus: ["milk-001"], store_id: "store-1" });
  const headers = signWebhook({ secret: "whsec_consumer", body });
  console.log(JSON.stringify(verifyWebhookSignature({ secrets: ["whsec_other", "whsec_consumer"], headers, rawBody: body })));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
