/*
 * cairn-fs.c: the local source's folder calls, made from the open folder's descriptor, and the
 * local target's write of a new small file in one call (Linux).
 *
 * Node has no fstatat and no listxattrat: without this module the local source reaches each
 * entry as /proc/<pid>/fd/<folder fd>/<name>, which the kernel resolves from the open folder (so
 * no folder swapped above can redirect it) at twice the cost of a lookup by path, and
 * @napi-rs/xattr asks for every entry's attributes twice (a size, then the list). Here each entry
 * is reached from the folder's descriptor itself, as openat does, one system call per entry:
 *
 *   lstatAt(dirfd, names, out)   fstatat(dirfd, name, AT_SYMLINK_NOFOLLOW) of each name: STAT_FIELDS
 *                                BigInt64 values per name into `out`; returns an Int32Array of the
 *                                errno of each (0: done)
 *   scanAt(dirfd)                the folder's entries (not "." or ".."), sorted by their bytes,
 *                                each with its fstatat: { names, errnos, rows } (a name is a string
 *                                when it is valid UTF-8, else a Buffer of its bytes; rows holds
 *                                STAT_FIELDS values per name), or a negative errno of the listing
 *   fstatInto(fd, out)           fstat(fd) into the first STAT_FIELDS values of `out` (an opened
 *                                file's, without the object node:fs makes); returns its errno (0: done)
 *   openAt(dirfd, name, folder, out)
 *                                openat(dirfd, name) read-only, close-on-exec, never following a
 *                                symlink: a folder (O_DIRECTORY) when `folder`, else without
 *                                blocking (O_NONBLOCK: a fifo is not waited on); then its fstat into
 *                                `out` as fstatInto. The new descriptor, or a negative errno (of the
 *                                open, or of the fstat, after which it is closed)
 *   readWholeAt(dirfd, name, buffer, out, xattrs)
 *                                a short regular file whole, in one call instead of five: openat
 *                                as openAt (not a folder), its fstat into out[0, STAT_FIELDS); when
 *                                it is a regular file, reads from offset 0 until `buffer` (a
 *                                Uint8Array) is full or the file ends, fstats it again into
 *                                out[STAT_FIELDS, 2 STAT_FIELDS) and, when `xattrs`, puts the
 *                                length of its attribute-name list (flistxattr of the open file)
 *                                at out[2 STAT_FIELDS], or -1 when that fails; then closes it.
 *                                Returns the bytes read; -1000 (NOT_REGULAR) for another
 *                                kind of entry (opened without blocking, closed unread); or a
 *                                negative errno of the open, an fstat or a read. Nothing stays open
 *   prefetchAt(dirfd, names, done)
 *                                asks the kernel to start reading those of the regular files
 *                                `names` of the folder whose first page is not in memory (their
 *                                first PREFETCH_BYTES; posix_fadvise WILLNEED), in a thread of
 *                                Node's pool, from a duplicate of the folder's descriptor; returns
 *                                at once, and calls done(n) when through, n the files it found
 *                                not in memory (a read with RWF_NOWAIT would block; a filesystem
 *                                that cannot say, such as tmpfs, counts none). What cannot be
 *                                opened is skipped: the read that follows says why
 *   listXattrsAt(dirfd, name)    the entry's extended attribute names (not following a symlink),
 *                                one listxattrat call (Linux 6.13), else one llistxattr of
 *                                /proc/self/fd/<dirfd>/<name>; an array of Buffers (names are
 *                                bytes), or a negative errno (a number)
 *   getXattrAt(dirfd, name, attribute)
 *                                the value of one of them (`attribute`: its name's bytes), by
 *                                lgetxattr of /proc/self/fd/<dirfd>/<name>: a Buffer, or a
 *                                negative errno
 *   writeWholeAt(path, data, mode, uid, gid, mtimeNs, owner)
 *                                a restore's new small file in one call instead of six: creates
 *                                `path` (a full path) with O_EXCL, never through a symlink, with
 *                                `mode`'s permission bits (0600 when mode is -1), writes `data`
 *                                leaving its aligned 4 KiB blocks of zeros as holes (as
 *                                sparse-write.ts does), sets the size when the writes stop short of
 *                                it, then, unless mode is -1: the owner (only when `owner`, and only
 *                                when the new file's differs; EPERM and EINVAL ignored), the mode
 *                                when the file's differs (always for setuid, setgid and sticky
 *                                bits, which the open does not set: after the chown, which clears
 *                                them), the mtime (`mtimeNs`, a BigInt, floored to the microsecond
 *                                as node's utimes sets it; the access time now); closes it.
 *                                Returns 0, or -(errno | step << 16) with the step that failed
 *                                (WRITE_STEPS in native-fs.ts); after a failure past the open,
 *                                the file is removed
 *   symlinkWith(linkTarget, path, uid, gid, mtimeNs, owner)
 *                                a restore's symlink with its metadata in one call: symlink(), then
 *                                its owner when `owner` (lchown; EPERM and EINVAL ignored) and its
 *                                mtime (`mtimeNs` floored to the microsecond, the access time now),
 *                                never following it. 0, or -(errno | step << 16) with the step that
 *                                failed (SYMLINK_STEPS in native-fs.ts); a symlink made stays
 *
 * Names are entry names, strings (UTF-8) or Buffers (a name that is not valid UTF-8, as its
 * bytes); ".", "..", and a name with a '/' or a NUL are refused (TypeError); a path (writeWholeAt,
 * symlinkWith) is a string or a Buffer without a NUL. Built as a Node-API module by
 * packages/transport/scripts/build-native.mjs; the local source and target work without it.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/xattr.h>
#include <unistd.h>
#define NAPI_VERSION 8
#include <node_api.h>

#define STAT_FIELDS 10
#define PREFETCH_BYTES (4 << 20)
#define NAME_MAX_BYTES 4096
#ifndef SYS_listxattrat
#if defined(__x86_64__) || defined(__aarch64__) || defined(__riscv)
#define SYS_listxattrat 465
#endif
#endif

static int listxattrat_missing = 0;

/* A path or name (a string or a Buffer) into `buffer`, NUL-terminated; 0, or -1 when it is neither, empty, too long or holds a NUL. */
static int read_path(napi_env env, napi_value value, char *buffer, size_t size) {
  napi_valuetype type;
  size_t length = 0;
  if (napi_typeof(env, value, &type) != napi_ok) return -1;
  if (type == napi_string) {
    if (napi_get_value_string_utf8(env, value, buffer, size, &length) != napi_ok || length + 1 >= size) return -1;
  } else {
    bool is_buffer = false;
    void *data = NULL;
    if (napi_is_buffer(env, value, &is_buffer) != napi_ok || !is_buffer) return -1;
    if (napi_get_buffer_info(env, value, &data, &length) != napi_ok || length + 1 > size) return -1;
    memcpy(buffer, data, length);
    buffer[length] = '\0';
  }
  return length == 0 || memchr(buffer, '\0', length) != NULL ? -1 : 0;
}

