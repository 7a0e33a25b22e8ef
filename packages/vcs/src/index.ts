export const VCS_PACKAGE = '@cairn/vcs';
