// The form's values → the chain's types: a `HardwareRequirement`, a container `Manifest` (hashed
// as the runtime hashes it, blake2-256 of its SCALE encoding) and a `JobSpec`. Every check here
// is one the chain makes too; the console says it before anything is paid.
import { blake2AsHex } from '@polkadot/util-crypto';
import { parseCru } from './chain.js';

// The manifest's bounds (crucible_primitives::marketplace: MAX_REPOSITORY_LEN, MAX_WORD_LEN,
// MAX_ENV_NAME, MAX_COMMAND_WORDS, MAX_ENV, MAX_PORTS; providers::MAX_MODEL_NAME_LEN). A value
// past them would not even decode on chain: the node refuses such a transaction unread.
export const LIMITS = { repository: 128, word: 128, envName: 32, words: 16, env: 16, ports: 4, model: 64 };
const bytes = (text) => new TextEncoder().encode(text).length;

export const EMPTY_FORM = {
  vendor: 'Nvidia', model: '', minVramMib: '0', minGpuCount: '1', country: '', minReputation: '0',
  duration: '20', maxPrice: '0.02', bidWindow: '3', auction: 'Open', revealWindow: '2',
  verification: 'None', auditRate: '10',
  repository: '', digest: '', command: '', env: '', ports: '', memoryMib: '64', diskMib: '16',
  shmMib: '0', egress: false, deterministic: false,
};

const whole = (text, name, problems, { min = 0, max = 2 ** 32 - 1 } = {}) => {
  const t = String(text).trim();
  if (!/^\d+$/.test(t) || Number(t) < min || Number(t) > max) {
    problems.push(`${name}: a whole number from ${min} to ${max}`);
    return min;
  }
  return Number(t);
};

/** The requirement, or the problems with the form's hardware fields. */
export function requirementOf(form, problems = []) {
  const country = form.country.trim().toUpperCase();
  if (country && !/^[A-Z]{2}$/.test(country)) problems.push('Country: two letters (ISO 3166), or empty for anywhere');
  return {
    minVramMib: whole(form.minVramMib, 'VRAM per GPU', problems),
    minGpuCount: whole(form.minGpuCount, 'GPUs', problems, { max: 64 }),
    vendor: form.vendor || null,
    model: (() => {
      const model = form.model.trim();
      if (bytes(model) > LIMITS.model) problems.push(`GPU model: at most ${LIMITS.model} bytes`);
      return model || null;
    })(),
    country: country ? country : null,
  };
}

/** `{ manifest, problems }` from the container fields. */
export function manifestOf(form, problems = []) {
  const command = form.command.split('\n').map((w) => w.replace(/\r$/, '')).filter((w) => w.length > 0);
  const env = [];
  for (const line of form.env.split('\n').map((l) => l.trim()).filter(Boolean)) {
    const m = line.match(/^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/);
    if (!m) problems.push(`Environment: "${line}" is not NAME=value`);
    else env.push({ name: m[1], value: m[2] });
  }
  const ports = [];
  for (const p of form.ports.split(/[\s,]+/).filter(Boolean)) {
    if (!/^\d+$/.test(p) || Number(p) < 1 || Number(p) > 65535) problems.push(`Ports: ${p} is not a port`);
    else ports.push(Number(p));
  }
  const repository = form.repository.trim();
  if (!repository) problems.push('Image: the repository (registry/name) is needed');
  else if (!/^[a-z0-9._\-/:]+$/.test(repository)) problems.push('Image repository: lowercase letters, digits and . _ - / : only, no @digest (the digest has its own field)');
  if (bytes(repository) > LIMITS.repository) problems.push(`Image repository: at most ${LIMITS.repository} bytes`);
  if (command.length > LIMITS.words) problems.push(`Command: at most ${LIMITS.words} words`);
  command.forEach((w, i) => { if (bytes(w) > LIMITS.word) problems.push(`Command: word ${i + 1} is ${bytes(w)} bytes, at most ${LIMITS.word}`); });
  if (env.length > LIMITS.env) problems.push(`Environment: at most ${LIMITS.env} variables`);
  for (const v of env) {
    if (bytes(v.name) > LIMITS.envName) problems.push(`Environment: ${v.name} is longer than ${LIMITS.envName} bytes`);
    if (bytes(v.value) > LIMITS.word) problems.push(`Environment: the value of ${v.name} is longer than ${LIMITS.word} bytes`);
  }
  if (new Set(env.map((v) => v.name)).size !== env.length) problems.push('Environment: each name once');
  if (ports.length > LIMITS.ports) problems.push(`Ports: at most ${LIMITS.ports}`);
  if (new Set(ports).size !== ports.length) problems.push('Ports: each port once');
  const manifest = {
    repository,
    command,
    env,
    ports,
    memoryMib: whole(form.memoryMib, 'Memory (MiB)', problems, { min: 4 }),
    shmMib: whole(form.shmMib, 'Shared memory', problems),
    diskMib: whole(form.diskMib, 'Disk', problems, { min: 1 }),
    egress: !!form.egress,
    secrets: [],
    privateRegistry: false,
    deterministic: !!form.deterministic,
  };
  return manifest;
}

