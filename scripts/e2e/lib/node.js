// Starting and stopping a real crucible-node for the e2e tests.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, existsSync, createWriteStream, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { before, after } from 'node:test';
import { ApiPromise, WsProvider } from '@polkadot/api';
import { cryptoWaitReady } from '@polkadot/util-crypto';

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = resolve(here, '../../..');

/** The node binary under test: $CRUCIBLE_NODE, else the debug build in the cargo target dir. */
export function nodeBinary() {
  if (process.env.CRUCIBLE_NODE) return process.env.CRUCIBLE_NODE;
  const targetDir = process.env.CARGO_TARGET_DIR || join(repoRoot, 'target');
  const bin = join(targetDir, 'debug', 'crucible-node');
  if (!existsSync(bin)) throw new Error(`no node binary at ${bin}: build it or set CRUCIBLE_NODE`);
  return bin;
}

// Ports this process has handed out. The OS may return a just-closed port again, and a node
// whose RPC and p2p ports coincide moves its RPC to a random port (CI saw exactly that).
const handedOut = new Set();

/** A TCP port nobody listens on right now, never one handed out before in this process. */
export async function freePort() {
  for (;;) {
    const port = await new Promise((ok, fail) => {
      const srv = createServer();
      srv.unref();
      srv.on('error', fail);
      srv.listen(0, '127.0.0.1', () => {
        const { port: p } = srv.address();
        srv.close(() => ok(p));
      });
    });
    if (!handedOut.has(port)) {
      handedOut.add(port);
      return port;
    }
  }
}

/** The IPv4 RPC address the node reports in its log, once it has started the server. */
function rpcAddrFromLog(path) {
  let text;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return null;
  }
  const m = text.match(/Running JSON-RPC server: addr=127\.0\.0\.1:(\d+)/);
  return m ? Number(m[1]) : null;
}

/** Runs the node binary to completion (for CLI subcommands). */
export function runCli(args) {
  return spawnSync(nodeBinary(), args, { encoding: 'utf8', timeout: 120_000, maxBuffer: 64 << 20 });
}

export function tempBasePath() {
  return mkdtempSync(join(tmpdir(), 'crucible-e2e-'));
}

/**
 * A dev-chain node on free ports with a given base path. `start()` resolves once RPC answers;
 * `stop()` sends SIGINT and waits for a clean exit (so the database is flushed).
 */
export class DevNode {
  /** `chainArgs` replaces `--dev`, e.g. `['--chain', 'local', '--bob', '--validator']`. */
  constructor(basePath, extraArgs = [], chainArgs = ['--dev']) {
    this.basePath = basePath;
    this.extraArgs = extraArgs;
    this.chainArgs = chainArgs;
    this.proc = null;
    // Logs live outside the base path so that they survive the test's cleanup.
    const logDir = join(tmpdir(), 'crucible-e2e-logs');
    mkdirSync(logDir, { recursive: true });
    this.logStem = join(logDir, `node-${process.pid}-${Date.now()}`);
    this.starts = 0;
  }

  async start() {
    this.rpcPort = await freePort();
    this.p2pPort = this.p2pPort ?? await freePort();
    const args = [
      ...this.chainArgs,
      '--base-path', this.basePath,
      '--rpc-port', String(this.rpcPort),
      '--port', String(this.p2pPort),
      '--no-prometheus',
      '--no-telemetry',
      '--no-mdns',
      ...this.extraArgs,
    ];
    // A fresh log per start, so that a restart never reads the previous run's RPC address.
    this.starts += 1;
    this.logPath = `${this.logStem}-${this.starts}.log`;
    const log = createWriteStream(this.logPath);
    this.proc = spawn(nodeBinary(), args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.proc.stdout.pipe(log);
    this.proc.stderr.pipe(log);
    this.exited = new Promise((ok) => this.proc.on('exit', (code, signal) => ok({ code, signal })));
    this.url = `ws://127.0.0.1:${this.rpcPort}`;
    const deadline = Date.now() + 120_000;
    for (;;) {
      if (this.proc.exitCode !== null) {
        await sleep(200);
        throw new Error(`node exited early (${this.proc.exitCode}):\n${logTail(this.logPath)}`);
      }
      // Connect only once the node says where its RPC listens, and there: a node whose port is
      // taken falls back to another one, and whatever holds ours must not be taken for the node.
      const served = rpcAddrFromLog(this.logPath);
      try {
        if (served === null) throw new Error('RPC server not started yet');
        this.rpcPort = served;
        this.url = `ws://127.0.0.1:${served}`;
        const api = await connect(this.url, 2_000);
        return api;
      } catch (e) {
        if (Date.now() > deadline) throw new Error(`node RPC did not come up: ${e}\n${logTail(this.logPath)}`);
        await sleep(500);
      }
    }
  }

  async stop() {
    if (!this.proc || this.proc.exitCode !== null) return;
    this.proc.kill('SIGINT');
    const timer = setTimeout(() => this.proc.kill('SIGKILL'), 30_000);
    await this.exited;
    clearTimeout(timer);
  }
}

/** Connects an ApiPromise, failing after `timeoutMs` instead of retrying forever. */
export async function connect(url, timeoutMs = 10_000) {
  const provider = new WsProvider(url, false);
  await Promise.race([
    provider.connect(),
    sleep(timeoutMs).then(() => { throw new Error('connect timeout'); }),
  ]);
  await Promise.race([
    provider.isReady,
    sleep(timeoutMs).then(() => { throw new Error('ws not ready'); }),
  ]).catch(async (e) => { await provider.disconnect().catch(() => {}); throw e; });
  const api = await ApiPromise.create({ provider, noInitWarn: true, throwOnConnect: true });
  // Raw JSON-RPC for methods polkadot.js has no decoration for (author_rotateKeysWithOwner).
  api.rawRpc = (method, params) => provider.send(method, params);
  return api;
}

/** The last lines of a node log, for error messages. */
export function logTail(path, lines = 30) {
  try {
    return readFileSync(path, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return `(no log at ${path})`;
  }
}

export const sleep = (ms) => new Promise((ok) => setTimeout(ok, ms));

/** Waits until the best block number reaches `n`. */
export async function waitForBlock(api, n, timeoutMs = 120_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const head = await api.rpc.chain.getHeader();
    if (head.number.toNumber() >= n) return head.number.toNumber();
    if (Date.now() > deadline) throw new Error(`block ${n} not reached, best is ${head.number}`);
    await sleep(1_000);
  }
}

/** Waits until the finalized block number reaches `n`. */
export async function waitForFinalized(api, n, timeoutMs = 120_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const hash = await api.rpc.chain.getFinalizedHead();
    const head = await api.rpc.chain.getHeader(hash);
    if (head.number.toNumber() >= n) return head.number.toNumber();
    if (Date.now() > deadline) throw new Error(`finalized ${n} not reached, finalized is ${head.number}`);
    await sleep(1_000);
  }
}

