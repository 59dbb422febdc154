// The console: one page at a time by the address's hash (#/post, #/job/<id>, #/hosts,
// #/network), the node's connection as a banner when it drops, an account chooser and the
// endpoint setting.
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { connect, connection, best, useStore, saveEndpoint } from './lib/chain.js';
import { loadAccounts } from './lib/wallet.js';
import { PostJob } from './pages/post.jsx';
import { JobPage } from './pages/job.jsx';
import { Hosts } from './pages/hosts.jsx';
import { Network } from './pages/network.jsx';
import './style.css';

function useRoute() {
  const [hash, setHash] = useState(window.location.hash || '#/post');
  useEffect(() => {
    const on = () => setHash(window.location.hash || '#/post');
    window.addEventListener('hashchange', on);
    return () => window.removeEventListener('hashchange', on);
  }, []);
  return hash.replace(/^#\/?/, '').split('/');
}

function Banner() {
  const c = useStore(connection);
  if (c.state === 'ready') return null;
  const text = c.state === 'connecting' ? `Connecting to ${c.url}…` : `Disconnected from ${c.url} — reconnecting…`;
  return <div class="banner" role="status" data-testid="banner">{text}{c.error ? ` (${c.error})` : ''}</div>;
}

function Settings() {
  const c = useStore(connection);
  const [url, setUrl] = useState(c.url);
  return (
    <form class="settings" onSubmit={(e) => { e.preventDefault(); saveEndpoint(url); }}>
      <input value={url} onInput={(e) => setUrl(e.currentTarget.value)} aria-label="node endpoint" size={28} />
      <button type="submit">Connect</button>
    </form>
  );
}

function App() {
  const { api } = useStore(connection);
  const block = useStore(best);
  const [accounts, setAccounts] = useState([]);
  const [chosen, setChosen] = useState(window.localStorage.getItem('crucible.account') ?? '');
  const [jobId, setJobId] = useState('');
  const route = useRoute();
  useEffect(() => { if (api) loadAccounts(api).then(setAccounts); }, [api]);
  const account = accounts.find((a) => a.address === chosen) ?? null;
  const choose = (address) => { setChosen(address); window.localStorage.setItem('crucible.account', address); };
  let page;
  if (route[0] === 'job' && /^\d+$/.test(route[1] ?? '')) page = <JobPage id={Number(route[1])} account={account} />;
  else if (route[0] === 'hosts') page = <Hosts account={account} />;
  else if (route[0] === 'network') page = <Network />;
  else page = <PostJob account={account} />;
  return (
    <>
      <Banner />
      <header>
        <h1>Crucible</h1>
        <nav>
          <a href="#/post" class={route[0] === 'post' || !route[0] ? 'active' : ''}>Post a job</a>
          <form class="inline" onSubmit={(e) => { e.preventDefault(); if (jobId) window.location.hash = `#/job/${jobId}`; }}>
            <input placeholder="job #" value={jobId} onInput={(e) => setJobId(e.currentTarget.value)} size={6} aria-label="job number" />
          </form>
          <a href="#/hosts" class={route[0] === 'hosts' ? 'active' : ''}>My hosts</a>
          <a href="#/network" class={route[0] === 'network' ? 'active' : ''}>Network</a>
        </nav>
        <div class="right">
          <span class="block" data-testid="best">{block ? `#${block}` : ''}</span>
          <select value={chosen} onChange={(e) => choose(e.currentTarget.value)} aria-label="account" data-testid="account">
            <option value="">choose an account</option>
            {accounts.map((a) => <option key={a.address} value={a.address}>{a.name}</option>)}
          </select>
          <Settings />
        </div>
      </header>
      <main>{api ? page : <p>Waiting for the node…</p>}</main>
    </>
  );
}

connect();
render(<App />, document.getElementById('app'));
