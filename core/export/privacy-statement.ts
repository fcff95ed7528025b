/** The plain-language privacy statement written beside every export (PRIVACY.md): it describes the mode actually used. */

/** One private collection some exported images came from, as its ledger stands at export time. */
export interface CollectionFacts {
  /** The dataset's random id (nothing computed from its members). */
  readonly datasetId: string;
  readonly epsilonCap: number;
  readonly delta: number;
  readonly spentEpsilon: number;
  readonly queries: number;
  /** The fixed Rényi order of its filter. */
  readonly order: number;
  /** The declared size class, in words ("between 2,000 and 4,999 images"). */
  readonly sizeClass: string;
  readonly q: number;
  readonly k: number;
  /** Charges admitted by the schema-1 rule before the fixed-order filter (0 for datasets created since). */
  readonly legacyCharges: number;
  /** The ledger's head at export time: `dprdm ledger verify --receipts` checks the ledger still holds it. */
  readonly head: { readonly seq: number; readonly hash: string };
}

export interface StatementImage {
  readonly file: string;
  readonly mode: 'private' | 'public-only';
  readonly datasetId: string | null;
  readonly epsilonCost: number;
  readonly receiptId: string | null;
}

export interface StatementFacts {
  readonly collections: readonly CollectionFacts[];
  readonly images: readonly StatementImage[];
}

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;
const round = (x: number) => (Math.round(x * 1000) / 1000).toString();

function collectionSection(c: CollectionFacts, images: readonly StatementImage[]): string {
  const receipts = new Set(images.map((i) => i.receiptId));
  const legacy =
    c.legacyCharges > 0
      ? `\n- **Earlier rule:** the first ${plural(c.legacyCharges, 'query', 'queries')} of this collection were admitted while some Rényi order of a ` +
        `155-order grid still fitted (studio versions before schema 2); for those the proved guarantee is (ε = ${c.epsilonCap}, δ = 155·${c.delta.toExponential(2)}).`
      : '';
  return `### Collection \`${c.datasetId}\`

- **Unit of privacy:** one image of the collection (add/remove adjacency).
- **Guarantee:** (ε = ${c.epsilonCap}, δ = ${c.delta.toExponential(2)}) for everything ever released from it, kept by a Rényi filter at the fixed order α = ${c.order}.
- **Used so far:** ε ${round(c.spentEpsilon)} of ${c.epsilonCap} over ${plural(c.queries, 'ledger entry', 'ledger entries')} (including these images).${legacy}
- **In this export:** ${plural(images.length, 'image')} from ${plural(receipts.size, 'ledger receipt')}.
- **Treated as public:** that the collection holds ${c.sizeClass} (the size class declared when it was created, from which δ and
  the sampling rate q = ${c.q.toPrecision(3)} were fixed; they do not follow the exact count), the cap, δ, the Rényi order, and each query's q, σ, k and λ.
  The exact number of images, their content and which images were retrieved are not released.
- **Ledger head at export:** entry #${c.head.seq}, chain hash \`${c.head.hash}\`.
`;
}

const PRIVATE_MECHANISM = `## Mechanism

For each private query the studio drew a fresh Poisson subsample of the collection (rate q, from the operating
system's cryptographic random generator), took the exact k nearest neighbours of the prompt's text embedding in
that subsample, averaged them with each clipped to norm 1 and always divided by k (sensitivity 2/k), and added
Gaussian noise of standard deviation σ. Only that noisy vector conditioned the image decoder; every image drawn from
it is post-processing and costs no further privacy.

## Accounting

Rényi DP of the Poisson-subsampled Gaussian mechanism (Mironov, Talwar & Zhang 2019) at one order α fixed for the
collection when it was created; a query is admitted only while the RDP at α stays within the budget (the Rényi
filter of Feldman & Zrnic 2021), which makes the whole interaction (α, B)-RDP and so (ε, δ)-DP with the conversion of
Balle et al. (2020). Each query's ε is its share of the cap; the shares add up to what the budget has lost.

## Tamper evidence

The SQLite ledger chains every entry to the one before it by a SHA-256 hash. \`dprdm ledger verify\` detects accidental
corruption and naive edits, deletions and reorderings. Someone who edits the ledger file can recompute an unkeyed
chain, so this export records the ledger's head: \`dprdm ledger verify <collection> --receipts <this folder>\` checks
that the ledger still holds that entry with that hash, which catches a later rollback or rewrite.
`;

const PUBLIC_MECHANISM = `## Mechanism

Public-only: each image was conditioned on the model set's bundled public retrieval set (the nearest public images
to the prompt, with no noise). No private collection was read, nothing was charged to any privacy budget, and these
images carry no privacy cost.
`;

export function exportPrivacyStatement(f: StatementFacts): string {
  const privateImages = f.images.filter((i) => i.mode === 'private');
  const publicCount = f.images.length - privateImages.length;
  const sections = f.collections.map((c) => collectionSection(c, privateImages.filter((i) => i.datasetId === c.datasetId)));
  const guarantee =
    privateImages.length === 0
      ? 'Every image here is **public-only**: it used no private data at all.\n'
      : `Anyone who sees these images — together with every other output ever released from the same collection — learns
almost nothing about whether any single image was in it: for any two collections differing in one image, the
probability of any outcome changes by at most a factor e^ε, except with probability δ, with ε and δ as below.
${publicCount > 0 ? `\n${plural(publicCount, 'image')} here ${publicCount === 1 ? 'is' : 'are'} public-only and used no private data.\n` : ''}
${sections.join('\n')}`;
  return `# Privacy statement

These images were generated by DP-RDM Studio with retrieval-augmented diffusion${privateImages.length > 0 ? ' (DP-RDM, Lebensold et al. 2024)' : ''}.
No model was trained or fine-tuned on private images, and no private pixel, file name or neighbour is contained in these files.

## Guarantee

${guarantee}
${privateImages.length > 0 ? PRIVATE_MECHANISM : PUBLIC_MECHANISM}${privateImages.length > 0 && publicCount > 0 ? `\n${PUBLIC_MECHANISM.replace('## Mechanism\n\nPublic-only: each image', '### Public-only images\n\nEach public-only image')}` : ''}
## This export

- ${plural(f.images.length, 'image')}: ${privateImages.length} private, ${publicCount} public-only.
- Each PNG carries its own provenance in its \`parameters\` and \`dprdm\` text chunks; \`manifest.json\` and
  \`manifest.csv\` list them all${privateImages.length > 0 ? ' with the mechanism parameters (σ, k, q, λ) and ledger receipt of each, and `manifest.json` the ledger heads' : ''}.
`;
}