/**
 * Signs and sends `tx`, resolving when it is in a block with its events and the decoded
 * dispatch error (if any).
 */
export function submit(api, tx, signer) {
  return new Promise((ok, fail) => {
    let unsub;
    tx.signAndSend(signer, ({ status, events, dispatchError }) => {
      if (status.isInBlock) {
        if (unsub) unsub();
        let error = null;
        if (dispatchError) {
          if (dispatchError.isModule) {
            const meta = api.registry.findMetaError(dispatchError.asModule);
            error = `${meta.section}.${meta.name}`;
          } else if (dispatchError.isToken) {
            error = `Token.${dispatchError.asToken.type}`;
          } else {
            error = dispatchError.type;
          }
        }
        ok({ blockHash: status.asInBlock, events, error });
      } else if (status.isInvalid || status.isDropped || status.isUsurped) {
        if (unsub) unsub();
        fail(new Error(`transaction ${status.type}`));
      }
    }).then((u) => { unsub = u; }, fail);
  });
}

export function cleanup(path) {
  if (process.env.CRUCIBLE_E2E_KEEP) return;
  rmSync(path, { recursive: true, force: true });
}

/**
 * The nodes of one test file. `before` every test, `start(net)` creates nodes with `net.node()`
 * (each on a fresh base path unless given one) and starts them with `net.start()`; `after` the
 * last test — passed or failed — every API is disconnected, every node stopped and every base
 * path removed. `net.api` is whatever `start` puts there (the file's main connection).
 */
export function withNodes(start) {
  const net = {
    api: null,
    nodes: [],
    apis: [],
    paths: [],
    /** A fresh temporary base path, removed after the file. */
    path() {
      const p = tempBasePath();
      net.paths.push(p);
      return p;
    },
    /** A node (not started) on `basePath` (default: a fresh one). */
    node(extraArgs = [], chainArgs = ['--dev'], basePath = net.path()) {
      const node = new DevNode(basePath, extraArgs, chainArgs);
      net.nodes.push(node);
      return node;
    },
    /** Starts `node`; its API is disconnected after the file. */
    async start(node) {
      const api = await node.start();
      net.apis.push(api);
      return api;
    },
    /** Stops `node` and starts it again on the same base path and ports; the new API. */
    async restart(node, api = net.api) {
      if (api) await api.disconnect();
      await node.stop();
      const again = await net.start(node);
      if (api === net.api) net.api = again;
      return again;
    },
  };
  before(async () => {
    await cryptoWaitReady();
    await start(net);
  });
  after(async () => {
    await Promise.all(net.apis.map((api) => api.disconnect().catch(() => {})));
    await Promise.all(net.nodes.map((node) => node.stop()));
    net.paths.forEach(cleanup);
  });
  return net;
}

/**
 * One dev-chain node for a test file (`withNodes` with one node): `prepare(basePath)` runs on
 * its base path first (the provider's attestation key, say), then the node starts with `args`,
 * then `ready(api, net)`. `net.main` is the node, `net.api` its API.
 */
export function withDevNode({ args = [], prepare, ready } = {}) {
  return withNodes(async (net) => {
    const basePath = net.path();
    if (prepare) await prepare(basePath);
    net.main = net.node(args, ['--dev'], basePath);
    net.api = await net.start(net.main);
    if (ready) await ready(net.api, net);
  });
}
