// The privacy budget ledger's public surface (docs/design.md §4–5).
export * from './errors.ts';
export { openLedger, Ledger } from './ledger.ts';
export {
  PRIVACY_UNIT,
  MECHANISM,
  ACCOUNTANT,
  CONVERSION,
  type OpenLedgerOptions,
  type CreateDatasetRequest,
  type CreateDatasetResult,
  type DatasetInfo,
  type ChargeRequest,
  type LedgerReceipt,
  type PreviewResult,
  type ChargeRecord,
  type VerifyProblem,
  type VerifyReport,
  type LedgerEvent,
} from './types.ts';
export { exportLedger, ledgerMetadata, buildExport, ledgerPrivacyStatement, csvField, type ExportFormat, type LedgerExportDocument } from './export.ts';
export { checkLedgerLocation, detectNetworkFileSystem, fileSystemTypeFromMountInfo, isNetworkFileSystemType } from './location.ts';
export { membershipFingerprint, genesisHash } from './encoding.ts';
export { LATEST_SCHEMA_VERSION, MIGRATIONS } from './schema.ts';
export { MAX_EPSILON_CAP, type ChargeKind } from './validate.ts';
export * from './filter.ts';
export * from './size-class.ts';
export { studioHome, defaultLedgerPath } from '../paths.ts';
export * from './planner.ts';
