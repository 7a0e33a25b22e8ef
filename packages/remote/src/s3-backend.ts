import { createRequire } from 'node:module';
import { CairnError, isCairnError } from '@cairn/core';
import type { Backend, ByteRange, FileInfo, FileType } from '@cairn/core';
import { assertFileName, assertFileType, assertRange, concatPieces, isFileName, samePieces, toPieces, truncatedError } from '@cairn/transport';
import type { BucketLocationConstraint, S3Client } from '@aws-sdk/client-s3';
import { fromS3Error, nameOf, statusOf } from './s3-errors.js';
import { parseS3Location } from './s3-location.js';
import type { S3Location } from './s3-location.js';

/** Options of createS3Backend. */
export interface S3BackendOptions {
  /** Requests in flight at once (connections to the server); 5 by default. */
  readonly connections?: number;
  /** The region to sign for; AWS_REGION, AWS_DEFAULT_REGION or us-east-1 by default. */
  readonly region?: string;
  /** Explicit credentials; by default the SDK's standard chain (AWS_ACCESS_KEY_ID…, AWS_PROFILE, ~/.aws). */
  readonly credentials?: { readonly accessKeyId: string; readonly secretAccessKey: string; readonly sessionToken?: string };
  /** Objects per list request (S3's maximum, 1000, by default). */
  readonly listPageSize?: number;
}

const FOLDERS: Readonly<Record<FileType, string>> = {
  config: '', data: 'data/', index: 'index/', snapshot: 'snapshots/', key: 'keys/', lock: 'locks/',
};

/**
 * A repository in an S3-compatible bucket (`s3:endpoint/bucket/prefix`, path-style requests):
 * the local layout as object keys (`config`, `data/<2 hex>/<name>`, `index/…`, `snapshots/…`,
 * `keys/…`, `locks/…`). Writes are write-once: a HEAD first (an existing object is compared,
 * never replaced), then a PUT with `If-None-Match: *`, which servers that support conditional
 * writes refuse when another writer got there in between (then the bytes are compared too).
 * The SDK is loaded on the first request, so opening a repository of another kind never loads it.
 */
