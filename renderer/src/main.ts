import { mount } from 'svelte';
import App from './App.svelte';
import './app.css';
import { chooseTransport } from './lib/transport.ts';
import { createAppState } from './state/app.ts';

const transport = chooseTransport();
const target = document.getElementById('app');
if (!target) throw new Error('index.html lacks #app');
if (transport.needsToken) {
  // No token in this tab: say how to get in (the API itself answers such requests with JSON errors).
  target.innerHTML =
    '<main class="access"><h1>DP-RDM Studio</h1><p>This page needs your studio’s access token. Open the address that ' +
    '<code>npm start</code> or <code>npx dprdm serve</code> printed in the terminal: it ends with <code>?token=…</code> and stays the same across restarts.</p></main>';
} else {
  mount(App, { target, props: { app: createAppState(transport.api, transport.pickFolder) } });
}
