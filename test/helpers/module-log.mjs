// Preloaded into a child node (`--import`) by test/cli-lazy-load.test.ts: registers module hooks
// that append every module node resolves (ESM and the CommonJS packages ESM imports) to the file
// named by GEMWARDEN_MODULE_LOG, one URL a line.
import { register } from 'node:module';

register('./module-log-hooks.mjs', import.meta.url);