/*
 * The entry name at `value` (a string or a Buffer) into `buffer`, NUL-terminated; 0, or -1 when
 * it is neither, too long, empty, "." or "..", or holds a NUL or a '/' (an entry of the folder,
 * nothing below or above it).
 */
static int read_name(napi_env env, napi_value value, char *buffer, size_t size) {
  if (read_path(env, value, buffer, size) != 0 || strchr(buffer, '/') != NULL) return -1;
  return strcmp(buffer, ".") == 0 || strcmp(buffer, "..") == 0 ? -1 : 0;
}

static napi_value throw_type(napi_env env, const char *message) {
  napi_throw_type_error(env, NULL, message);
  return NULL;
}

/*
 * The arguments of a call whose first is a descriptor: `count` of them into `argv`, the first read
 * into *fd; 0, or -1 with a TypeError thrown naming `call`.
 */
static int descriptor_arguments(napi_env env, napi_callback_info info, size_t count, napi_value *argv, int32_t *fd, const char *call) {
  size_t argc = count;
  char message[160];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < count) {
    snprintf(message, sizeof message, "%s: expects %zu arguments", call, count);
  } else if (napi_get_value_int32(env, argv[0], fd) != napi_ok) {
    snprintf(message, sizeof message, "%s: the descriptor must be a number", call);
  } else {
    return 0;
  }
  throw_type(env, message);
  return -1;
}

/* -code as a JS number: how a call says which system error it met. */
static napi_value negative_errno(napi_env env, int code) {
  napi_value result;
  napi_create_int32(env, -code, &result);
  return result;
}

/* An lstat's STAT_FIELDS values: mode, uid, gid, size, mtime ns, ctime ns, ino, dev, nlink, rdev. */
static void fill_row(const struct stat *st, int64_t *row) {
  row[0] = (int64_t)st->st_mode;
  row[1] = (int64_t)st->st_uid;
  row[2] = (int64_t)st->st_gid;
  row[3] = (int64_t)st->st_size;
  row[4] = (int64_t)st->st_mtim.tv_sec * 1000000000LL + st->st_mtim.tv_nsec;
  row[5] = (int64_t)st->st_ctim.tv_sec * 1000000000LL + st->st_ctim.tv_nsec;
  row[6] = (int64_t)st->st_ino;
  row[7] = (int64_t)st->st_dev;
  row[8] = (int64_t)st->st_nlink;
  row[9] = (int64_t)st->st_rdev;
}

/* The data of the typed array `value` when it is of type `wanted` (its length in *length), else NULL. */
static void *typed_array_data(napi_env env, napi_value value, napi_typedarray_type wanted, size_t *length) {
  bool is_typed = false;
  napi_typedarray_type type;
  void *data;
  napi_value buffer;
  size_t offset;
  if (napi_is_typedarray(env, value, &is_typed) != napi_ok || !is_typed || napi_get_typedarray_info(env, value, &type, length, &data, &buffer, &offset) != napi_ok || type != wanted) return NULL;
  return data;
}

/* The BigInt64Array `value` of at least `fields` values: its data, or NULL (a TypeError is thrown). */
static int64_t *stat_rows(napi_env env, napi_value value, size_t fields, const char *message) {
  size_t length = 0;
  void *data = typed_array_data(env, value, napi_bigint64_array, &length);
  if (data == NULL || length < fields) {
    throw_type(env, message);
    return NULL;
  }
  return (int64_t *)data;
}