export const manifestHash = (api, manifest) =>
  blake2AsHex(api.createType('CruciblePrimitivesMarketplaceManifest', manifest).toU8a(), 256);

/** `{ spec, manifest, problems, escrow }` for posting (`accessKey`: the job's x25519 key). */
export function jobOf(api, form, accessKey) {
  const problems = [];
  const requirement = requirementOf(form, problems);
  const manifest = manifestOf(form, problems);
  const digest = form.digest.trim().replace(/^sha256:/, '').replace(/^0x/, '');
  if (!/^[0-9a-f]{64}$/.test(digest)) problems.push('Image digest: sha256:<64 hex digits> (pin the image, not a tag)');
  const maxPrice = parseCru(form.maxPrice);
  if (maxPrice === null || maxPrice === 0n) problems.push('Max price per block: a positive CRU amount');
  const reputation = Number(form.minReputation);
  if (!(reputation >= 0 && reputation <= 100)) problems.push('Minimum reputation: 0 to 100 %');
  // The chain's bounds, from its metadata.
  const c = api.consts.marketplace;
  const windows = { min: c.minBidWindow.toNumber(), max: c.maxBidWindow.toNumber() };
  const duration = whole(form.duration, 'Duration (blocks)', problems, { min: 1, max: c.maxDuration.toNumber() });
  const bidWindow = whole(form.bidWindow, 'Bid window (blocks)', problems, windows);
  const auction = form.auction === 'Sealed'
    ? { Sealed: { revealWindow: whole(form.revealWindow, 'Reveal window (blocks)', problems, windows) } }
    : 'Open';
  let verification = 'None';
  if (form.verification === 'Audited') {
    const rate = Number(form.auditRate);
    if (!(rate > 0 && rate <= 100)) problems.push('Audit rate: above 0, at most 100 %');
    if (!manifest.deterministic) problems.push('An audited job must be marked deterministic (its outputs the same on every honest run)');
    if (manifest.egress) problems.push('An audited job cannot have network egress');
    verification = { Audited: { rate: Math.round(rate * 10_000) } };
  }
  const spec = {
    requirement,
    minReputation: Math.round(reputation * 10_000),
    workload: { image: `0x${digest}`, manifest: problems.length ? '0x' + '00'.repeat(32) : manifestHash(api, manifest), accessKey },
    duration,
    maxPricePerBlock: maxPrice ?? 0n,
    bidWindow,
    auction,
    verification,
  };
  const lease = (maxPrice ?? 0n) * BigInt(duration);
  const escrow = form.verification === 'Audited' ? 2n * lease : lease;
  return { spec, manifest, problems, escrow };
}
