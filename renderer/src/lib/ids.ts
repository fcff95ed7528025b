/** A job id the contract accepts ([A-Za-z0-9_-]{1,64}); the renderer picks it so it can match progress events. */
export function newJobId(): string {
  const bytes = new Uint8Array(12);
  globalThis.crypto.getRandomValues(bytes);
  return `job-${Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')}`;
}