static napi_value lstat_at(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  int32_t dirfd;
  if (descriptor_arguments(env, info, 3, argv, &dirfd, "lstatAt(dirfd, names, out)") != 0) return NULL;
  uint32_t count;
  bool is_array = false;
  if (napi_is_array(env, argv[1], &is_array) != napi_ok || !is_array || napi_get_array_length(env, argv[1], &count) != napi_ok) return throw_type(env, "lstatAt: names must be an array");
  int64_t *out = stat_rows(env, argv[2], (size_t)count * STAT_FIELDS, "lstatAt: out must be a BigInt64Array of STAT_FIELDS values per name");
  if (out == NULL) return NULL;
  void *errs_data;
  napi_value errs_buffer, errs;
  if (napi_create_arraybuffer(env, (size_t)count * sizeof(int32_t), &errs_data, &errs_buffer) != napi_ok) return NULL;
  if (napi_create_typedarray(env, napi_int32_array, count, errs_buffer, 0, &errs) != napi_ok) return NULL;
  int32_t *codes = (int32_t *)errs_data;
  char name[NAME_MAX_BYTES];
  for (uint32_t i = 0; i < count; i++) {
    napi_value element;
    if (napi_get_element(env, argv[1], i, &element) != napi_ok || read_name(env, element, name, sizeof name) != 0) return throw_type(env, "lstatAt: each name must be an entry name (a string or a Buffer, no NUL, no '/')");
    struct stat st;
    int64_t *row = out + (size_t)i * STAT_FIELDS;
    if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
      codes[i] = errno;
      memset(row, 0, STAT_FIELDS * sizeof(int64_t));
      continue;
    }
    codes[i] = 0;
    fill_row(&st, row);
  }
  return errs;
}

static napi_value fstat_into(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  int32_t fd;
  if (descriptor_arguments(env, info, 2, argv, &fd, "fstatInto(fd, out)") != 0) return NULL;
  int64_t *row = stat_rows(env, argv[1], STAT_FIELDS, "fstatInto: out must be a BigInt64Array of STAT_FIELDS values");
  if (row == NULL) return NULL;
  struct stat st;
  int code = 0;
  if (fstat(fd, &st) != 0) {
    code = errno;
    memset(row, 0, STAT_FIELDS * sizeof(int64_t));
  } else {
    fill_row(&st, row);
  }
  napi_value result;
  napi_create_int32(env, code, &result);
  return result;
}

/* Whether `s` (of `n` bytes) is valid UTF-8 as a strict decoder sees it: no overlong form, no surrogate, nothing past U+10FFFF. */
static int valid_utf8(const unsigned char *s, size_t n) {
  size_t i = 0;
  while (i < n) {
    unsigned char c = s[i];
    if (c < 0x80) {
      i += 1;
      continue;
    }
    size_t length;
    unsigned char low = 0x80, high = 0xbf;
    if (c >= 0xc2 && c <= 0xdf) length = 2;
    else if (c >= 0xe0 && c <= 0xef) {
      length = 3;
      if (c == 0xe0) low = 0xa0;
      if (c == 0xed) high = 0x9f;
    } else if (c >= 0xf0 && c <= 0xf4) {
      length = 4;
      if (c == 0xf0) low = 0x90;
      if (c == 0xf4) high = 0x8f;
    } else return 0;
    if (i + length > n) return 0;
    if (s[i + 1] < low || s[i + 1] > high) return 0;
    for (size_t k = 2; k < length; k++) if (s[i + k] < 0x80 || s[i + k] > 0xbf) return 0;
    i += length;
  }
  return 1;
}

/* qsort_r's comparison of two names, given their offsets in the names' buffer. */
static int compare_names(const void *a, const void *b, void *names) {
  return strcmp((const char *)names + *(const size_t *)a, (const char *)names + *(const size_t *)b);
}

