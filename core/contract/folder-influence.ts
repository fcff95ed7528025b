/** How strongly a private folder's look shows at a noise level (core/ledger/planner.ts); browser-safe, no imports. */
export type FolderInfluence = 'strong' | 'some' | 'weak';
