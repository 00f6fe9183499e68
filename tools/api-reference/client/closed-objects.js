// Reads an OpenAPI document and writes it back with its objects closed:
// every schema that names its properties loses the `additionalProperties`
// the services' documents give them (any JSON, which the services ignore in
// requests and never send in answers). Without it, each object would be
// typed `T & { [key: string]: JsonValue }` and a misspelt field would
// compile. Used by scripts/client before openapi-typescript.
"use strict";
const fs = require("fs");
const [file] = process.argv.slice(2);
const document = JSON.parse(fs.readFileSync(file, "utf8"));
const ANY = "#/components/schemas/JsonWithoutNul";

function close(node) {
  if (Array.isArray(node)) return node.forEach(close);
  if (node === null || typeof node !== "object") return;
  const extra = node.additionalProperties;
  if (node.properties && extra && typeof extra === "object" && extra.$ref === ANY) {
    delete node.additionalProperties;
    delete node.propertyNames;
  }
  Object.values(node).forEach(close);
}

close(document);
fs.writeFileSync(file, JSON.stringify(document, null, 1));
