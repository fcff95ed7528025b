import { mount } from 'svelte';
import App from './App.svelte';
import './app.css';
import { chooseTransport } from './lib/transport.ts';
import { createAppState } from './state/app.ts';

const transport = chooseTransport();
const target = document.getElementById('app');
if (!target) throw new Error('index.html lacks #app');
mount(App, { target, props: { app: createAppState(transport.api, transport.pickFolder) } });