export function createS3Backend(spec: string | S3Location, options: S3BackendOptions = {}): Backend {
  const where = typeof spec === 'string' ? parseS3Location(spec) : spec;
  const root = where.prefix === '' ? '' : `${where.prefix}/`;
  const location = `s3:${where.endpoint}/${where.bucket}${where.prefix === '' ? '' : `/${where.prefix}`}`;
  const bucketName = `s3:${where.endpoint}/${where.bucket}`;
  const keyOf = (type: FileType, name: string): string =>
    type === 'data' ? `${root}data/${name.slice(0, 2)}/${name}` : `${root}${FOLDERS[type]}${name}`;
  const fileOf = (type: FileType, name: string): string => `${location}/${keyOf(type, name).slice(root.length)}`;
  const region = options.region ?? process.env['AWS_REGION'] ?? process.env['AWS_DEFAULT_REGION'] ?? 'us-east-1';

  let sdk: Promise<{ client: S3Client; s3: typeof import('@aws-sdk/client-s3') }> | undefined;
  const load = (): NonNullable<typeof sdk> => {
    sdk ??= (async () => {
      // The SDK warns on every start under Node 20, which cairn supports: not the user's concern.
      process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] ??= 'true';
      // The SDK's CommonJS build, which is what Node's own import of it loads too; required so
      // that test runners resolving the "module" condition do not pick its bundler-only build.
      const s3 = createRequire(import.meta.url)('@aws-sdk/client-s3') as typeof import('@aws-sdk/client-s3');
      const connections = options.connections ?? 5;
      const client = new s3.S3Client({
        endpoint: where.endpoint,
        forcePathStyle: true,
        region,
        ...(options.credentials === undefined ? {} : { credentials: options.credentials }),
        requestHandler: { httpAgent: { keepAlive: true, maxSockets: connections }, httpsAgent: { keepAlive: true, maxSockets: connections } },
      });
      return { client, s3 };
    })();
    return sdk;
  };

  const body = async (response: { Body?: { transformToByteArray(): Promise<Uint8Array> } }): Promise<Uint8Array> =>
    response.Body === undefined ? new Uint8Array(0) : response.Body.transformToByteArray();

  /** HEAD: the object's size, or undefined when there is none. */
  const head = async (type: FileType, name: string): Promise<number | undefined> => {
    const { client, s3 } = await load();
    try {
      const response = await client.send(new s3.HeadObjectCommand({ Bucket: where.bucket, Key: keyOf(type, name) }));
      return response.ContentLength ?? 0;
    } catch (error) {
      const translated = fromS3Error(error, fileOf(type, name), bucketName);
      if (translated.code === 'ERR_NOT_FOUND') return undefined;
      throw translated;
    }
  };

  const getObject = async (type: FileType, name: string, range?: ByteRange): Promise<{ bytes: Uint8Array; size: number | undefined }> => {
    const { client, s3 } = await load();
    try {
      const response = await client.send(new s3.GetObjectCommand({
        Bucket: where.bucket,
        Key: keyOf(type, name),
        ...(range === undefined ? {} : { Range: `bytes=${range.offset}-${range.offset + range.length - 1}` }),
      }));
      const total = /\/(\d+)$/.exec(response.ContentRange ?? '')?.[1];
      return { bytes: await body(response), size: total === undefined ? undefined : Number(total) };
    } catch (error) {
      if (range !== undefined && (statusOf(error) === 416 || nameOf(error) === 'InvalidRange')) {
        const size = await head(type, name);
        if (size === undefined) throw new CairnError('ERR_NOT_FOUND', `${fileOf(type, name)} not found`, { cause: error });
        throw truncatedError(fileOf(type, name), range, size);
      }
      throw fromS3Error(error, fileOf(type, name), bucketName);
    }
  };

  /** Succeeds when the stored object holds exactly `pieces`; ERR_EXISTS naming it otherwise. */
  const compareExisting = async (type: FileType, name: string, pieces: readonly Uint8Array[], size: number | undefined): Promise<void> => {
    const wanted = pieces.reduce((sum, piece) => sum + piece.byteLength, 0);
    if (size === undefined || size === wanted) {
      const stored = await getObject(type, name).then((r) => r.bytes, (error: unknown) => {
        if (isCairnError(error, 'ERR_NOT_FOUND')) return undefined;
        throw error;
      });
      if (stored !== undefined && samePieces(stored, pieces)) return;
      if (stored === undefined) throw new CairnError('ERR_TRANSIENT', `${fileOf(type, name)} was removed while it was being written`);
    }
    throw new CairnError('ERR_EXISTS', `${fileOf(type, name)} exists with other content`, {
      hint: 'files of a repository are written once; this one is left as it is',
    });
  };

  return {
    location,

    async create() {
      const { client, s3 } = await load();
      try {
        await client.send(new s3.HeadBucketCommand({ Bucket: where.bucket }));
        return;
      } catch (error) {
        if (statusOf(error) !== 404 && nameOf(error) !== 'NotFound' && nameOf(error) !== 'NoSuchBucket') throw fromS3Error(error, 'the bucket', bucketName);
      }
      try {
        // Outside us-east-1, S3 wants the region named again when a bucket is created.
        await client.send(new s3.CreateBucketCommand({
          Bucket: where.bucket,
          ...(region === 'us-east-1' ? {} : { CreateBucketConfiguration: { LocationConstraint: region as BucketLocationConstraint } }),
        }));
      } catch (error) {
        const name = nameOf(error);
        if (name === 'BucketAlreadyOwnedByYou' || name === 'BucketAlreadyExists') return;
        throw fromS3Error(error, 'creating the bucket', bucketName);
      }
    },

    async write(type, name, data) {
      assertFileName(type, name);
      const pieces = toPieces(data);
      const existing = await head(type, name);
      if (existing !== undefined) return compareExisting(type, name, pieces, existing);
      const { client, s3 } = await load();
      try {
        await client.send(new s3.PutObjectCommand({ Bucket: where.bucket, Key: keyOf(type, name), Body: concatPieces(pieces), IfNoneMatch: '*' }));
      } catch (error) {
        // 412: a server with conditional writes had the object already (another writer won the race).
        if (statusOf(error) === 412 || nameOf(error) === 'PreconditionFailed') return compareExisting(type, name, pieces, undefined);
        throw fromS3Error(error, `writing ${fileOf(type, name)}`, bucketName);
      }
    },

    async read(type, name, range?: ByteRange) {
      assertFileName(type, name);
      if (range !== undefined) assertRange(range);
      if (range !== undefined && range.length === 0) {
        const size = await head(type, name);
        if (size === undefined) throw new CairnError('ERR_NOT_FOUND', `${fileOf(type, name)} not found`);
        if (range.offset > size) throw truncatedError(fileOf(type, name), range, size);
        return new Uint8Array(0);
      }
      const { bytes, size } = await getObject(type, name, range);
      if (range !== undefined && bytes.byteLength < range.length) {
        throw truncatedError(fileOf(type, name), range, size ?? range.offset + bytes.byteLength);
      }
      return bytes;
    },

    async stat(type, name): Promise<FileInfo> {
      assertFileName(type, name);
      const size = await head(type, name);
      if (size === undefined) throw new CairnError('ERR_NOT_FOUND', `${fileOf(type, name)} not found`);
      return { name, size };
    },

    async *list(type) {
      assertFileType(type);
      const { client, s3 } = await load();
      const prefix = type === 'config' ? `${root}config` : `${root}${FOLDERS[type]}`;
      let token: string | undefined;
      do {
        let page;
        try {
          page = await client.send(new s3.ListObjectsV2Command({ Bucket: where.bucket, Prefix: prefix, MaxKeys: options.listPageSize ?? 1000, ...(token === undefined ? {} : { ContinuationToken: token }) }));
        } catch (error) {
          throw fromS3Error(error, `the list of ${prefix || 'the bucket'}`, bucketName);
        }
        for (const object of page.Contents ?? []) {
          const key = object.Key ?? '';
          const name = key.slice(key.lastIndexOf('/') + 1);
          if (!isFileName(type, name) || key !== keyOf(type, name)) continue;
          yield { name, size: object.Size ?? 0 };
        }
        token = page.IsTruncated === true ? page.NextContinuationToken : undefined;
      } while (token !== undefined);
    },

    async remove(type, name) {
      assertFileName(type, name);
      const { client, s3 } = await load();
      try {
        await client.send(new s3.DeleteObjectCommand({ Bucket: where.bucket, Key: keyOf(type, name) }));
      } catch (error) {
        const translated = fromS3Error(error, `removing ${fileOf(type, name)}`, bucketName);
        if (translated.code !== 'ERR_NOT_FOUND') throw translated;
      }
    },

    async replaceConfig(data) {
      if (!(data instanceof Uint8Array)) throw new TypeError('replaceConfig wants the config bytes as a Uint8Array');
      const { client, s3 } = await load();
      try {
        // One PUT replaces an object atomically: readers see the old config or the new one.
        await client.send(new s3.PutObjectCommand({ Bucket: where.bucket, Key: keyOf('config', 'config'), Body: data.slice() }));
      } catch (error) {
        throw fromS3Error(error, `writing ${fileOf('config', 'config')}`, bucketName);
      }
    },
  };
}
