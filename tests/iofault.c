/* iofault.c — an LD_PRELOAD shim that makes write, fsync or rename fail on chosen files, to test
 * what protokoll does when the disk fails or fills up.  Built by tests/cli_iofault.sh:
 *     cc -shared -fPIC -o iofault.so tests/iofault.c -ldl
 *
 * Only files whose path contains $PK_FAULT_PATH are affected (stdout, stderr and the inputs are
 * not), and only calls made after the shim is loaded.  Settings, all optional:
 *   PK_FAULT_OP=write|fsync|rename   the operation to fail
 *   PK_FAULT_AT=K                    fail the K-th (1-based) matching call of that operation, and
 *                                    only that one; 0 or unset: fail nothing
 *   PK_FAULT_ERRNO=EIO|ENOSPC|EDQUOT the error to report (default EIO)
 *   PK_FAULT_SPACE=N                 a full disk: matching files take N bytes in all, then a short
 *                                    write and ENOSPC for every later write
 *   PK_FAULT_LOG=FILE                at exit, append "write N fsync N rename N bytes N injected N"
 *                                    (counts of matching calls) to FILE
 *   PK_FAULT_TRACE=FILE              append "OP K PATH" for every matching call as it is made (K
 *                                    counts calls of that operation), to tell what a point is
 *   PK_FAULT_KILL=before|during|after  instead of failing the chosen call, the process kills
 *                                    itself with SIGKILL just before it, half-way through it (a
 *                                    write of the first half of the bytes; for fsync and rename the
 *                                    same as before), or just after it succeeded: a crash at an
 *                                    exact point of a run (cli_index_crash.sh)
 *   PK_FAULT_SLOW=US                 every open of a matching path first waits US microseconds
 *   PK_FAULT_ONCOMMIT=CMD            after every rename onto a matching path that ends in
 *                                    "/MANIFEST" (a commit), run CMD with /bin/sh, without
 *                                    LD_PRELOAD and with PK_FAULT_COMMIT=N (the commits of this
 *                                    process so far), and wait for it: CMD sees exactly the
 *                                    generation just committed (cli_concurrent.sh)
 *
 * A fault is chosen by name so that every failing point of a run can be visited in turn: count the
 * calls of a clean run with PK_FAULT_LOG, then run again with PK_FAULT_AT=1, 2, ... */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAXFD 4096
#define MAXPATH 512

enum { OP_WRITE, OP_FSYNC, OP_RENAME, OP_COUNT };
static const char *op_names[OP_COUNT] = {"write", "fsync", "rename"};

static char fd_path[MAXFD][MAXPATH];   /* matching files by descriptor; "" for others */
static const char *match;
static int fail_op = -1, fail_errno = EIO;
static long fail_at;
static long long space = -1;
static int kill_mode;   /* 0 fail, 1 kill before, 2 kill after, 3 kill half-way */
static long counts[OP_COUNT], injected;
static long long written;

static ssize_t (*real_write)(int, const void *, size_t);
static int (*real_fsync)(int);
static int (*real_fdatasync)(int);
static int (*real_rename)(const char *, const char *);
static int (*real_open)(const char *, int, ...);
static int (*real_open64)(const char *, int, ...);
static int (*real_openat)(int, const char *, int, ...);
static int (*real_close)(int);

static void load(void)
{
    if (real_write) return;
    real_write = (ssize_t (*)(int, const void *, size_t))dlsym(RTLD_NEXT, "write");
    real_fsync = (int (*)(int))dlsym(RTLD_NEXT, "fsync");
    real_fdatasync = (int (*)(int))dlsym(RTLD_NEXT, "fdatasync");
    real_rename = (int (*)(const char *, const char *))dlsym(RTLD_NEXT, "rename");
    real_open = (int (*)(const char *, int, ...))dlsym(RTLD_NEXT, "open");
    real_open64 = (int (*)(const char *, int, ...))dlsym(RTLD_NEXT, "open64");
    real_openat = (int (*)(int, const char *, int, ...))dlsym(RTLD_NEXT, "openat");
    real_close = (int (*)(int))dlsym(RTLD_NEXT, "close");
}

