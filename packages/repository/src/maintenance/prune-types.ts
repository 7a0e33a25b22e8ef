/** Progress of a prune's long steps: packs repacked (their used blobs copied) and packs deleted, of how many. */
export interface PruneProgress {
  readonly phase: 'repack' | 'delete';
  readonly done: number;
  readonly total: number;
}
