// Prints each benchmarked call's worst-case weight relative to balances.transfer_keep_alive,
// from the raw results (`--json-file`) of one benchmark run on one machine.
//   execution: the measured wasm execution time (median), with all components at their minimum
//              and at their maximum (the worst case, which the weights charge up front);
//   total:     execution + the database weight the runtime charges (ParityDbWeight: 8 µs per
//              read, 50 µs per write; the node's database is ParityDB), as the generated
//              weights do.
//   --at pallet.benchmark:c1=v1,c2=v2  also evaluates that benchmark's fitted linear model (least
//              squares over every run, as the weight templates do) at the given components.
// Usage: node ratios.mjs <pallet_balances.json> <pallet_x.json>... [--at ...]
import { readFileSync } from 'node:fs';

const READ_PS = 8_000_000;
const WRITE_PS = 50_000_000;

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
};

/**
 * One benchmark with every component at its maximum (`pick = Math.max`, the worst case) or at
 * its minimum (`Math.min`, the smallest input).
 */
function measure(batch, pick = Math.max) {
  const at = {};
  for (const r of batch.time_results) {
    for (const [name, value] of r.components) at[name] = name in at ? pick(at[name], value) : value;
  }
  const matches = (r) => r.components.every(([name, value]) => value === at[name]);
  const times = batch.time_results.filter(matches).map((r) => Number(r.extrinsic_time) * 1000);
  const db = batch.db_results.filter(matches);
  if (times.length === 0 || db.length === 0) throw new Error(`no results at ${JSON.stringify(at)} for ${batch.benchmark}`);
  const execution = median(times);
  const reads = Math.max(...db.map((r) => r.reads));
  const writes = Math.max(...db.map((r) => r.writes));
  return { execution, reads, writes, total: execution + reads * READ_PS + writes * WRITE_PS, at };
}

const load = (path) => JSON.parse(readFileSync(path, 'utf8'));

const argv = process.argv.slice(2);
const points = [];
const files = [];
for (let i = 0; i < argv.length; i++) {
  if (argv[i] === '--at') points.push(argv[++i]);
  else files.push(argv[i]);
}
const [balancesPath, ...pallets] = files;
if (!balancesPath || pallets.length === 0) {
  console.error('usage: node ratios.mjs <pallet_balances.json> <pallet_x.json>...');
  process.exit(2);
}
const transferBatch = load(balancesPath).find((b) => b.benchmark === 'transfer_keep_alive');
if (!transferBatch) throw new Error(`no transfer_keep_alive in ${balancesPath}`);
const ref = measure(transferBatch);
const us = (ps) => (ps / 1e6).toFixed(1).padStart(8);
const x = (a, b) => `${(a / b).toFixed(2)}x`.padStart(7);
console.log('call (components)                               execution µs  ratio |  total µs  ratio (reads/writes)');
const row = (name, w) => console.log(
  `${name.padEnd(48)}${us(w.execution)}${x(w.execution, ref.execution)} |${us(w.total)}${x(w.total, ref.total)} (${w.reads}/${w.writes})`,
);
row('pallet_balances.transfer_keep_alive', ref);
for (const path of pallets) {
  for (const batch of load(path)) {
    const name = `${batch.pallet}.${batch.benchmark}`;
    const comps = (w) => Object.entries(w.at).map(([k, v]) => `${k}=${v}`).join(',');
    const worst = measure(batch, Math.max);
    // The CLI varies one component at a time with the others at their maximum, so an
    // all-minimum run exists only for single-component benchmarks.
    if (Object.keys(worst.at).length === 1) {
      const least = measure(batch, Math.min);
      row(`${name}(${comps(least)})`, least);
    }
    row(`${name}${Object.keys(worst.at).length > 0 ? `(${comps(worst)})` : ''}`, worst);
  }
}

/** Solves the least-squares fit `y ≈ b0 + Σ bi·xi` by the normal equations. */
function fit(xs, ys) {
  const n = xs[0].length + 1;
  const rows = xs.map((x) => [1, ...x]);
  const a = Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) =>
    rows.reduce((s, r) => s + r[i] * r[j], 0)));
  const b = Array.from({ length: n }, (_, i) => rows.reduce((s, r, k) => s + r[i] * ys[k], 0));
  // Gaussian elimination with partial pivoting.
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(a[r][c]) > Math.abs(a[p][c])) p = r;
    [a[c], a[p]] = [a[p], a[c]];
    [b[c], b[p]] = [b[p], b[c]];
    if (Math.abs(a[c][c]) < 1e-12) continue;
    for (let r = 0; r < n; r++) {
      if (r === c) continue;
      const f = a[r][c] / a[c][c];
      for (let k = c; k < n; k++) a[r][k] -= f * a[c][k];
      b[r] -= f * b[c];
    }
  }
  return b.map((v, i) => (Math.abs(a[i][i]) < 1e-12 ? 0 : v / a[i][i]));
}

if (points.length > 0) console.log('\nat given components (least-squares fit of every run):');
for (const point of points) {
  const [name, comps] = point.split(':');
  const [pallet, benchmark] = name.split('.');
  const batch = pallets.flatMap((p) => load(p)).find((b) => b.pallet === pallet && b.benchmark === benchmark);
  if (!batch) throw new Error(`no results for ${name}`);
  const want = Object.fromEntries(comps.split(',').map((kv) => kv.split('=')).map(([k, v]) => [k, Number(v)]));
  const names = batch.time_results[0].components.map(([k]) => k);
  const x = (r) => names.map((k) => Number(r.components.find(([c]) => c === k)[1]));
  const at = names.map((k) => want[k]);
  const evalFit = (rs, y) => {
    const coef = fit(rs.map(x), rs.map(y));
    return coef[0] + coef.slice(1).reduce((s, c, i) => s + c * at[i], 0);
  };
  const execution = evalFit(batch.time_results, (r) => Number(r.extrinsic_time) * 1000);
  const reads = Math.max(0, Math.round(evalFit(batch.db_results, (r) => r.reads)));
  const writes = Math.max(0, Math.round(evalFit(batch.db_results, (r) => r.writes)));
  row(`${name}(${comps})`, { execution, reads, writes, total: execution + reads * READ_PS + writes * WRITE_PS });
}
