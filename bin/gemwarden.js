#!/usr/bin/env node
// Thin launcher: the CLI lives in dist/ after `npm run build` (run by `npm ci` through `prepare`).
import { main } from '../dist/cli/main.js';

main(process.argv).then(
  (code) => {
    process.exitCode = code;
  },
  (error) => {
    console.error(`gemwarden: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
  },
);