static napi_value scan_at(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  int32_t dirfd;
  if (descriptor_arguments(env, info, 1, argv, &dirfd, "scanAt(dirfd)") != 0) return NULL;
  int copy = dup(dirfd);
  if (copy < 0) return negative_errno(env, errno);
  DIR *dir = fdopendir(copy);
  if (dir == NULL) {
    int code = errno;
    close(copy);
    return negative_errno(env, code);
  }
  /* The descriptor's offset is shared with the folder's own: from the start, every time. */
  rewinddir(dir);
  char *names = NULL;
  size_t used = 0, room = 0;
  size_t *starts = NULL;
  size_t count = 0, slots = 0;
  int code = 0;
  for (;;) {
    errno = 0;
    struct dirent *entry = readdir(dir);
    if (entry == NULL) {
      code = errno;
      break;
    }
    const char *name = entry->d_name;
    if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0) continue;
    size_t length = strlen(name) + 1;
    if (used + length > room) {
      size_t wanted = room == 0 ? 4096 : room * 2;
      while (wanted < used + length) wanted *= 2;
      char *grown = realloc(names, wanted);
      if (grown == NULL) {
        code = ENOMEM;
        break;
      }
      names = grown;
      room = wanted;
    }
    if (count == slots) {
      size_t wanted = slots == 0 ? 64 : slots * 2;
      size_t *grown = realloc(starts, wanted * sizeof(size_t));
      if (grown == NULL) {
        code = ENOMEM;
        break;
      }
      starts = grown;
      slots = wanted;
    }
    memcpy(names + used, name, length);
    starts[count++] = used;
    used += length;
  }
  closedir(dir);
  if (code != 0) {
    free(names);
    free(starts);
    return negative_errno(env, code);
  }
  /* By their bytes: the order of listFolder (and of restic, git and ls in the C locale). */
  qsort_r(starts, count, sizeof(size_t), compare_names, names);
  napi_value list, errs_buffer, errs, rows_buffer, rows;
  void *errs_data, *rows_data;
  if (napi_create_array_with_length(env, count, &list) != napi_ok
      || napi_create_arraybuffer(env, count * sizeof(int32_t), &errs_data, &errs_buffer) != napi_ok
      || napi_create_typedarray(env, napi_int32_array, count, errs_buffer, 0, &errs) != napi_ok
      || napi_create_arraybuffer(env, count * STAT_FIELDS * sizeof(int64_t), &rows_data, &rows_buffer) != napi_ok
      || napi_create_typedarray(env, napi_bigint64_array, count * STAT_FIELDS, rows_buffer, 0, &rows) != napi_ok) {
    free(names);
    free(starts);
    return NULL;
  }
  int32_t *codes = (int32_t *)errs_data;
  int64_t *out = (int64_t *)rows_data;
  for (size_t i = 0; i < count; i++) {
    const char *name = names + starts[i];
    size_t length = strlen(name);
    napi_value value;
    void *bytes;
    napi_status status = valid_utf8((const unsigned char *)name, length)
      ? napi_create_string_utf8(env, name, length, &value)
      : napi_create_buffer_copy(env, length, name, &bytes, &value);
    if (status != napi_ok || napi_set_element(env, list, (uint32_t)i, value) != napi_ok) {
      free(names);
      free(starts);
      return NULL;
    }
    struct stat st;
    int64_t *row = out + i * STAT_FIELDS;
    if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
      codes[i] = errno;
      continue;
    }
    codes[i] = 0;
    fill_row(&st, row);
  }
  free(names);
  free(starts);
  napi_value result;
  napi_create_object(env, &result);
  napi_set_named_property(env, result, "names", list);
  napi_set_named_property(env, result, "errnos", errs);
  napi_set_named_property(env, result, "rows", rows);
  return result;
}

/* "/proc/self/fd/<dirfd>/<name>" into `path` of `size` bytes: 0, or -1 with errno ENAMETOOLONG. */
static int proc_path(int dirfd, const char *name, char *path, size_t size) {
  int written = snprintf(path, size, "/proc/self/fd/%d/%s", dirfd, name);
  if (written < 0 || (size_t)written >= size) {
    errno = ENAMETOOLONG;
    return -1;
  }
  return 0;
}

/* One attribute call of an entry: its names (attribute NULL) or one value, into `out` of `size` bytes. */
struct xattr_call {
  int dirfd;
  const char *name;
  const char *attribute;
};

/* The length the call gave, or -1 with errno; names by listxattrat when the kernel has it. */
static ssize_t xattr_call(const struct xattr_call *call, char *out, size_t size) {
#ifdef SYS_listxattrat
  if (call->attribute == NULL && !listxattrat_missing) {
    long n = syscall(SYS_listxattrat, call->dirfd, call->name, AT_SYMLINK_NOFOLLOW, out, size);
    if (n >= 0 || errno != ENOSYS) return (ssize_t)n;
    listxattrat_missing = 1;
  }
#endif
  char path[NAME_MAX_BYTES + 64];
  if (proc_path(call->dirfd, call->name, path, sizeof path) != 0) return -1;
  return call->attribute == NULL ? llistxattr(path, out, size) : lgetxattr(path, call->attribute, out, size);
}

/*
 * Makes the call into `small` (4 KiB), or when that is too short into a buffer of the size the
 * kernel says (asked again if it grew meanwhile), left in *out (`small` or one to free). The
 * length, or -1 with errno (ENOMEM when no buffer could be had).
 */
static ssize_t xattr_read(const struct xattr_call *call, char *small, size_t small_size, char **out) {
  *out = small;
  ssize_t n = xattr_call(call, small, small_size);
  for (int tries = 0; n < 0 && errno == ERANGE && tries < 4; tries++) {
    ssize_t wanted = xattr_call(call, NULL, 0);
    if (wanted < 0) return -1;
    char *grown = realloc(*out == small ? NULL : *out, (size_t)wanted + 1);
    if (grown == NULL) {
      if (*out != small) free(*out);
      *out = small;
      errno = ENOMEM;
      return -1;
    }
    *out = grown;
    n = xattr_call(call, grown, (size_t)wanted + 1);
  }
  return n;
}

/*
 * The arguments (dirfd, name, ...) of a call on one entry: `count` of them into `argv`, the
 * folder's descriptor and the entry's name read; 0, or -1 with a TypeError thrown naming `call`.
 */
static int entry_arguments(napi_env env, napi_callback_info info, size_t count, napi_value *argv, int32_t *dirfd, char *name, const char *call) {
  if (descriptor_arguments(env, info, count, argv, dirfd, call) != 0) return -1;
  if (read_name(env, argv[1], name, NAME_MAX_BYTES) == 0) return 0;
  char message[160];
  snprintf(message, sizeof message, "%s: the name must be an entry name (a string or a Buffer, no NUL, no '/')", call);
  throw_type(env, message);
  return -1;
}

