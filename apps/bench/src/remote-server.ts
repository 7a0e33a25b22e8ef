/** The kinds of server the remote bench starts on 127.0.0.1. */
export type RemoteKind = 'rest' | 'sftp' | 's3';

/** Every remote kind, in the default order. */
export const REMOTE_KINDS: readonly RemoteKind[] = ['rest', 'sftp', 's3'];

/** Where one tool's repository is on a server, and what the tool needs to reach it. */
export interface RemoteLocation {
  /** The repository location (`-r`). */
  readonly repo: string;
  /** Extra arguments before the command (restic's `-o sftp.command=…`). */
  readonly args: readonly string[];
  /** Extra environment (keys, known_hosts). */
  readonly env: Readonly<Record<string, string>>;
  /** The folder a `cairn serve` started for each session serves (rest only). */
  readonly served?: string;
}

/** A server one run uses for every repetition: cairn's repositories and, where it can, restic's. */
export interface RemoteServer {
  readonly kind: RemoteKind;
  /** What serves, for the report: "cairn serve", "OpenSSH sshd -D (sftp-server)". */
  readonly description: string;
  /** How `bytesSent` counts, for the report. */
  readonly counting: string;
  /** A new repository `name` for cairn on this server. */
  cairn(name: string): RemoteLocation;
  /** A new repository `name` for restic on a server of the same kind, and what serves it. */
  restic(name: string): RemoteLocation & { readonly server: string };
  /** Why restic does not run against this kind, when it does not. */
  readonly resticLeftOut?: string;
  /**
   * Runs `body`, a command against `location`, with the server up (for `cairn serve`: a server
   * started for it, stopped after it) and returns the bytes the server sent to clients meanwhile,
   * counted on the server side; undefined where they are not counted (restic's REST server).
   */
  session<T>(location: RemoteLocation, body: () => Promise<T>): Promise<{ value: T; bytesSent: number | undefined }>;
  stop(): Promise<void>;
}