__attribute__((constructor)) static void init(void)
{
    load();
    const char *v = getenv("PK_FAULT_PATH");
    match = v && *v ? v : NULL;
    v = getenv("PK_FAULT_OP");
    for (int i = 0; v && i < OP_COUNT; i++)
        if (strcmp(v, op_names[i]) == 0) fail_op = i;
    v = getenv("PK_FAULT_AT");
    fail_at = v ? atol(v) : 0;
    v = getenv("PK_FAULT_ERRNO");
    if (v && strcmp(v, "ENOSPC") == 0) fail_errno = ENOSPC;
    else if (v && strcmp(v, "EDQUOT") == 0) fail_errno = EDQUOT;
    v = getenv("PK_FAULT_SPACE");
    if (v && *v) space = atoll(v);
    v = getenv("PK_FAULT_KILL");
    if (v && strcmp(v, "before") == 0) kill_mode = 1;
    else if (v && strcmp(v, "after") == 0) kill_mode = 2;
    else if (v && strcmp(v, "during") == 0) kill_mode = 3;
}

__attribute__((destructor)) static void report(void)
{
    const char *log = getenv("PK_FAULT_LOG");
    if (!log || !*log) return;
    char line[256];
    int n = snprintf(line, sizeof line, "write %ld fsync %ld rename %ld bytes %lld injected %ld\n",
                     counts[OP_WRITE], counts[OP_FSYNC], counts[OP_RENAME], written, injected);
    int fd = real_open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0) return;
    if (n > 0) real_write(fd, line, (size_t)n);
    real_close(fd);
}

/* The chosen call in kill mode: the process ends here, as by kill -9. */
static void die(void)
{
    report();
    raise(SIGKILL);
}

static int matches(const char *path) { return match && path && strstr(path, match) != NULL; }

static void remember(int fd, const char *path)
{
    if (fd < 0 || fd >= MAXFD) return;
    if (matches(path)) snprintf(fd_path[fd], MAXPATH, "%s", path);
    else fd_path[fd][0] = 0;
}

static int trace_fd = -2;

static void trace(int op, long k, const char *path)
{
    if (trace_fd == -2) {
        const char *t = getenv("PK_FAULT_TRACE");
        trace_fd = t && *t ? real_open(t, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644) : -1;
    }
    if (trace_fd < 0) return;
    char line[MAXPATH + 64];
    int n = snprintf(line, sizeof line, "%s %ld %s\n", op_names[op], k, path ? path : "?");
    if (n > 0) real_write(trace_fd, line, (size_t)n < sizeof line ? (size_t)n : sizeof line - 1);
}

/* Count a matching call of op on path; 1 when this one is to fail, 2 when the process is to die
 * right after it. */
static int hit(int op, const char *path)
{
    long k = __atomic_add_fetch(&counts[op], 1, __ATOMIC_SEQ_CST);
    trace(op, k, path);
    if (op == fail_op && fail_at > 0 && k == fail_at) {
        __atomic_add_fetch(&injected, 1, __ATOMIC_SEQ_CST);
        if (kill_mode == 1 || (kill_mode == 3 && op != OP_WRITE)) die();
        return kill_mode ? kill_mode : 1;   /* 2: perform the call, then die; 3: half of it */
    }
    return 0;
}

/* PK_FAULT_SLOW: a slow disk, to widen the window between a reader's reading the manifest and its
 * opening the files named there. */
static void slow(const char *path)
{
    static long us = -1;
    if (us < 0) {
        const char *v = getenv("PK_FAULT_SLOW");
        us = v && *v ? atol(v) : 0;
    }
    if (us > 0 && matches(path)) usleep((useconds_t)us);
}

int open(const char *path, int flags, ...)
{
    load();
    mode_t mode = 0;
    if (flags & (O_CREAT | O_TMPFILE)) {
        va_list ap;
        va_start(ap, flags);
        mode = (mode_t)va_arg(ap, int);
        va_end(ap);
    }
    slow(path);
    int fd = real_open(path, flags, mode);
    remember(fd, path);
    return fd;
}

int open64(const char *path, int flags, ...)
{
    load();
    mode_t mode = 0;
    if (flags & (O_CREAT | O_TMPFILE)) {
        va_list ap;
        va_start(ap, flags);
        mode = (mode_t)va_arg(ap, int);
        va_end(ap);
    }
    slow(path);
    int fd = (real_open64 ? real_open64 : real_open)(path, flags, mode);
    remember(fd, path);
    return fd;
}

