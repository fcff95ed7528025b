/** The studio's own settings (`<home>/settings.json`): small, validated, written atomically. */
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { homeLayout } from '../paths.ts';
import { z } from 'zod';
import { EXECUTION_PROVIDERS } from '../contract/contract.ts';


const SettingsSchema = z.object({
  executionProvider: z.enum(EXECUTION_PROVIDERS).default('auto'),
  /** Set once the Demo dataset was created, so that a curator who removes it does not get it back. */
  demoCreated: z.boolean().default(false),
});
export type Settings = z.infer<typeof SettingsSchema>;

export function readSettings(home: string): Settings {
  const file = homeLayout(home).settings;
  if (!existsSync(file)) return SettingsSchema.parse({});
  try {
    return SettingsSchema.parse(JSON.parse(readFileSync(file, 'utf8')));
  } catch {
    // A damaged settings file must not stop the studio: defaults, rewritten on the next change.
    return SettingsSchema.parse({});
  }
}

export function writeSettings(home: string, settings: Settings): void {
  const file = homeLayout(home).settings;
  writeFileSync(`${file}.tmp`, `${JSON.stringify(settings, null, 2)}\n`, { mode: 0o600 });
  renameSync(`${file}.tmp`, file);
}
