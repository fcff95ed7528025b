/** A privacy parameter that is out of range, non-finite or of the wrong kind. Nothing was computed or spent. */
export class PrivacyParameterError extends Error {
  readonly code = 'INVALID_PRIVACY_PARAMETER' as const;
  constructor(
    readonly parameter: string,
    message: string,
  ) {
    super(`${parameter}: ${message}`);
    this.name = 'PrivacyParameterError';
  }
}

/** The requested guarantee cannot be met by any noise level the calibrator is allowed to consider. */
export class CalibrationError extends Error {
  readonly code = 'CALIBRATION_FAILED' as const;
  constructor(message: string) {
    super(message);
    this.name = 'CalibrationError';
  }
}
