// The one error type instyle throws. `code` is stable and meant for programs; the message
// is for people and names the op and the argument ("instanceNorm: x has 59 elements but
// shape [1,3,4,5] needs 60").

/** @typedef {'INVALID_ARGUMENT' | 'SHAPE_MISMATCH' | 'OUT_OF_MEMORY' | 'DISPOSED' | 'UNAVAILABLE' | 'INVALID_MODEL' | 'UNSUPPORTED' | 'CANCELLED'} InstyleErrorCode */

export class InstyleError extends Error {
  /**
   * @param {InstyleErrorCode} code
   * @param {string} message
   */
  constructor(code, message) {
    super(message);
    this.name = 'InstyleError';
    this.code = code;
  }
}
