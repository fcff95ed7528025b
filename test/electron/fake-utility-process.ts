// Electron's `utilityProcess` API in plain Node (the Electron binary cannot run here): fork() starts a real child
// process through ./fixtures/utility-shim.mjs, which gives it `process.parentPort`. Only the API surface is faked;
// the model worker and host on either side are the real ones.
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { UtilityChild, UtilityProcessApi } from '../../electron/model-process.ts';

const SHIM = fileURLToPath(new URL('./fixtures/utility-shim.mjs', import.meta.url));

export interface FakeUtilityProcess extends UtilityProcessApi {
  readonly forks: { modulePath: string; serviceName: string | undefined; first: unknown }[];
}

export function fakeUtilityProcess(): FakeUtilityProcess {
  const forks: FakeUtilityProcess['forks'] = [];
  return {
    forks,
    fork(modulePath, _args, options) {
      const record = { modulePath, serviceName: options?.serviceName, first: undefined as unknown };
      forks.push(record);
      const child = fork(SHIM, [modulePath], { serialization: 'advanced', stdio: 'inherit', execArgv: [] });
      const api: UtilityChild = {
        postMessage: (message) => {
          record.first ??= message;
          child.send(message as never);
        },
        on: ((event: 'message' | 'exit', listener: (arg: unknown) => void) => {
          if (event === 'message') child.on('message', listener);
          else child.on('exit', (code) => listener(code ?? 0));
          return api;
        }) as UtilityChild['on'],
        off: (event, listener) => {
          child.off(event, listener as never);
          return api;
        },
        kill: () => child.kill(),
      };
      return api;
    },
  };
}
