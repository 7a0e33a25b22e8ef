import { CairnError } from '@cairn/core';

/** What the SDK's errors carry that says what went wrong. */
interface SdkError {
  readonly name?: string;
  readonly code?: string;
  readonly message?: string;
  readonly $metadata?: { readonly httpStatusCode?: number };
  readonly $retryable?: unknown;
}

const TRANSIENT_NAMES = new Set([
  'SlowDown', 'Throttling', 'ThrottlingException', 'RequestTimeout', 'RequestTimeoutException', 'InternalError',
  'ServiceUnavailable', 'TimeoutError', 'RequestTimeTooSkewed', 'ConditionalRequestConflict',
]);
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'ECONNABORTED']);
const PERMISSION_NAMES = new Set(['AccessDenied', 'InvalidAccessKeyId', 'SignatureDoesNotMatch', 'InvalidToken', 'ExpiredToken', 'AllAccessDisabled']);

/** The HTTP status of an SDK error, when it had a response. */
export function statusOf(error: unknown): number | undefined {
  return (error as SdkError | null)?.$metadata?.httpStatusCode;
}

/** The S3 error code (NoSuchKey, AccessDenied, …) or the node error code of an SDK error. */
export function nameOf(error: unknown): string {
  const e = error as SdkError | null;
  return (e?.code !== undefined && NETWORK_CODES.has(e.code) ? e.code : e?.name) ?? '';
}

/**
 * Translates an SDK error into a CairnError with the code retries look at: ERR_NOT_FOUND (404),
 * ERR_NOT_REPOSITORY (the bucket does not exist), ERR_PERMISSION (403 and missing credentials), ERR_TRANSIENT (throttling, 5xx, network),
 * ERR_IO otherwise. `what` names the object; `where` the bucket (`s3:endpoint/bucket`).
 */
export function fromS3Error(error: unknown, what: string, where: string): CairnError {
  if (error instanceof CairnError) return error;
  const name = nameOf(error);
  const status = statusOf(error);
  const detail = (error as SdkError | null)?.message ?? String(error);
  if (name === 'NoSuchBucket') {
    // Not ERR_NOT_FOUND: that is a missing file, and a missing config means "no repository here".
    return new CairnError('ERR_NOT_REPOSITORY', `no cairn repository at ${where}: the bucket does not exist`, {
      hint: 'create the bucket (`cairn init` does), or check the location s3:ENDPOINT/BUCKET/PREFIX',
      cause: error,
    });
  }
  if (name === 'NoSuchKey' || name === 'NotFound' || status === 404) {
    return new CairnError('ERR_NOT_FOUND', `${what} not found`, { cause: error });
  }
  if (name === 'CredentialsProviderError' || name === 'ProviderError') {
    return new CairnError('ERR_PERMISSION', `no S3 credentials for ${where}: ${detail}`, {
      hint: 'set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE naming a profile in ~/.aws/credentials',
      cause: error,
    });
  }
  if (PERMISSION_NAMES.has(name) || status === 403 || status === 401) {
    return new CairnError('ERR_PERMISSION', `access to ${where} denied (${name || status}): ${detail}`, {
      hint: 'check the credentials (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY or AWS_PROFILE) and what they may access',
      cause: error,
    });
  }
  const retryable = (error as SdkError | null)?.$retryable !== undefined;
  if (TRANSIENT_NAMES.has(name) || NETWORK_CODES.has(name) || retryable || (status !== undefined && (status >= 500 || status === 429))) {
    return new CairnError('ERR_TRANSIENT', `${where} did not answer for ${what}: ${name || status}: ${detail}`, {
      hint: 'check the network and the server, then run the command again',
      cause: error,
    });
  }
  return new CairnError('ERR_IO', `${where} refused ${what}: ${name || status || 'error'}: ${detail}`, { cause: error });
}
