#!/usr/bin/env node
// The voiplab command, runnable without a build: registers tsx's ESM loader, then runs the
// TypeScript CLI. Works through `npx voiplab …` and `node bin/voiplab.js …`.
import { register } from 'tsx/esm/api';

register();
const { run } = await import('../cli/main.ts');
await run(process.argv.slice(2));
