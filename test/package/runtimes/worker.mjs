import { route } from "./app.mjs";
export default { fetch: route };
