import { CairnError } from '@cairn/core';

/** Where an S3 repository lives: the server's URL, the bucket and the key prefix (no slashes at its ends). */
export interface S3Location {
  readonly endpoint: string;
  readonly bucket: string;
  readonly prefix: string;
}

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|localhost|\[::1\])(:\d+)?$/;

/**
 * Reads what follows `s3:` in a repository location: `endpoint/bucket/prefix` (https, or http for
 * a loopback endpoint such as 127.0.0.1:9000) or `http(s)://endpoint/bucket/prefix`. The prefix
 * may be empty or hold slashes. ERR_USAGE names the location when the endpoint or bucket is missing.
 */
export function parseS3Location(spec: string): S3Location {
  const bad = (what: string): CairnError => new CairnError('ERR_USAGE', `repository location "s3:${spec}" ${what}`, {
    hint: 'write it as s3:ENDPOINT/BUCKET/PREFIX, e.g. s3:s3.amazonaws.com/my-bucket/cairn or s3:http://127.0.0.1:9000/my-bucket',
  });
  const scheme = /^(https?):\/\//.exec(spec);
  const rest = scheme === null ? spec : spec.slice(scheme[0].length);
  const [host = '', bucket = '', ...prefix] = rest.split('/');
  if (host === '') throw bad('names no endpoint');
  if (bucket === '') throw bad('names no bucket');
  if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket)) {
    throw bad(`names "${bucket}", which is not a valid bucket name (3 to 63 lower-case letters, digits, "." and "-")`);
  }
  const protocol = scheme?.[1] ?? (LOOPBACK.test(host) ? 'http' : 'https');
  return { endpoint: `${protocol}://${host}`, bucket, prefix: prefix.filter((part) => part !== '').join('/') };
}
