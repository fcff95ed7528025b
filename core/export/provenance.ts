/**
 * What an exported image says about itself. Only public facts: the prompt, sampler settings, the model set, the
 * dataset's random id (created once; nothing computed from its members), the ledger receipt and the privacy
 * parameters. Never a file name, path, content hash, fingerprint or anything else computed from the private folder.
 */
export interface ImageProvenance {
  readonly prompt: string;
  readonly seed: number;
  readonly steps: number;
  readonly sampler: 'ddim' | 'dpmpp-2m';
  readonly guidance: number;
  readonly width: number;
  readonly height: number;
  readonly modelSet: { readonly name: string; readonly version: string; readonly sha256: string };
  readonly studioVersion: string;
  readonly generationId: string;
  readonly createdAt: string;
  readonly privacy:
    | (PrivacyFacts & {
        readonly mode: 'private';
        /** The dataset's random id (ds_…): the same for every export of it, unrelated to its content. */
        readonly datasetId: string;
        readonly mechanism: { readonly q: number; readonly sigma: number; readonly k: number; readonly lambda: number };
      })
    | { readonly mode: 'public-only' };
}

/** What a private generation's ledger receipt says about it (kept in the history, carried by every export). */
export interface PrivacyFacts {
  readonly receiptId: string;
  readonly epsilonCost: number;
  readonly cumulativeEpsilon: number;
  readonly epsilonCap: number;
  readonly delta: number;
  /** The dataset's fixed Rényi order (its filter; absent in rows written before schema 2 of the ledger). */
  readonly order?: number;
}

/** The AUTOMATIC1111-style `parameters` text: prompt on the first line, settings after. */
export function a1111Parameters(p: ImageProvenance): string {
  const settings = [
    `Steps: ${p.steps}`,
    `Sampler: ${p.sampler === 'dpmpp-2m' ? 'DPM++ 2M' : 'DDIM'}`,
    `CFG scale: ${p.guidance}`,
    `Seed: ${p.seed}`,
    `Size: ${p.width}x${p.height}`,
    `Model: ${p.modelSet.name}-${p.modelSet.version}`,
    `Model hash: ${p.modelSet.sha256.slice(0, 10)}`,
  ];
  if (p.privacy.mode === 'private') {
    const m = p.privacy.mechanism;
    settings.push(`DP-RDM: epsilon cost ${p.privacy.epsilonCost.toPrecision(4)} (used ${p.privacy.cumulativeEpsilon.toPrecision(4)} of ${p.privacy.epsilonCap}) delta ${p.privacy.delta.toExponential(2)} sigma ${m.sigma.toPrecision(4)} k ${m.k} q ${m.q.toPrecision(3)} lambda ${m.lambda}`);
    settings.push(`Ledger receipt: ${p.privacy.receiptId}`);
  } else {
    settings.push('DP-RDM: public-only retrieval (no private data used)');
  }
  settings.push(`Version: DP-RDM Studio ${p.studioVersion}`);
  return `${p.prompt}\n${settings.join(', ')}`;
}
