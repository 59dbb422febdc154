// Runs the e2e test files side by side: `node run.mjs [--concurrency N] [files…]` (default: every
// tests/*.test.js, 3 at a time). Each file runs in its own `node --test` process, starting its own
// nodes on free ports; files named first start first (the longest go first, so that the short
// ones fill in beside them), the rest follow in name order. Each file's report is printed whole
// when it ends, with its time; the exit status is non-zero if any file failed.
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
let concurrency = 3;
const named = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--concurrency') concurrency = Number(args[++i]);
  else named.push(args[i]);
}
if (!Number.isInteger(concurrency) || concurrency < 1) {
  console.error('--concurrency takes a whole number above 0');
  process.exit(2);
}
const all = readdirSync(join(here, 'tests')).filter((f) => f.endsWith('.test.js')).sort()
  .map((f) => join('tests', f));
const files = [...new Set([...named.map((f) => relative(here, join(here, f))), ...all])];

const started = Date.now();
const results = [];
let next = 0;

function runOne(file) {
  return new Promise((done) => {
    const t0 = Date.now();
    const child = spawn(process.execPath, ['--test', '--test-reporter=spec', file],
      { cwd: here, stdio: ['ignore', 'pipe', 'pipe'], env: process.env });
    const out = [];
    child.stdout.on('data', (d) => out.push(d));
    child.stderr.on('data', (d) => out.push(d));
    child.on('close', (code) => {
      const seconds = Math.round((Date.now() - t0) / 1000);
      process.stdout.write(`\n--- ${file}: ${code === 0 ? 'passed' : 'FAILED'} in ${seconds} s\n`);
      process.stdout.write(Buffer.concat(out));
      results.push({ file, code, seconds });
      done();
    });
  });
}

async function lane() {
  while (next < files.length) await runOne(files[next++]);
}

await Promise.all(Array.from({ length: Math.min(concurrency, files.length) }, lane));
const failed = results.filter((r) => r.code !== 0);
console.log(`\n--- e2e: ${results.length - failed.length} of ${results.length} files passed in ` +
  `${Math.round((Date.now() - started) / 1000)} s (${concurrency} at a time): ` +
  results.map((r) => `${r.file} ${r.seconds} s`).join(', '));
if (failed.length) {
  console.log(`--- failed: ${failed.map((r) => r.file).join(', ')}`);
  process.exit(1);
}