static napi_value list_xattrs_at(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  int32_t dirfd;
  char name[NAME_MAX_BYTES];
  if (entry_arguments(env, info, 2, argv, &dirfd, name, "listXattrsAt(dirfd, name)") != 0) return NULL;
  const struct xattr_call call = { dirfd, name, NULL };
  char small[4096];
  char *list;
  ssize_t n = xattr_read(&call, small, sizeof small, &list);
  if (n < 0) return negative_errno(env, errno);
  napi_value result;
  napi_create_array(env, &result);
  uint32_t index = 0;
  for (ssize_t at = 0; at < n;) {
    size_t length = strnlen(list + at, (size_t)(n - at));
    if (length > 0) {
      napi_value entry;
      void *copy;
      if (napi_create_buffer_copy(env, length, list + at, &copy, &entry) == napi_ok) napi_set_element(env, result, index++, entry);
    }
    at += (ssize_t)length + 1;
  }
  if (list != small) free(list);
  return result;
}

static napi_value get_xattr_at(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  int32_t dirfd;
  char name[NAME_MAX_BYTES];
  if (entry_arguments(env, info, 3, argv, &dirfd, name, "getXattrAt(dirfd, name, attribute)") != 0) return NULL;
  bool is_buffer = false;
  void *data = NULL;
  size_t length = 0;
  char attribute[NAME_MAX_BYTES];
  if (napi_is_buffer(env, argv[2], &is_buffer) != napi_ok || !is_buffer || napi_get_buffer_info(env, argv[2], &data, &length) != napi_ok || length == 0 || length + 1 > sizeof attribute || memchr(data, '\0', length) != NULL) {
    return throw_type(env, "getXattrAt: the attribute must be its name's bytes (a Buffer, no NUL)");
  }
  memcpy(attribute, data, length);
  attribute[length] = '\0';
  /* Values are read rarely (only of entries that list some): through /proc, as on kernels before getxattrat. */
  const struct xattr_call call = { dirfd, name, attribute };
  char small[4096];
  char *value;
  ssize_t n = xattr_read(&call, small, sizeof small, &value);
  if (n < 0) return negative_errno(env, errno);
  napi_value result;
  void *copy;
  napi_status status = napi_create_buffer_copy(env, (size_t)n, value, &copy, &result);
  if (value != small) free(value);
  return status == napi_ok ? result : NULL;
}

static napi_value open_at(napi_env env, napi_callback_info info) {
  napi_value argv[4];
  int32_t dirfd;
  char name[NAME_MAX_BYTES];
  if (entry_arguments(env, info, 4, argv, &dirfd, name, "openAt(dirfd, name, folder, out)") != 0) return NULL;
  bool folder = false;
  if (napi_get_value_bool(env, argv[2], &folder) != napi_ok) return throw_type(env, "openAt: folder must be a boolean");
  int64_t *row = stat_rows(env, argv[3], STAT_FIELDS, "openAt: out must be a BigInt64Array of STAT_FIELDS values");
  if (row == NULL) return NULL;
  int flags = O_RDONLY | O_NOFOLLOW | O_CLOEXEC | (folder ? O_DIRECTORY : O_NONBLOCK);
  int fd = openat(dirfd, name, flags);
  if (fd < 0) return negative_errno(env, errno);
  struct stat st;
  if (fstat(fd, &st) != 0) {
    int code = errno;
    close(fd);
    return negative_errno(env, code);
  }
  fill_row(&st, row);
  napi_value result;
  napi_create_int32(env, fd, &result);
  return result;
}

/* writeWholeAt's steps, for its errors (native-fs.ts names their system calls). */
enum write_step { STEP_OPEN = 1, STEP_WRITE, STEP_TRUNCATE, STEP_FSTAT, STEP_CHOWN, STEP_CHMOD, STEP_UTIMES, STEP_CLOSE };

#define HOLE_BLOCK 4096
#define HOLE_MIN_GAP (64 * 1024)

/* Whether `n` bytes at `p` are all zero. */
static int all_zero(const unsigned char *p, size_t n) {
  if (n == 0) return 1;
  if (p[0] != 0 || p[n - 1] != 0) return 0;
  return memcmp(p, p + 1, n - 1) == 0;
}

