// The connection to a Crucible node: one ApiPromise for the whole console, reconnecting by
// itself (WsProvider retries every 2 s), with the best block as a store that pages follow.
import { ApiPromise, WsProvider } from '@polkadot/api';
import { useEffect, useState } from 'preact/hooks';

export const DEFAULT_ENDPOINT = 'ws://127.0.0.1:9944';
export const CRU = 10n ** 12n;

/** The endpoint: `?rpc=` in the address, else the saved setting, else the local node. */
export function endpoint() {
  const asked = new URLSearchParams(window.location.search).get('rpc');
  return asked || window.localStorage.getItem('crucible.rpc') || DEFAULT_ENDPOINT;
}

export function saveEndpoint(url) {
  window.localStorage.setItem('crucible.rpc', url);
  const address = new URL(window.location.href);
  address.searchParams.delete('rpc');
  window.location.replace(address.toString());
}

/** A tiny observable value (the console's only state shared between pages). */
function store(initial) {
  let value = initial;
  const listeners = new Set();
  return {
    get: () => value,
    set(next) {
      value = next;
      for (const l of listeners) l(value);
    },
    subscribe(l) {
      listeners.add(l);
      return () => listeners.delete(l);
    },
  };
}

export const connection = store({ state: 'connecting', url: endpoint(), api: null, error: null });
export const best = store(0);

export function useStore(s) {
  const [value, setValue] = useState(s.get());
  useEffect(() => s.subscribe(setValue), [s]);
  return value;
}

let started = false;

/** Connects once; the provider reconnects after a drop and the store says what is going on. */
export function connect() {
  if (started) return;
  started = true;
  const url = endpoint();
  const provider = new WsProvider(url, 2_000);
  const api = new ApiPromise({ provider, throwOnConnect: false, noInitWarn: true });
  let unsubHeads = null;
  const follow = async () => {
    if (unsubHeads) unsubHeads();
    unsubHeads = await api.rpc.chain.subscribeNewHeads((header) => best.set(header.number.toNumber()));
  };
  api.on('ready', () => {
    connection.set({ state: 'ready', url, api, error: null });
    follow().catch(() => {});
  });
  api.on('connected', () => {
    if (connection.get().api) {
      connection.set({ ...connection.get(), state: 'ready', error: null });
      follow().catch(() => {});
    }
  });
  api.on('disconnected', () => connection.set({ ...connection.get(), state: 'disconnected' }));
  api.on('error', (e) => connection.set({ ...connection.get(), error: typeof e?.message === 'string' ? e.message : null }));
  // Until the first connection the API's readiness rejects; the banner says it instead.
  api.isReadyOrError.catch(() => {});
}

/** Re-runs `load(api, block)` at every new best block; `[value, error]`. */
export function useChain(load, deps = []) {
  const { api } = useStore(connection);
  const block = useStore(best);
  const [value, setValue] = useState(undefined);
  const [error, setError] = useState(null);
  useEffect(() => {
    if (!api) return undefined;
    let live = true;
    load(api, block).then(
      (v) => { if (live) { setValue(v); setError(null); } },
      (e) => { if (live) setError(String(e?.message ?? e)); },
    );
    return () => { live = false; };
  }, [api, block, ...deps]);
  return [value, error];
}

/** Plancks as CRU with up to `digits` decimals. */
export function cru(plancks, digits = 4) {
  const v = BigInt(plancks?.toString?.() ?? plancks ?? 0);
  const negative = v < 0n;
  const abs = negative ? -v : v;
  const whole = abs / CRU;
  let frac = (abs % CRU).toString().padStart(12, '0').slice(0, digits).replace(/0+$/, '');
  if (frac === '' && abs % CRU !== 0n && whole === 0n) frac = '0'.repeat(digits - 1) + '1';
  return `${negative ? '-' : ''}${whole.toLocaleString('en-US')}${frac ? `.${frac}` : ''} CRU`;
}

/** A decimal CRU amount typed by a person, as plancks (`null` when it is not a number). */
export function parseCru(text) {
  const m = String(text).trim().match(/^(\d+)(?:\.(\d{0,12}))?$/);
  if (!m) return null;
  return BigInt(m[1]) * CRU + BigInt((m[2] ?? '').padEnd(12, '0'));
}

/** The chain's block time in milliseconds. */
export const blockMs = (api) => Number(api.consts.babe?.expectedBlockTime?.toString() ?? 6000);

export function duration(ms) {
  const s = Math.round(ms / 1000);
  if (s < 120) return `${s} s`;
  if (s < 7200) return `${Math.round(s / 60)} min`;
  return `${(s / 3600).toFixed(1)} h`;
}

export const short = (address) => {
  const a = String(address);
  return a.length > 16 ? `${a.slice(0, 6)}…${a.slice(-6)}` : a;
};

/** A module error as `pallet.Name` with its documentation (what the pallet says it means). */
export function explain(api, dispatchError) {
  if (dispatchError.isModule) {
    const meta = api.registry.findMetaError(dispatchError.asModule);
    return { name: `${meta.section}.${meta.name}`, docs: meta.docs.join(' ').trim() };
  }
  if (dispatchError.isToken) {
    return { name: `Token.${dispatchError.asToken.type}`, docs: 'The account cannot pay this (funds, holds or existential deposit).' };
  }
  if (dispatchError.isArithmetic) return { name: `Arithmetic.${dispatchError.asArithmetic.type}`, docs: '' };
  if (dispatchError.isBadOrigin) return { name: 'BadOrigin', docs: 'This account may not make this call.' };
  return { name: dispatchError.type, docs: '' };
}
