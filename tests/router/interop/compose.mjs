// Composes subgraphs with @theguild/federation-composition (an independent composer).
// stdin: [{"name", "url", "sdl"}]; stdout: the supergraph SDL; exit 1 with messages on composition errors.
import { readFileSync } from 'node:fs';
import { parse } from 'graphql';
import { composeServices } from '@theguild/federation-composition';

const services = JSON.parse(readFileSync(0, 'utf8')).map((s) => ({
  name: s.name,
  url: s.url,
  typeDefs: parse(s.sdl),
}));
const result = composeServices(services);
if (result.errors && result.errors.length) {
  for (const e of result.errors) console.error(e.message);
  process.exit(1);
}
process.stdout.write(result.supergraphSdl);