/* pwrite of all `n` bytes at `at`; 0, or -1 with errno. */
static int write_all(int fd, const unsigned char *p, size_t n, off_t at) {
  while (n > 0) {
    ssize_t done = pwrite(fd, p, n, at);
    if (done < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    p += done;
    at += done;
    n -= (size_t)done;
  }
  return 0;
}

/*
 * Writes `data` into the new empty file `fd` from offset 0, skipping its blocks of zeros: the
 * blocks holding a byte other than zero, merged across fewer than HOLE_MIN_GAP zeros. The end of
 * the last byte written (0: none) in *reached; 0, or -1 with errno.
 */
static int write_sparse(int fd, const unsigned char *data, size_t length, size_t *reached) {
  size_t run_start = 0, run_end = 0;
  int have = 0;
  *reached = 0;
  for (size_t start = 0; start < length;) {
    size_t end = start + HOLE_BLOCK < length ? start + HOLE_BLOCK : length;
    if (!all_zero(data + start, end - start)) {
      if (have && start - run_end < HOLE_MIN_GAP) {
        run_end = end;
      } else {
        if (have && write_all(fd, data + run_start, run_end - run_start, (off_t)run_start) != 0) return -1;
        run_start = start;
        run_end = end;
        have = 1;
      }
    }
    start = end;
  }
  if (have) {
    if (write_all(fd, data + run_start, run_end - run_start, (off_t)run_start) != 0) return -1;
    *reached = run_end;
  }
  return 0;
}

/* The access time now and the mtime `mtime_ns` floored to the microsecond (as node's utimes sets it), for utimensat. */
static void utime_pair(int64_t mtime_ns, struct timespec times[2]) {
  int64_t micros = mtime_ns >= 0 ? mtime_ns / 1000 : -((-mtime_ns + 999) / 1000);
  int64_t seconds = micros >= 0 ? micros / 1000000 : -((-micros + 999999) / 1000000);
  times[0].tv_sec = 0;
  times[0].tv_nsec = UTIME_NOW;
  times[1].tv_sec = (time_t)seconds;
  times[1].tv_nsec = (long)((micros - seconds * 1000000) * 1000);
}

/* uid, gid, the BigInt mtime and the owner flag from argv[0..3]; 0, or -1 with a TypeError thrown naming `call`. */
static int metadata_arguments(napi_env env, napi_value *argv, int32_t *uid, int32_t *gid, int64_t *mtime_ns, bool *owner, const char *call) {
  bool lossless = true;
  char message[160];
  if (napi_get_value_int32(env, argv[0], uid) != napi_ok || napi_get_value_int32(env, argv[1], gid) != napi_ok) {
    snprintf(message, sizeof message, "%s: uid and gid must be numbers", call);
  } else if (napi_get_value_bigint_int64(env, argv[2], mtime_ns, &lossless) != napi_ok || !lossless) {
    snprintf(message, sizeof message, "%s: mtimeNs must be a BigInt of 64 bits", call);
  } else if (napi_get_value_bool(env, argv[3], owner) != napi_ok) {
    snprintf(message, sizeof message, "%s: owner must be a boolean", call);
  } else {
    return 0;
  }
  throw_type(env, message);
  return -1;
}

static napi_value symlink_with(napi_env env, napi_callback_info info) {
  napi_value argv[6];
  size_t argc = 6;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 6) return throw_type(env, "symlinkWith(linkTarget, path, uid, gid, mtimeNs, owner): expects 6 arguments");
  char link_target[PATH_MAX], path[PATH_MAX];
  if (read_path(env, argv[0], link_target, sizeof link_target) != 0 || read_path(env, argv[1], path, sizeof path) != 0) return throw_type(env, "symlinkWith: the target and the path must be strings or Buffers, not empty, no NUL");
  int32_t uid, gid;
  int64_t mtime_ns;
  bool owner;
  if (metadata_arguments(env, argv + 2, &uid, &gid, &mtime_ns, &owner, "symlinkWith") != 0) return NULL;
  if (symlink(link_target, path) != 0) return negative_errno(env, errno | (1 << 16));
  if (owner && lchown(path, (uid_t)uid, (gid_t)gid) != 0 && errno != EPERM && errno != EINVAL) return negative_errno(env, errno | (2 << 16));
  struct timespec times[2];
  utime_pair(mtime_ns, times);
  if (utimensat(AT_FDCWD, path, times, AT_SYMLINK_NOFOLLOW) != 0) return negative_errno(env, errno | (3 << 16));
  napi_value result;
  napi_create_int32(env, 0, &result);
  return result;
}

static napi_value write_whole_at(napi_env env, napi_callback_info info) {
  napi_value argv[7];
  size_t argc = 7;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 7) return throw_type(env, "writeWholeAt(path, data, mode, uid, gid, mtimeNs, owner): expects 7 arguments");
  char path[PATH_MAX];
  if (read_path(env, argv[0], path, sizeof path) != 0) return throw_type(env, "writeWholeAt: the path must be a string or a Buffer, not empty, no NUL");
  size_t length = 0;
  void *bytes = NULL;
  bool is_typed = false;
  napi_typedarray_type type;
  napi_value buffer;
  size_t offset;
  // An empty array may have no data pointer: its type is what is checked.
  if (napi_is_typedarray(env, argv[1], &is_typed) != napi_ok || !is_typed || napi_get_typedarray_info(env, argv[1], &type, &length, &bytes, &buffer, &offset) != napi_ok || type != napi_uint8_array || (bytes == NULL && length > 0)) {
    return throw_type(env, "writeWholeAt: data must be a Uint8Array");
  }
  const unsigned char *data = bytes;
  int32_t mode, uid, gid;
  int64_t mtime_ns = 0;
  bool owner = false;
  if (napi_get_value_int32(env, argv[2], &mode) != napi_ok) return throw_type(env, "writeWholeAt: mode must be a number");
  if (metadata_arguments(env, argv + 3, &uid, &gid, &mtime_ns, &owner, "writeWholeAt") != 0) return NULL;
  int meta = mode >= 0;
  int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, meta ? (mode_t)(mode & 0777) : 0600);
  if (fd < 0) return negative_errno(env, errno | (STEP_OPEN << 16));
  int step = 0, code = 0;
  size_t reached = 0;
  struct stat st;
  if (write_sparse(fd, data, length, &reached) != 0) step = STEP_WRITE;
  else if (reached != length && ftruncate(fd, (off_t)length) != 0) step = STEP_TRUNCATE;
  else if (meta && fstat(fd, &st) != 0) step = STEP_FSTAT;
  else if (meta && owner && (st.st_uid != (uid_t)uid || st.st_gid != (gid_t)gid) && fchown(fd, (uid_t)uid, (gid_t)gid) != 0 && errno != EPERM && errno != EINVAL) step = STEP_CHOWN;
  else if (meta && (st.st_mode & 07777) != (mode_t)(mode & 07777) && fchmod(fd, (mode_t)(mode & 07777)) != 0) step = STEP_CHMOD;
  else if (meta) {
    struct timespec times[2];
    utime_pair(mtime_ns, times);
    if (futimens(fd, times) != 0) step = STEP_UTIMES;
  }
  if (step != 0) code = errno;
  if (close(fd) != 0 && step == 0 && errno != EINTR) {
    step = STEP_CLOSE;
    code = errno;
  }
  if (step == 0) {
    napi_value result;
    napi_create_int32(env, 0, &result);
    return result;
  }
  unlink(path);
  return negative_errno(env, code | (step << 16));
}

