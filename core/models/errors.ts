/** Why a model set could not be loaded or used. `code` is stable; the message names the file or field. */
export type ModelSetErrorCode =
  | 'MANIFEST_MISSING'
  | 'MANIFEST_INVALID'
  | 'FILE_MISSING'
  | 'FILE_HASH_MISMATCH'
  | 'FILE_PATH_INVALID'
  | 'PROVIDER_UNAVAILABLE'
  | 'MODEL_IO_MISMATCH';

export class ModelSetError extends Error {
  constructor(
    readonly code: ModelSetErrorCode,
    message: string,
    readonly file?: string,
  ) {
    super(message);
    this.name = 'ModelSetError';
  }
}

/** An image that could not be decoded or converted (corrupt, too large, timed out, unsupported). */
export class ImageDecodeError extends Error {
  readonly code = 'IMAGE_DECODE_FAILED' as const;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ImageDecodeError';
  }
}

/** A generation or embedding request stopped by its AbortSignal. */
export class ModelAbortError extends Error {
  readonly code = 'ABORTED' as const;
  constructor(message = 'The model operation was cancelled.') {
    super(message);
    this.name = 'AbortError';
  }
}
