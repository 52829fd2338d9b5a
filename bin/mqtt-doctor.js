#!/usr/bin/env node
// Thin shim: all logic lives in dist/cli.js (compiled from src/cli.ts).
import { main } from '../dist/cli.js';

await main(process.argv.slice(2));