/* readWholeAt's answer for an entry that is not a regular file (no errno says that). */
#define NOT_REGULAR 1000

static napi_value read_whole_at(napi_env env, napi_callback_info info) {
  napi_value argv[5];
  int32_t dirfd;
  char name[NAME_MAX_BYTES];
  if (entry_arguments(env, info, 5, argv, &dirfd, name, "readWholeAt(dirfd, name, buffer, out, xattrs)") != 0) return NULL;
  size_t length = 0;
  void *data = typed_array_data(env, argv[2], napi_uint8_array, &length);
  if (data == NULL) return throw_type(env, "readWholeAt: buffer must be a Uint8Array");
  int64_t *row = stat_rows(env, argv[3], 2 * STAT_FIELDS + 1, "readWholeAt: out must be a BigInt64Array of 2 STAT_FIELDS + 1 values");
  if (row == NULL) return NULL;
  bool xattrs = false;
  if (napi_get_value_bool(env, argv[4], &xattrs) != napi_ok) return throw_type(env, "readWholeAt: xattrs must be a boolean");
  int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) return negative_errno(env, errno);
  struct stat st;
  int code = 0;
  size_t done = 0;
  if (fstat(fd, &st) != 0) {
    code = errno;
  } else if (!S_ISREG(st.st_mode)) {
    code = NOT_REGULAR;
  } else {
    fill_row(&st, row);
    while (done < length) {
      ssize_t n = pread(fd, (char *)data + done, length - done, (off_t)done);
      if (n < 0) {
        if (errno == EINTR) continue;
        code = errno;
        break;
      }
      if (n == 0) break;
      done += (size_t)n;
    }
    if (code == 0 && fstat(fd, &st) != 0) code = errno;
    if (code == 0) {
      fill_row(&st, row + STAT_FIELDS);
      if (xattrs) {
        ssize_t list = flistxattr(fd, NULL, 0);
        row[2 * STAT_FIELDS] = list < 0 ? -1 : (int64_t)list;
      }
    }
  }
  close(fd);
  if (code != 0) return negative_errno(env, code);
  napi_value result;
  napi_create_double(env, (double)done, &result);
  return result;
}

/* One prefetchAt call: the folder (a duplicate descriptor, closed when done) and the names, back to back with their NULs. */
struct prefetch {
  napi_async_work work;
  napi_ref done;
  int dirfd;
  uint32_t count;
  uint32_t uncached;
  char *names;
};

static void prefetch_execute(napi_env env, void *data) {
  (void)env;
  struct prefetch *job = data;
  const char *name = job->names;
  for (uint32_t i = 0; i < job->count; i++, name += strlen(name) + 1) {
    int fd = openat(job->dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) continue;
    struct stat st;
    char byte;
    struct iovec one = { &byte, 1 };
    /* Only a file whose first page a read would wait for: the others are in memory already. */
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0 && preadv2(fd, &one, 1, 0, RWF_NOWAIT) < 0 && errno == EAGAIN) {
      job->uncached += 1;
      posix_fadvise(fd, 0, st.st_size < PREFETCH_BYTES ? st.st_size : PREFETCH_BYTES, POSIX_FADV_WILLNEED);
    }
    close(fd);
  }
}

static void prefetch_complete(napi_env env, napi_status status, void *data) {
  struct prefetch *job = data;
  close(job->dirfd);
  napi_value done, global, count;
  if (status == napi_ok && napi_get_reference_value(env, job->done, &done) == napi_ok && done != NULL
      && napi_get_global(env, &global) == napi_ok && napi_create_uint32(env, job->uncached, &count) == napi_ok) {
    napi_call_function(env, global, done, 1, &count, NULL);
  }
  napi_delete_reference(env, job->done);
  napi_delete_async_work(env, job->work);
  free(job->names);
  free(job);
}

