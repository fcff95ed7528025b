/**
 * Every SQLite database of the studio is opened here. better-sqlite3 is not an N-API module: its binary is built
 * for one ABI (NODE_MODULE_VERSION). Plain Node (the CLI, the HTTP host, the tests) loads the build npm made for
 * Node; inside Electron the same package must load a build made for Electron's ABI, which the desktop build puts
 * next to the app (electron/build-native.ts → out/native/) and better-sqlite3 accepts as `nativeBinding`.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { outsideAsar } from '../paths.ts';

export type SqliteDatabase = Database.Database;

/** The file the desktop build writes for Electron (one per Electron ABI). */
export function electronSqliteBinding(modules: string, root = fileURLToPath(new URL('../../', import.meta.url))): string {
  return outsideAsar(join(root, 'out', 'native', `better_sqlite3-electron-abi${modules}.node`));
}

/** Inside Electron: the Electron build of better-sqlite3, or an error that says how to make it. Elsewhere: undefined. */
export function sqliteBindingForThisRuntime(versions: NodeJS.ProcessVersions = process.versions): string | undefined {
  if (!versions.electron) return undefined;
  const file = process.env.DPRDM_SQLITE_BINDING ?? electronSqliteBinding(versions.modules);
  if (!existsSync(file)) {
    throw new Error(
      `better-sqlite3 has no build for Electron ${versions.electron} (ABI ${versions.modules}) at ${file}; run \`npm run build:native\` (the desktop build and both packagers do) on a machine with internet`,
    );
  }
  return file;
}

export function openSqlite(file: string, options: Database.Options = {}): SqliteDatabase {
  const nativeBinding = sqliteBindingForThisRuntime();
  return new Database(file, nativeBinding ? { ...options, nativeBinding } : options);
}

/** How many values one JSON chunk holds (`jsonChunks`). */
export const JSON_CHUNK_VALUES = 65_536;

/**
 * `values` as JSON arrays of at most `size` values, for statements that read a whole chunk with `json_each(?)`:
 * a million inserts or lookups then cost a few dozen crossings into SQLite instead of a million, which for the
 * ledger's members and the index's rows is about half their time. Chunks keep each text far below V8's longest
 * string. The strings must be well-formed UTF-16 (a lone surrogate has no JSON round trip).
 */
export function* jsonChunks(values: readonly unknown[], size = JSON_CHUNK_VALUES): Generator<{ readonly start: number; readonly json: string }> {
  for (let start = 0; start < values.length; start += size) yield { start, json: JSON.stringify(values.slice(start, start + size)) };
}
