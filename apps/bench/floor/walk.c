/*
 * walk.c: the floor of a no-op backup's walk, and of a first backup's reading, in C.
 *
 *   walk [-x] [-r] [-p] DIR
 *
 * Walks DIR with openat/fdopendir/readdir and calls fstatat(AT_SYMLINK_NOFOLLOW) on
 * every entry below it (what a no-op backup must do at least: compare each entry's
 * stat with the last snapshot's); -x also calls llistxattr on every entry; -r also
 * reads every regular file's bytes with read() (1 MiB at a time); -p makes those
 * calls as cairn's local source does, through the open folder's /proc entry:
 * lstat and llistxattr of /proc/<pid>/fd/<folder fd>/<name> (the pid /proc/self
 * names), which no swapped folder above can redirect. Folders are entered by what
 * the stat says, never through a symlink.
 *
 * Prints one line: "entries N errors E bytes B xattr-bytes X" (N counts every entry
 * below DIR, DIR itself not; E the calls that failed, other than "no xattrs here").
 * cairn-bench checks N against its Node walk. Exit code 1 when DIR cannot be opened.
 * Builds as C (cc -O2) and as C++ (g++ -x c++ -O2).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/xattr.h>
#include <unistd.h>

static int list_xattrs;
static int read_files;
static int through_proc;
/* "/proc/<pid>/fd/": the start of every -p path. */
static char proc_fd[64];
/* /proc/<pid>/fd/<folder fd>/<name>, for -p. */
static char through[64 + NAME_MAX + 2];
static unsigned long long entries, errors, bytes_read, xattr_bytes;
/* The path of the entry at hand, for llistxattr (there is no llistxattr relative to a folder fd). */
static char path[4 * PATH_MAX];
static char xattr_names[64 * 1024];
static char buffer[1024 * 1024];

static void read_file(int dir, const char *name) {
  int fd = openat(dir, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) {
    errors++;
    return;
  }
  for (;;) {
    ssize_t n = read(fd, buffer, sizeof buffer);
    if (n > 0) bytes_read += (unsigned long long)n;
    else {
      if (n < 0) errors++;
      break;
    }
  }
  close(fd);
}

/* Walks the folder open as `fd` (taken over), whose path is path[0..len). */
static void walk(int fd, size_t len) {
  DIR *d = fdopendir(fd);
  if (d == NULL) {
    errors++;
    close(fd);
    return;
  }
  int dir = dirfd(d);
  struct dirent *e;
  for (errno = 0; (e = readdir(d)) != NULL; errno = 0) {
    const char *name = e->d_name;
    if (name[0] == '.' && (name[1] == '\0' || (name[1] == '.' && name[2] == '\0'))) continue;
    entries++;
    struct stat st;
    if (through_proc) snprintf(through, sizeof through, "%s%d/%s", proc_fd, dir, name);
    if ((through_proc ? lstat(through, &st) : fstatat(dir, name, &st, AT_SYMLINK_NOFOLLOW)) != 0) {
      errors++;
      continue;
    }
    size_t nlen = strlen(name);
    if (len + 1 + nlen + 1 > sizeof path) {
      errors++;
      continue;
    }
    path[len] = '/';
    memcpy(path + len + 1, name, nlen + 1);
    if (list_xattrs) {
      ssize_t n = llistxattr(through_proc ? through : path, xattr_names, sizeof xattr_names);
      if (n > 0) xattr_bytes += (unsigned long long)n;
      else if (n < 0 && errno != ENOTSUP && errno != ERANGE) errors++;
    }
    if (S_ISDIR(st.st_mode)) {
      int sub = openat(dir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (sub < 0) errors++;
      else walk(sub, len + 1 + nlen);
    } else if (read_files && S_ISREG(st.st_mode)) {
      read_file(dir, name);
    }
    path[len] = '\0';
  }
  if (errno != 0) errors++;
  closedir(d);
}

int main(int argc, char **argv) {
  const char *root = NULL;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "-x") == 0) list_xattrs = 1;
    else if (strcmp(argv[i], "-r") == 0) read_files = 1;
    else if (strcmp(argv[i], "-p") == 0) through_proc = 1;
    else if (root == NULL && argv[i][0] != '-') root = argv[i];
    else {
      fprintf(stderr, "walk: unknown argument %s\nusage: walk [-x] [-r] [-p] DIR\n", argv[i]);
      return 2;
    }
  }
  if (root == NULL) {
    fprintf(stderr, "usage: walk [-x] [-r] [-p] DIR\n");
    return 2;
  }
  size_t len = strlen(root);
  while (len > 1 && root[len - 1] == '/') len--;
  if (len + 1 > sizeof path) {
    fprintf(stderr, "walk: %s: path too long\n", root);
    return 1;
  }
  memcpy(path, root, len);
  path[len] = '\0';
  if (through_proc) {
    /* The pid /proc itself gives (a process's pid in the namespace of that /proc), as cairn reads it. */
    char pid[32];
    ssize_t n = readlink("/proc/self", pid, sizeof pid - 1);
    if (n <= 0) {
      fprintf(stderr, "walk: -p needs /proc: %s\n", n < 0 ? strerror(errno) : "/proc/self is empty");
      return 1;
    }
    pid[n] = '\0';
    snprintf(proc_fd, sizeof proc_fd, "/proc/%s/fd/", pid);
  }
  int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) {
    fprintf(stderr, "walk: cannot open %s: %s\n", root, strerror(errno));
    return 1;
  }
  walk(fd, len);
  printf("entries %llu errors %llu bytes %llu xattr-bytes %llu\n", entries, errors, bytes_read, xattr_bytes);
  return 0;
}