/* done(0) now: a prefetchAt that reads nothing ahead still says it is through (the caller counts what is in flight). */
static napi_value done_now(napi_env env, napi_value done) {
  napi_value undefined, zero;
  napi_get_undefined(env, &undefined);
  if (napi_create_uint32(env, 0, &zero) == napi_ok) napi_call_function(env, undefined, done, 1, &zero, NULL);
  return undefined;
}

static napi_value prefetch_at(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  int32_t dirfd;
  if (descriptor_arguments(env, info, 3, argv, &dirfd, "prefetchAt(dirfd, names, done)") != 0) return NULL;
  napi_valuetype done_type;
  if (napi_typeof(env, argv[2], &done_type) != napi_ok || done_type != napi_function) return throw_type(env, "prefetchAt: done must be a function");
  uint32_t count;
  bool is_array = false;
  if (napi_is_array(env, argv[1], &is_array) != napi_ok || !is_array || napi_get_array_length(env, argv[1], &count) != napi_ok) return throw_type(env, "prefetchAt: names must be an array");
  size_t size = 0, used = 0;
  char *names = NULL;
  char name[NAME_MAX_BYTES];
  for (uint32_t i = 0; i < count; i++) {
    napi_value element;
    if (napi_get_element(env, argv[1], i, &element) != napi_ok || read_name(env, element, name, sizeof name) != 0) {
      free(names);
      return throw_type(env, "prefetchAt: each name must be an entry name (a string or a Buffer, no NUL, no '/')");
    }
    size_t length = strlen(name) + 1;
    if (used + length > size) {
      size_t grown = (used + length) * 2 + 256;
      char *more = realloc(names, grown);
      if (more == NULL) {
        free(names);
        return done_now(env, argv[2]); /* no memory: nothing is read ahead */
      }
      names = more;
      size = grown;
    }
    memcpy(names + used, name, length);
    used += length;
  }
  /* Nothing to read ahead, or no thread for it: done(0) at once, as a job that found all in memory. */
  struct prefetch *job = count == 0 ? NULL : calloc(1, sizeof *job);
  int folder = job == NULL ? -1 : fcntl(dirfd, F_DUPFD_CLOEXEC, 0);
  napi_value resource_name;
  if (folder < 0 || napi_create_string_utf8(env, "cairn.prefetchAt", NAPI_AUTO_LENGTH, &resource_name) != napi_ok
      || napi_create_reference(env, argv[2], 1, &job->done) != napi_ok) {
    if (folder >= 0) close(folder);
    free(job);
    free(names);
    return done_now(env, argv[2]);
  }
  job->dirfd = folder;
  job->count = count;
  job->names = names;
  if (napi_create_async_work(env, NULL, resource_name, prefetch_execute, prefetch_complete, job, &job->work) != napi_ok
      || napi_queue_async_work(env, job->work) != napi_ok) {
    if (job->work != NULL) napi_delete_async_work(env, job->work);
    napi_delete_reference(env, job->done);
    close(folder);
    free(job);
    free(names);
    return done_now(env, argv[2]);
  }
  napi_value undefined;
  napi_get_undefined(env, &undefined);
  return undefined;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_value fn;
  napi_create_function(env, "lstatAt", NAPI_AUTO_LENGTH, lstat_at, NULL, &fn);
  napi_set_named_property(env, exports, "lstatAt", fn);
  napi_create_function(env, "listXattrsAt", NAPI_AUTO_LENGTH, list_xattrs_at, NULL, &fn);
  napi_set_named_property(env, exports, "listXattrsAt", fn);
  napi_create_function(env, "scanAt", NAPI_AUTO_LENGTH, scan_at, NULL, &fn);
  napi_set_named_property(env, exports, "scanAt", fn);
  napi_create_function(env, "fstatInto", NAPI_AUTO_LENGTH, fstat_into, NULL, &fn);
  napi_set_named_property(env, exports, "fstatInto", fn);
  napi_create_function(env, "prefetchAt", NAPI_AUTO_LENGTH, prefetch_at, NULL, &fn);
  napi_set_named_property(env, exports, "prefetchAt", fn);
  napi_create_function(env, "openAt", NAPI_AUTO_LENGTH, open_at, NULL, &fn);
  napi_set_named_property(env, exports, "openAt", fn);
  napi_create_function(env, "getXattrAt", NAPI_AUTO_LENGTH, get_xattr_at, NULL, &fn);
  napi_set_named_property(env, exports, "getXattrAt", fn);
  napi_create_function(env, "readWholeAt", NAPI_AUTO_LENGTH, read_whole_at, NULL, &fn);
  napi_set_named_property(env, exports, "readWholeAt", fn);
  napi_create_function(env, "writeWholeAt", NAPI_AUTO_LENGTH, write_whole_at, NULL, &fn);
  napi_set_named_property(env, exports, "writeWholeAt", fn);
  napi_create_function(env, "symlinkWith", NAPI_AUTO_LENGTH, symlink_with, NULL, &fn);
  napi_set_named_property(env, exports, "symlinkWith", fn);
  napi_value fields;
  napi_create_int32(env, STAT_FIELDS, &fields);
  napi_set_named_property(env, exports, "STAT_FIELDS", fields);
  return exports;
}

NAPI_MODULE_INIT() { return init(env, exports); }
