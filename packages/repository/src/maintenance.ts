/**
 * @cairn/repository/maintenance — keeping a repository's size in check: retention policies and
 * `forget`, `prune` (and the records of an unfinished one), the size limit, the repository
 * settings that hold the policy and the limit, and `tag` (rewriting snapshots with new tags).
 */
export { applyPolicy, groupSnapshots, isEmptyPolicy, describePolicy, GROUP_KEYS } from './maintenance/retention.js';
export type { RetentionPolicy, RetentionOptions, KeptSnapshot, PolicyResult, GroupKey, SnapshotGroup } from './maintenance/retention.js';
export { formatCalendarDuration, formatInterval } from './repo/durations.js';
export { forget, groupText } from './maintenance/forget.js';
export type { ForgetOptions, ForgetResult, ForgetGroup } from './maintenance/forget.js';
export { tagSnapshots, changeTags } from './maintenance/tag.js';
export type { TagOptions, TagChanges, TagResult, TagRewrite } from './maintenance/tag.js';
export { prune, parseMaxUnused, DEFAULT_GRACE_MS, DEFAULT_MAX_UNUSED } from './maintenance/prune.js';
export type { PruneOptions, PruneResult } from './maintenance/prune.js';
export { readPruneRecords } from './maintenance/prune-record.js';
export type { PruneRecord, PendingPack, PendingReason } from './maintenance/prune-record.js';
export { enforceQuota, quotaLimit, repositorySize } from './maintenance/quota.js';
export type { QuotaOptions, QuotaResult } from './maintenance/quota.js';
export { parseMaxSize, describeMaxSize, policyFromConfig, policyToConfig, updateConfig } from './maintenance/quota-settings.js';
export type { ConfigChange } from './maintenance/quota-settings.js';
