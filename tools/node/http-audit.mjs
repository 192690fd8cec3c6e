#!/usr/bin/env node
// Runs the GraphQL-over-HTTP spec's server audits (graphql-http's serverAudits) against a running server.
//   node http-audit.mjs http://127.0.0.1:8080/graphql
// Prints one line per audit and a summary `ok N, warn N, error N of T`; exits 1 unless every audit is ok.
import { serverAudits } from "graphql-http";

const url = process.argv[2];
if (!url) {
  console.error("usage: node http-audit.mjs URL");
  process.exit(2);
}
const results = await Promise.all(serverAudits({ url }).map(({ fn }) => fn()));
const counts = { ok: 0, notice: 0, warn: 0, error: 0 };
for (const r of results) {
  counts[r.status] += 1;
  const why = r.status === "ok" ? "" : ` -- ${r.reason}${r.response ? ` (HTTP ${r.response.status})` : ""}`;
  console.log(`${r.status.padEnd(5)} ${r.id} ${r.name}${why}`);
}
console.log(
  `graphql-http audit: ok ${counts.ok}, notice ${counts.notice}, warn ${counts.warn}, error ${counts.error} of ${results.length}`,
);
process.exit(counts.ok === results.length ? 0 : 1);
