/**
 * Once per run, before any test file: what every file would otherwise make for itself at a cost (the TLS
 * certificate set). Handed to the files with `provide` (https://vitest.dev/config/globalsetup).
 */
import { rmSync } from 'node:fs';
import type { TestProject } from 'vitest/node';
import { generateCerts } from './certs.js';

export default function setup(project: TestProject): () => void {
  const certs = generateCerts();
  project.provide('certsDir', certs.dir);
  return () => rmSync(certs.dir, { recursive: true, force: true });
}