int openat(int dirfd, const char *path, int flags, ...)
{
    load();
    mode_t mode = 0;
    if (flags & (O_CREAT | O_TMPFILE)) {
        va_list ap;
        va_start(ap, flags);
        mode = (mode_t)va_arg(ap, int);
        va_end(ap);
    }
    slow(path);
    int fd = real_openat(dirfd, path, flags, mode);
    remember(fd, path);
    return fd;
}

int close(int fd)
{
    load();
    if (fd >= 0 && fd < MAXFD) fd_path[fd][0] = 0;
    return real_close(fd);
}

static int tracked(int fd) { return fd >= 0 && fd < MAXFD && fd_path[fd][0]; }

ssize_t write(int fd, const void *p, size_t n)
{
    load();
    if (!tracked(fd)) return real_write(fd, p, n);
    int h = hit(OP_WRITE, fd_path[fd]);
    if (h == 1) { errno = fail_errno; return -1; }
    if (h == 2) { real_write(fd, p, n); die(); }
    if (h == 3) { if (n / 2) real_write(fd, p, n / 2); die(); }
    if (space >= 0) {
        long long left = space - __atomic_load_n(&written, __ATOMIC_SEQ_CST);
        if (left <= 0) {
            __atomic_add_fetch(&injected, 1, __ATOMIC_SEQ_CST);
            errno = ENOSPC;
            return -1;
        }
        if ((long long)n > left) n = (size_t)left;   /* a short write, as a filling disk gives */
    }
    ssize_t r = real_write(fd, p, n);
    if (r > 0) __atomic_add_fetch(&written, (long long)r, __ATOMIC_SEQ_CST);
    return r;
}

int fsync(int fd)
{
    load();
    int h = tracked(fd) ? hit(OP_FSYNC, fd_path[fd]) : 0;
    if (h == 1) { errno = fail_errno; return -1; }
    int r = real_fsync(fd);
    if (h == 2) die();
    return r;
}

int fdatasync(int fd)
{
    load();
    int h = tracked(fd) ? hit(OP_FSYNC, fd_path[fd]) : 0;
    if (h == 1) { errno = fail_errno; return -1; }
    int r = real_fdatasync(fd);
    if (h == 2) die();
    return r;
}

extern char **environ;

/* Run $PK_FAULT_ONCOMMIT after the n-th commit and wait for it. */
static void on_commit(long n)
{
    const char *cmd = getenv("PK_FAULT_ONCOMMIT");
    if (!cmd || !*cmd) return;
    size_t ne = 0;
    while (environ[ne]) ne++;
    char **env = calloc(ne + 2, sizeof *env);
    char num[48];
    if (!env) return;
    size_t k = 0;
    for (size_t i = 0; i < ne; i++)
        if (strncmp(environ[i], "LD_PRELOAD=", 11) != 0 && strncmp(environ[i], "PK_FAULT_COMMIT=", 16) != 0)
            env[k++] = environ[i];
    snprintf(num, sizeof num, "PK_FAULT_COMMIT=%ld", n);
    env[k++] = num;
    env[k] = NULL;
    int saved = errno;
    pid_t pid = fork();
    if (pid == 0) {
        execle("/bin/sh", "sh", "-c", cmd, (char *)NULL, env);
        _exit(127);
    }
    if (pid > 0)
        while (waitpid(pid, NULL, 0) < 0 && errno == EINTR) {}
    free(env);
    errno = saved;
}

int rename(const char *from, const char *to)
{
    static long commits;
    load();
    int h = matches(from) || matches(to) ? hit(OP_RENAME, to) : 0;
    if (h == 1) { errno = fail_errno; return -1; }
    int r = real_rename(from, to);
    if (h == 2) die();
    size_t n = to ? strlen(to) : 0;
    if (r == 0 && matches(to) && n >= 9 && strcmp(to + n - 9, "/MANIFEST") == 0)
        on_commit(__atomic_add_fetch(&commits, 1, __ATOMIC_SEQ_CST));
    return r;
}
