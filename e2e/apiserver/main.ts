// `npm run apiserver -- --port P [--crds DIR] [--kubeconfig-out FILE]`: runs the in-memory test API
// server until SIGINT/SIGTERM and prints its URL (see cli.ts for every flag).
import { runCli } from './cli.js';

void runCli(process.argv.slice(2));
