// The generated client in use, and the check `make test` runs: it must
// compile strictly (a renamed field or path breaks the build) and answer.
import { v1 } from "./src/generated";

declare const process: { env: Record<string, string | undefined>; exit(code: number): never };

async function main(): Promise<void> {
  const api = v1({ baseUrl: process.env.GATEWAY ?? "http://127.0.0.1:8080" });
  const { data, error, response } = await api.GET("/v1/products", {
    params: { query: { per_page: 5 } },
  });
  if (error !== undefined || data === undefined) {
    console.error(`GET /v1/products answered ${response.status}`, error);
    process.exit(1);
  }
  // Typed: `items`, `total` and each product's `price_cents` come from the
  // document; a typo here is a compile error.
  const names = data.items.map((p) => `${p.name} (${p.price_cents})`);
  console.log(`GET /v1/products through the generated client: ${response.status}, ${data.total} products; first: ${names.slice(0, 2).join(", ") || "none"}`);
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
