#!/usr/bin/env node
import { main } from './main.js';

main(process.argv.slice(2)).then(
  (code) => {
    // a server role resolves with -1 and keeps running; one-shot commands exit with their status
    if (code >= 0) process.exitCode = code;
  },
  (e: unknown) => {
    process.stderr.write(`metalfrr: ${(e as Error).stack ?? String(e)}\n`);
    process.exit(1);
  },
);
