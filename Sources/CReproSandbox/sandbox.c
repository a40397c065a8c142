// The sandbox child: everything between clone and execve.
//
// After clone only async-signal-safe calls are made (raw system calls, no allocation, no stdio),
// and every failure is reported to the parent as {step, index, errno} over a close-on-exec pipe.
// The plan (mount operations, argv, environment, the compiled seccomp program) is prepared by the
// parent in Swift; this file only carries it out, in order.
#define _GNU_SOURCE
#include "CReproSandbox.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/mount.h>
#include <linux/sched.h>
#include <linux/seccomp.h>
#include <net/if.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

ssize_t repro_copy_file_range(int in, int64_t *offset, int out, size_t len) {
    off_t position = (off_t)*offset;
    ssize_t n = copy_file_range(in, &position, out, NULL, len, 0);
    *offset = (int64_t)position;
    return n;
}

int repro_rename_exchange(const char *from, const char *to) {
    return (int)syscall(SYS_renameat2, AT_FDCWD, from, AT_FDCWD, to, 2U /* RENAME_EXCHANGE */);
}

int repro_spawn_close_from(void *actions, int from) {
    return posix_spawn_file_actions_addclosefrom_np((posix_spawn_file_actions_t *)actions, from);
}

#define SETUP_ROOT "/tmp"
#define SETUP_OLDROOT "/tmp/oldroot"

// MARK: - Reporting

static void report(int fd, int kind, int step, int index, int err, int value) {
    struct repro_msg msg = {kind, step, index, err, value};
    ssize_t n;
    do {
        n = write(fd, &msg, sizeof msg);
    } while (n < 0 && errno == EINTR);
}

static void setup_fail(int fd, int step, int index) {
    report(fd, REPRO_MSG_SETUP_FAILED, step, index, errno, 0);
    _exit(1);
}

static void exec_fail(int fd, int step) {
    report(fd, REPRO_MSG_EXEC_FAILED, step, -1, errno, 0);
    _exit(127);
}

// MARK: - Small async-signal-safe helpers

/// clone(2) without a new stack: fork semantics, no atfork handlers (which may take locks).
static pid_t raw_clone(unsigned long flags) {
    return (pid_t)syscall(SYS_clone, flags, NULL, NULL, NULL, 0);
}

/// mount_setattr(2) on path (recursively when `recursive`), setting `attr`.
static int set_mount_attr(const char *path, uint64_t attr, int recursive) {
    struct mount_attr ma;
    memset(&ma, 0, sizeof ma);
    ma.attr_set = attr;
    return (int)syscall(SYS_mount_setattr, AT_FDCWD, path, recursive ? AT_RECURSIVE : 0, &ma, sizeof ma);
}

static int write_all(int fd, const char *data, size_t len) {
    while (len > 0) {
        ssize_t n = write(fd, data, len);
        if (n < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        data += n;
        len -= (size_t)n;
    }
    return 0;
}

static int copy_fd(int in, int out) {
    for (;;) {
        ssize_t n = sendfile(out, in, NULL, 1 << 30);
        if (n == 0) return 0;
        if (n > 0) continue;
        if (errno == EINTR) continue;
        if (errno != EINVAL && errno != ENOSYS) return -1;
        break;
    }
    char buf[16384];
    for (;;) {
        ssize_t n = read(in, buf, sizeof buf);
        if (n == 0) return 0;
        if (n < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        if (write_all(out, buf, (size_t)n) < 0) return -1;
    }
}

/// Copies `len` bytes of `in` from `offset` to the start of `out` (sendfile(2), else pread/write);
/// fails with EIO when `in` ends first.
static int copy_range(int in, int out, off_t offset, size_t len) {
    while (len > 0) {
        size_t want = len > (1u << 30) ? (1u << 30) : len;
        ssize_t n = sendfile(out, in, &offset, want);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && (errno == EINVAL || errno == ENOSYS)) {
            char buf[16384];
            n = pread(in, buf, want > sizeof buf ? sizeof buf : want, offset);
            if (n < 0 && errno == EINTR) continue;
            if (n > 0 && write_all(out, buf, (size_t)n) < 0) return -1;
            if (n > 0) offset += n;
        }
        if (n < 0) return -1;
        if (n == 0) {
            errno = EIO;
            return -1;
        }
        len -= (size_t)n;
    }
    return 0;
}

/// What a run of setup ops shares: the file REPRO_OP_COPY_RANGE ops read from (opened, and
/// mapped, once for a run of ops that name it), the directory the last copy or time-setting op
/// worked in (so that a directory's files are reached without walking their whole path again),
/// and the file system ids files are created with.
struct setup_state {
    const char *path;
    int fd;
    /// The source mapped whole (MAP_FAILED when it could not be: copy_range then reads it).
    const char *map;
    size_t map_len;
    /// The directory of the last REPRO_OP_COPY_RANGE or REPRO_OP_SET_TIMES op (its path's first
    /// `dir_len` bytes), open as O_PATH; -1 when none. Any other op closes it.
    int dir_fd;
    const char *dir;
    size_t dir_len;
    /// Whether the file system ids are the builder's (switched for a run of copies).
    int as_builder;
    /// Whether init's own file system ids are already the builder's (started unprivileged).
    int builder_native;
    uid_t root_fsuid;
    gid_t root_fsgid;
};

static void close_dir(struct setup_state *state) {
    if (state->dir_fd >= 0) close(state->dir_fd);
    state->dir_fd = -1;
}

static void close_range_source(struct setup_state *state) {
    if (state->map != MAP_FAILED) munmap((void *)state->map, state->map_len);
    state->map = MAP_FAILED;
    state->map_len = 0;
    if (state->fd >= 0) close(state->fd);
    state->fd = -1;
}

/// Sets the file system uid and gid (setfsuid(2), setfsgid(2)), which decide the owner of new
/// files and the permission checks; fails with EPERM when the kernel kept the old ones.
static int set_fs_ids(uid_t uid, gid_t gid) {
    syscall(SYS_setfsuid, uid);
    syscall(SYS_setfsgid, gid);
    // Each returns the previous value: asking again for the same one shows what is in force.
    if ((uid_t)syscall(SYS_setfsuid, uid) != uid || (gid_t)syscall(SYS_setfsgid, gid) != gid) {
        errno = EPERM;
        return -1;
    }
    return 0;
}

/// Creates files as the builder from now on (true) or as init again (false).
static int builder_ids(const struct repro_plan *plan, struct setup_state *state, int on) {
    if (state->builder_native || state->as_builder == on) return 0;
    if (set_fs_ids(on ? plan->uid : state->root_fsuid, on ? plan->gid : state->root_fsgid) < 0) return -1;
    state->as_builder = on;
    return 0;
}

/// A descriptor for the directory holding `path`, and in *name the last component: the cached one
/// when `path` is in the same directory as the previous op's, else opened with init's own ids
/// (so that the builder's permissions never decide which directory a path names).
static int parent_dir(const struct repro_plan *plan, struct setup_state *state, const char *path, const char **name) {
    const char *slash = strrchr(path, '/');
    if (slash == NULL || slash == path || slash[1] == 0) {
        errno = EINVAL;  // plans name absolute paths below the setup root
        return -1;
    }
    size_t len = (size_t)(slash - path);
    *name = slash + 1;
    if (state->dir_fd >= 0 && state->dir_len == len && memcmp(state->dir, path, len) == 0) return state->dir_fd;
    close_dir(state);
    if (builder_ids(plan, state, 0) < 0) return -1;
    char buf[4096];
    if (len >= sizeof buf) {
        errno = ENAMETOOLONG;
        return -1;
    }
    memcpy(buf, path, len);
    buf[len] = 0;
    state->dir_fd = open(buf, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (state->dir_fd < 0) return -1;
    state->dir = path;
    state->dir_len = len;
    return state->dir_fd;
}

static int chown_builder(const struct repro_plan *plan, const struct repro_op *op) {
    if (!(op->flags & REPRO_OPF_BUILDER)) return 0;
    return lchown(op->path, plan->uid, plan->gid);
}

/// The name /proc/1/cmdline shows inside the sandbox instead of repro's host command line.
static const char init_name[] = "repro-init";

/// Replaces this process's copy of the command line and environment strings (memory it got from
/// repro by fork, so repro's own are untouched): /proc/1/cmdline would otherwise show repro's
/// host arguments (tree paths, the cache, the project directory) to the build. A nonzero last
/// byte of the argument area makes the kernel show it only up to the first NUL (the
/// setproctitle convention), so the length of the host command line does not show either.
static void hide_command_line(const struct repro_arg_area *area) {
    char *args = (char *)area->arg_start;
    size_t len = (size_t)(area->arg_end - area->arg_start);
    if (area->env_end > area->env_start) memset((char *)area->env_start, 0, (size_t)(area->env_end - area->env_start));
    if (len == 0) return;
    memset(args, 0, len);
    size_t n = sizeof init_name - 1;
    if (n > len - 1) n = len - 1;
    memcpy(args, init_name, n);
    if (len >= n + 2) args[len - 1] = ' ';
}

// MARK: - Setup operations

static int run_op(const struct repro_plan *plan, const struct repro_op *op, struct setup_state *source) {
    int fd, in, dir;
    const char *name;
    struct stat st;
    struct timespec times[2];
    if (op->kind != REPRO_OP_COPY_RANGE && op->kind != REPRO_OP_SET_TIMES) close_dir(source);
    if (!(op->kind == REPRO_OP_COPY_RANGE && (op->flags & REPRO_OPF_BUILDER)) && builder_ids(plan, source, 0) < 0) return -1;
    switch (op->kind) {
    case REPRO_OP_MKDIR:
        if (mkdir(op->path, op->mode) < 0) {
            if (errno != EEXIST || stat(op->path, &st) < 0 || !S_ISDIR(st.st_mode)) return -1;
        }
        if (chmod(op->path, op->mode) < 0) return -1;
        return chown_builder(plan, op);
    case REPRO_OP_TMPFS:
        return mount("tmpfs", op->path, "tmpfs", MS_NOSUID | MS_NODEV, op->data);
    case REPRO_OP_BIND:
        if (mount(op->src, op->path, NULL, MS_BIND | MS_REC, NULL) < 0) return -1;
        return set_mount_attr(op->path,
                              MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV |
                                  ((op->flags & REPRO_OPF_READONLY) ? MOUNT_ATTR_RDONLY : 0),
                              1);
    case REPRO_OP_OVERLAY_RO:
        return mount("overlay", op->path, "overlay", MS_RDONLY | MS_NOSUID | MS_NODEV, op->data);
    case REPRO_OP_WRITE_FILE:
        fd = open(op->path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, op->mode);
        if (fd < 0) return -1;
        if (write_all(fd, op->data, op->data_len) < 0 || fchmod(fd, op->mode) < 0 ||
            ((op->flags & REPRO_OPF_BUILDER) && fchown(fd, plan->uid, plan->gid) < 0)) {
            int saved = errno;
            close(fd);
            errno = saved;
            return -1;
        }
        return close(fd);
    case REPRO_OP_COPY_FILE:
        in = open(op->src, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
        if (in < 0) return -1;
        fd = open(op->path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, op->mode);
        if (fd < 0 || copy_fd(in, fd) < 0 || fchmod(fd, op->mode) < 0 ||
            ((op->flags & REPRO_OPF_BUILDER) && fchown(fd, plan->uid, plan->gid) < 0)) {
            int saved = errno;
            close(in);
            if (fd >= 0) close(fd);
            errno = saved;
            return -1;
        }
        close(in);
        return close(fd);
    case REPRO_OP_COPY_RANGE:
        if (source->fd < 0 || strcmp(source->path, op->src) != 0) {
            // Opened (and its directory looked up) with init's own ids: the host file is not the builder's.
            if (builder_ids(plan, source, 0) < 0) return -1;
            close_range_source(source);
            source->path = op->src;
            source->fd = open(op->src, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
            if (source->fd < 0) return -1;
            if (fstat(source->fd, &st) < 0) return -1;
            if (!S_ISREG(st.st_mode)) {
                errno = EINVAL;
                return -1;
            }
            // Mapped once, so that each file is one write(2) from it. (A source that cannot be
            // mapped, or is empty, is read by copy_range instead.)
            if (st.st_size > 0 && (uint64_t)st.st_size <= (uint64_t)SIZE_MAX) {
                void *m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE | MAP_POPULATE, source->fd, 0);
                if (m != MAP_FAILED) {
                    source->map = m;
                    source->map_len = (size_t)st.st_size;
                }
            }
        }
        if (op->data_len > (uint64_t)INT64_MAX || op->offset > (uint64_t)INT64_MAX - op->data_len) {
            errno = EINVAL;
            return -1;
        }
        if (source->map != MAP_FAILED && op->offset + op->data_len > source->map_len) {
            errno = EIO;  // the source ends first, as copy_range reports it
            return -1;
        }
        dir = parent_dir(plan, source, op->path, &name);
        if (dir < 0) return -1;
        // Created with the builder's file system ids, so owned by the builder from the start
        // (one fchown(2) per file fewer); the mode is exact without fchmod: init's umask is 0
        // while it runs the ops.
        if (builder_ids(plan, source, (op->flags & REPRO_OPF_BUILDER) != 0) < 0) return -1;
        fd = openat(dir, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, op->mode);
        if (fd < 0) return -1;
        if ((source->map != MAP_FAILED ? write_all(fd, source->map + op->offset, op->data_len)
                                       : copy_range(source->fd, fd, (off_t)op->offset, op->data_len)) < 0) {
            int saved = errno;
            close(fd);
            errno = saved;
            return -1;
        }
        return close(fd);
    case REPRO_OP_SYMLINK:
        if (symlink(op->src, op->path) < 0) return -1;
        return chown_builder(plan, op);
    case REPRO_OP_PROC:
        return mount("proc", op->path, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
    case REPRO_OP_DEVPTS:
        return mount("devpts", op->path, "devpts", MS_NOSUID | MS_NOEXEC, "newinstance,ptmxmode=0666,mode=0620");
    case REPRO_OP_BIND_DEV:
        fd = open(op->path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);
        if (fd < 0) return -1;
        close(fd);
        if (mount(op->src, op->path, NULL, MS_BIND, NULL) < 0) return -1;
        return set_mount_attr(op->path, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC, 0);
    case REPRO_OP_REMOUNT_RO:
        return set_mount_attr(op->path, MOUNT_ATTR_RDONLY, 0);
    case REPRO_OP_SET_TIMES:
        times[0].tv_sec = (time_t)op->seconds;
        times[0].tv_nsec = 0;
        times[1] = times[0];
        dir = parent_dir(plan, source, op->path, &name);
        if (dir < 0) return -1;
        return utimensat(dir, name, times, AT_SYMLINK_NOFOLLOW);
    default:
        errno = EINVAL;
        return -1;
    }
}

static int loopback_up(void) {
    int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (s < 0) return -1;
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    memcpy(ifr.ifr_name, "lo", 3);
    if (ioctl(s, SIOCGIFFLAGS, &ifr) < 0) goto fail;
    ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
    if (ioctl(s, SIOCSIFFLAGS, &ifr) < 0) goto fail;
    return close(s);
fail:;
    int saved = errno;
    close(s);
    errno = saved;
    return -1;
}

// MARK: - The command's process

static void exec_in_path(const struct repro_plan *plan, int report_fd) {
    const char *name = plan->argv[0];
    if (strchr(name, '/') != NULL || plan->path_env == NULL) {
        execve(name, plan->argv, plan->envp);
        exec_fail(report_fd, REPRO_STEP_EXEC);
    }
    size_t name_len = strlen(name);
    int saw_eacces = 0;
    char buf[4096];
    const char *p = plan->path_env;
    for (;;) {
        const char *end = strchr(p, ':');
        size_t dir_len = end ? (size_t)(end - p) : strlen(p);
        if (dir_len + 1 + name_len + 1 <= sizeof buf) {
            size_t k = 0;
            if (dir_len > 0) {  // an empty PATH entry means the current directory
                memcpy(buf, p, dir_len);
                k = dir_len;
                buf[k++] = '/';
            }
            memcpy(buf + k, name, name_len + 1);
            execve(buf, plan->argv, plan->envp);
            if (errno == EACCES) saw_eacces = 1;
            else if (errno != ENOENT && errno != ENOTDIR) exec_fail(report_fd, REPRO_STEP_EXEC);
        }
        if (!end) break;
        p = end + 1;
    }
    errno = saw_eacces ? EACCES : ENOENT;
    exec_fail(report_fd, REPRO_STEP_EXEC);
}

static void command_child(const struct repro_plan *plan, int report_fd) {
    if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0) exec_fail(report_fd, REPRO_STEP_PDEATHSIG);
    if (setsid() < 0) exec_fail(report_fd, REPRO_STEP_SETSID);
    // Signals: default dispositions and an empty mask, whatever the caller's threads had
    // (an ignored SIGPIPE would otherwise survive execve).
    struct sigaction dfl;
    memset(&dfl, 0, sizeof dfl);
    dfl.sa_handler = SIG_DFL;
    for (int sig = 1; sig < 65; sig++) {
        if (sig != SIGKILL && sig != SIGSTOP) (void)sigaction(sig, &dfl, NULL);
    }
    sigset_t none;
    sigemptyset(&none);
    (void)sigprocmask(SIG_SETMASK, &none, NULL);

    // stdio: move the sources out of the way first so that any permutation of 0, 1, 2 works.
    int src[3] = {plan->stdin_fd, plan->stdout_fd, plan->stderr_fd};
    int high[3];
    for (int i = 0; i < 3; i++) {
        high[i] = fcntl(src[i], F_DUPFD_CLOEXEC, 10);
        if (high[i] < 0) exec_fail(report_fd, REPRO_STEP_STDIO);
    }
    for (int i = 0; i < 3; i++) {
        if (dup2(high[i], i) < 0) exec_fail(report_fd, REPRO_STEP_STDIO);
    }
    // Every other inherited descriptor closes at exec (the report pipe stays open until then).
    if (syscall(SYS_close_range, 3U, ~0U, CLOSE_RANGE_CLOEXEC) < 0) exec_fail(report_fd, REPRO_STEP_CLOSE_FDS);

    for (size_t i = 0; i < plan->rlimit_count; i++) {
        struct rlimit rl = {(rlim_t)plan->rlimits[i].value, (rlim_t)plan->rlimits[i].value};
        if (setrlimit(plan->rlimits[i].resource, &rl) < 0) exec_fail(report_fd, REPRO_STEP_RLIMIT);
    }
    umask(plan->umask);
    if (chdir(plan->workdir) < 0) exec_fail(report_fd, REPRO_STEP_CHDIR);

    // Capabilities: empty the bounding and ambient sets while CAP_SETPCAP is still held.
    // (EINVAL means past the kernel's last capability: every one has been dropped.)
    for (unsigned long cap = 0; cap <= 63; cap++) {
        if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) == 0) continue;
        if (errno == EINVAL) break;
        exec_fail(report_fd, REPRO_STEP_CAPBSET);
    }
    if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
        exec_fail(report_fd, REPRO_STEP_CAPBSET);
    // Raw system calls, not glibc's wrappers: those broadcast the change to every thread glibc
    // believes exists, and in a child cloned from the multi-threaded parent that wait can never end.
    if (plan->may_setgroups && syscall(SYS_setgroups, 0, NULL) < 0) exec_fail(report_fd, REPRO_STEP_SETGROUPS);
    if (syscall(SYS_setresgid, plan->gid, plan->gid, plan->gid) < 0) exec_fail(report_fd, REPRO_STEP_SETGID);
    if (syscall(SYS_setresuid, plan->uid, plan->uid, plan->uid) < 0) exec_fail(report_fd, REPRO_STEP_SETUID);
    struct __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
    struct __user_cap_data_struct data[2];
    memset(data, 0, sizeof data);
    if (syscall(SYS_capset, &hdr, data) < 0) exec_fail(report_fd, REPRO_STEP_CAPSET);
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) exec_fail(report_fd, REPRO_STEP_NO_NEW_PRIVS);

    // The seccomp filter is the last thing before execve.
    if (plan->filter_len > 0) {
        struct sock_fprog prog = {plan->filter_len, (struct sock_filter *)plan->filter};
        if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0) < 0) exec_fail(report_fd, REPRO_STEP_SECCOMP);
    }
    exec_in_path(plan, report_fd);
}

/// What the command's process starts with (on init's stack, which it shares until exec).
struct command_start {
    const struct repro_plan *plan;
    int report_fd;
    int release_fd;
};

#define COMMAND_STACK_SIZE (128 * 1024)

static int command_entry(void *arg) {
    const struct command_start *start = arg;
    close(start->release_fd);
    command_child(start->plan, start->report_fd);  // does not return
    return 127;
}

// MARK: - The sandbox's init (pid 1)

// Closes every descriptor but the `count` in `keep` (any order, duplicates and negatives
// allowed), by close_range over the gaps: init must hold nothing of the caller's but what it uses.
// A descriptor of another sandbox kept open here (its release pipe, say) would tie that sandbox's
// end to this one's.
static void close_all_except(int *keep, int count) {
    for (int i = 1; i < count; i++) {  // insertion sort: no allocation after clone
        int v = keep[i], j = i - 1;
        while (j >= 0 && keep[j] > v) { keep[j + 1] = keep[j]; j--; }
        keep[j + 1] = v;
    }
    unsigned int next = 0;
    for (int i = 0; i < count; i++) {
        if (keep[i] < 0 || (unsigned int)keep[i] < next) continue;
        if ((unsigned int)keep[i] > next) (void)syscall(SYS_close_range, next, (unsigned int)keep[i] - 1, 0U);
        next = (unsigned int)keep[i] + 1;
    }
    (void)syscall(SYS_close_range, next, ~0U, 0U);
}

static void sandbox_init(const struct repro_plan *plan, const struct repro_arg_area *area, int report_fd, int sync_fd,
                         int release_fd) {
    hide_command_line(area);
    int setup_keep[] = {0, 1, 2, report_fd, sync_fd, release_fd, plan->stdin_fd, plan->stdout_fd, plan->stderr_fd};
    close_all_except(setup_keep, (int)(sizeof setup_keep / sizeof setup_keep[0]));
    if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0) setup_fail(report_fd, REPRO_STEP_PDEATHSIG, -1);
    char go;
    ssize_t n;
    do {
        n = read(sync_fd, &go, 1);
    } while (n < 0 && errno == EINTR);
    if (n != 1) _exit(1);  // the parent failed (and reports) or died
    close(sync_fd);
    umask(0);

    if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) setup_fail(report_fd, REPRO_STEP_MAKE_PRIVATE, -1);
    if (mount("tmpfs", SETUP_ROOT, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755") < 0)
        setup_fail(report_fd, REPRO_STEP_SETUP_TMPFS, -1);
    if (mkdir(SETUP_OLDROOT, 0755) < 0 || syscall(SYS_pivot_root, SETUP_ROOT, SETUP_OLDROOT) < 0 || chdir("/") < 0 ||
        mkdir("/newroot", 0755) < 0)
        setup_fail(report_fd, REPRO_STEP_PIVOT_SETUP, -1);

    struct setup_state source = {NULL, -1, MAP_FAILED, 0, -1, NULL, 0, 0, 0, 0, 0};
    // setfsuid(2) with an id it cannot take returns the current one without changing it.
    source.root_fsuid = (uid_t)syscall(SYS_setfsuid, (uid_t)-1);
    source.root_fsgid = (gid_t)syscall(SYS_setfsgid, (gid_t)-1);
    source.builder_native = source.root_fsuid == plan->uid && source.root_fsgid == plan->gid;
    for (size_t i = 0; i < plan->op_count; i++) {
        if (run_op(plan, &plan->ops[i], &source) < 0) setup_fail(report_fd, REPRO_STEP_OP, (int)i);
    }
    close_dir(&source);
    close_range_source(&source);
    if (builder_ids(plan, &source, 0) < 0) setup_fail(report_fd, REPRO_STEP_OP, (int)plan->op_count);

    if (umount2("/oldroot", MNT_DETACH) < 0) setup_fail(report_fd, REPRO_STEP_DETACH_HOST, -1);
    if (chdir("/newroot") < 0 || syscall(SYS_pivot_root, ".", ".") < 0 || umount2(".", MNT_DETACH) < 0 || chdir("/") < 0)
        setup_fail(report_fd, REPRO_STEP_PIVOT_ROOT, -1);
    if (sethostname(plan->hostname, strlen(plan->hostname)) < 0 ||
        setdomainname(plan->domainname, strlen(plan->domainname)) < 0)
        setup_fail(report_fd, REPRO_STEP_HOSTNAME, -1);
    if (loopback_up() < 0) setup_fail(report_fd, REPRO_STEP_LOOPBACK, -1);

    // The command's process shares init's memory until it execs (vfork semantics: init waits),
    // so starting it copies no page tables and its exec tears none down. It writes only to its
    // own stack; the credential changes it makes mark the shared memory non-dumpable, which init
    // undoes afterwards so that the caller can still open /proc/<init>/root.
    int dumpable = prctl(PR_GET_DUMPABLE, 0, 0, 0, 0);
    char *stack = mmap(NULL, COMMAND_STACK_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
    if (dumpable < 0 || stack == MAP_FAILED) setup_fail(report_fd, REPRO_STEP_FORK, -1);
    struct command_start start = {plan, report_fd, release_fd};
    pid_t child = clone(command_entry, stack + COMMAND_STACK_SIZE, CLONE_VM | CLONE_VFORK | SIGCHLD, &start);
    if (child < 0) setup_fail(report_fd, REPRO_STEP_FORK, -1);
    // (PR_SET_DUMPABLE takes only 0 and 1; a 2 inherited from suid_dumpable is what the kernel sets anyway.)
    if ((dumpable == 0 || dumpable == 1) && prctl(PR_SET_DUMPABLE, dumpable, 0, 0, 0) < 0)
        setup_fail(report_fd, REPRO_STEP_FORK, -1);
    munmap(stack, COMMAND_STACK_SIZE);
    // The command has its own copies now; init keeps only its two pipes to the parent.
    int running_keep[] = {report_fd, release_fd};
    close_all_except(running_keep, 2);
    report(report_fd, REPRO_MSG_STARTED, 0, -1, 0, (int)child);

    // Reap everything; the command's status is what we report.
    int status = 0;
    for (;;) {
        int st;
        pid_t p = waitpid(-1, &st, 0);
        if (p < 0) {
            if (errno == EINTR) continue;
            status = 0x7f00;  // ECHILD: cannot happen while the child exists
            break;
        }
        if (p == child) {
            status = st;
            break;
        }
    }
    // The build is over when its command is: whatever it left running is killed and reaped
    // before the parent reads the outputs, so nothing can change them while they are collected.
    // (kill(-1) from a pid namespace's init reaches every other process in it, never init.)
    kill(-1, SIGKILL);
    for (;;) {
        if (waitpid(-1, NULL, 0) > 0) continue;
        if (errno == EINTR) continue;
        break;
    }
    report(report_fd, REPRO_MSG_EXITED, 0, -1, 0, status);
    // Stay alive (keeping the namespaces and their mounts) until the parent has read the outputs,
    // if it wants to; otherwise end now, which kills whatever is left in the namespace.
    if (plan->linger) {
        do {
            n = read(release_fd, &go, 1);
        } while (n < 0 && errno == EINTR);
    }
    _exit(0);
}

// MARK: - Parent side

static int write_file(const char *path, const char *data) {
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    int r = write_all(fd, data, strlen(data));
    int saved = errno;
    close(fd);
    errno = saved;
    return r;
}

static void fmt_proc_path(char *buf, size_t size, pid_t pid, const char *leaf) {
    // "/proc/<pid>/<leaf>" without stdio.
    char digits[16];
    int k = 0;
    unsigned v = (unsigned)pid;
    do {
        digits[k++] = (char)('0' + v % 10);
        v /= 10;
    } while (v && k < 15);
    size_t j = 0;
    const char *prefix = "/proc/";
    while (*prefix && j + 1 < size) buf[j++] = *prefix++;
    while (k > 0 && j + 1 < size) buf[j++] = digits[--k];
    if (j + 1 < size) buf[j++] = '/';
    while (*leaf && j + 1 < size) buf[j++] = *leaf++;
    buf[j] = 0;
}

/// Parses an unsigned decimal number at *p, advancing past it; 0 with *ok cleared when there is none.
static unsigned long parse_ulong(const char **p, const char *end, int *ok) {
    unsigned long v = 0;
    const char *s = *p;
    if (s >= end || *s < '0' || *s > '9') *ok = 0;
    while (s < end && *s >= '0' && *s <= '9') v = v * 10 + (unsigned long)(*s++ - '0');
    *p = s;
    return v;
}

int repro_read_arg_area(const char *stat_text, size_t len, struct repro_arg_area *area) {
    // Fields 48 to 51 of /proc/PID/stat (proc(5)): arg_start, arg_end, env_start, env_end. The
    // command name (field 2) is in parentheses and may itself contain ") ", so count from the last.
    const char *end = stat_text + len;
    const char *p = NULL;
    for (const char *q = stat_text; q < end; q++) {
        if (*q == ')') p = q;
    }
    if (p == NULL) return -1;
    p++;
    unsigned long values[4];
    int ok = 1;
    for (int field = 3; field <= 51 && ok; field++) {
        if (p >= end || *p != ' ') return -1;
        p++;
        if (field < 48) {
            while (p < end && *p != ' ' && *p != '\n') p++;  // state is a letter, some fields are negative
        } else {
            values[field - 48] = parse_ulong(&p, end, &ok);
        }
    }
    if (!ok || values[0] == 0 || values[1] < values[0] || values[3] < values[2]) return -1;
    area->arg_start = values[0];
    area->arg_end = values[1];
    area->env_start = values[2];
    area->env_end = values[3];
    return 0;
}

/// Reads where this process's command line and environment strings are.
static int read_own_arg_area(struct repro_arg_area *area) {
    char buf[4096];
    int fd = open("/proc/self/stat", O_RDONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    size_t got = 0;
    for (;;) {
        ssize_t n = read(fd, buf + got, sizeof buf - got);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        got += (size_t)n;
        if (got == sizeof buf) break;
    }
    int saved = errno;
    close(fd);
    if (got == 0 || got == sizeof buf) {
        errno = got == 0 ? saved : E2BIG;
        return -1;
    }
    if (repro_read_arg_area(buf, got, area) < 0) {
        errno = EINVAL;
        return -1;
    }
    return 0;
}

// The namespaces the child is in that the caller is not: what clone actually made, as
// REPRO_NS_* bits, found by comparing each /proc/PID/ns link's inode with the caller's own. The
// manifest records this observation, not the flags that were asked for.
static uint32_t observe_namespaces(pid_t pid) {
    static const struct { const char *leaf; uint32_t bit; } kinds[] = {
        {"ns/cgroup", REPRO_NS_CGROUP}, {"ns/ipc", REPRO_NS_IPC}, {"ns/mnt", REPRO_NS_MOUNT},
        {"ns/net", REPRO_NS_NETWORK},   {"ns/pid", REPRO_NS_PID},
        {"ns/user", REPRO_NS_USER},     {"ns/uts", REPRO_NS_UTS},
    };
    uint32_t fresh = 0;
    char path[64];
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
        struct stat child, own;
        fmt_proc_path(path, sizeof path, pid, kinds[i].leaf);
        if (stat(path, &child) < 0) continue;
        fmt_proc_path(path, sizeof path, getpid(), kinds[i].leaf);
        if (stat(path, &own) < 0) continue;
        if (child.st_ino != own.st_ino || child.st_dev != own.st_dev) fresh |= kinds[i].bit;
    }
    return fresh;
}

int repro_sandbox_spawn(const struct repro_plan *plan, struct repro_spawned *out, struct repro_msg *failure) {
    int report_pipe[2], sync_pipe[2], release_pipe[2];
    memset(failure, 0, sizeof *failure);
    struct repro_arg_area area;
    if (read_own_arg_area(&area) < 0) {
        failure->kind = REPRO_MSG_SETUP_FAILED;
        failure->step = REPRO_STEP_ARG_AREA;
        failure->err = errno;
        return -1;
    }
    if (pipe2(report_pipe, O_CLOEXEC) < 0) goto fail_early;
    if (pipe2(sync_pipe, O_CLOEXEC) < 0) {
        close(report_pipe[0]);
        close(report_pipe[1]);
        goto fail_early;
    }
    if (pipe2(release_pipe, O_CLOEXEC) < 0) {
        close(report_pipe[0]);
        close(report_pipe[1]);
        close(sync_pipe[0]);
        close(sync_pipe[1]);
        goto fail_early;
    }

    unsigned long flags = CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWUTS | CLONE_NEWIPC |
                          CLONE_NEWCGROUP | SIGCHLD;
    pid_t pid = raw_clone(flags);
    if (pid == 0) {
        // Init does not forward signals (the handler and the pipes came with the fork): the
        // parent ends the sandbox by SIGKILL. Ignored, SIGINT, SIGTERM and SIGHUP from the build
        // (`kill -TERM 1`) or the terminal's process group change nothing; the command's process
        // resets every disposition before it execs.
        struct sigaction ignore;
        memset(&ignore, 0, sizeof ignore);
        ignore.sa_handler = SIG_IGN;
        sigaction(SIGINT, &ignore, NULL);
        sigaction(SIGTERM, &ignore, NULL);
        sigaction(SIGHUP, &ignore, NULL);
        close(report_pipe[0]);
        close(sync_pipe[1]);
        close(release_pipe[1]);
        sandbox_init(plan, &area, report_pipe[1], sync_pipe[0], release_pipe[0]);
        _exit(1);
    }
    int clone_errno = errno;
    close(report_pipe[1]);
    close(sync_pipe[0]);
    close(release_pipe[0]);
    if (pid < 0) {
        close(report_pipe[0]);
        close(sync_pipe[1]);
        close(release_pipe[1]);
        failure->kind = REPRO_MSG_SETUP_FAILED;
        failure->step = REPRO_STEP_CLONE;
        failure->err = clone_errno;
        return -1;
    }

    char path[64];
    int step = 0;
    if (!plan->may_setgroups) {
        fmt_proc_path(path, sizeof path, pid, "setgroups");
        if (write_file(path, "deny") < 0) step = REPRO_STEP_SETGROUPS_DENY;
    }
    if (!step) {
        fmt_proc_path(path, sizeof path, pid, "uid_map");
        if (write_file(path, plan->uid_map) < 0) step = REPRO_STEP_UID_MAP;
    }
    if (!step) {
        fmt_proc_path(path, sizeof path, pid, "gid_map");
        if (write_file(path, plan->gid_map) < 0) step = REPRO_STEP_GID_MAP;
    }
    // Observed while init still waits for the go-ahead, so it is alive and has not moved.
    uint32_t observed = step ? 0 : observe_namespaces(pid);
    if (!step && write_all(sync_pipe[1], "g", 1) < 0) step = REPRO_STEP_SYNC;
    if (step) {
        int saved = errno;
        kill(pid, SIGKILL);
        while (waitpid(pid, NULL, 0) < 0 && errno == EINTR) {}
        close(report_pipe[0]);
        close(sync_pipe[1]);
        close(release_pipe[1]);
        failure->kind = REPRO_MSG_SETUP_FAILED;
        failure->step = step;
        failure->err = saved;
        return -1;
    }
    close(sync_pipe[1]);
    out->pid = pid;
    out->namespaces = observed;
    out->report_fd = report_pipe[0];
    out->release_fd = release_pipe[1];
    return 0;

fail_early:
    failure->kind = REPRO_MSG_SETUP_FAILED;
    failure->step = REPRO_STEP_CLONE;
    failure->err = errno;
    return -1;
}

// MARK: - Small wrappers for the Swift side

int repro_pipe_cloexec(int fds[2]) { return pipe2(fds, O_CLOEXEC); }

int repro_memfd_cloexec(const char *name) { return (int)syscall(SYS_memfd_create, name, 1U /* MFD_CLOEXEC */); }

const int repro_rlimit_core = RLIMIT_CORE, repro_rlimit_fsize = RLIMIT_FSIZE, repro_rlimit_nofile = RLIMIT_NOFILE,
          repro_rlimit_nproc = RLIMIT_NPROC;

// MARK: - Signal forwarding for the supervisor

// Several sandboxes may run at once (a parallel check), each on a thread of its own with a pipe
// of its own: the handler writes to every registered pipe, and the dispositions are replaced
// when the first registers and restored when the last leaves. The signal mask is per thread.

#define FORWARD_SLOTS 256
static _Atomic int forward_slots[FORWARD_SLOTS];  // fd + 1; 0 is a free slot
static _Atomic int handlers_running;               // handlers between reading a slot and writing
static int forward_users;
static pthread_mutex_t forward_lock = PTHREAD_MUTEX_INITIALIZER;
static const int forwarded[3] = {SIGINT, SIGTERM, SIGHUP};
static struct sigaction saved_actions[3];
static _Thread_local sigset_t saved_mask;

static void forward_signal(int sig) {
    int saved = errno;
    atomic_fetch_add(&handlers_running, 1);
    unsigned char b = (unsigned char)sig;
    for (int i = 0; i < FORWARD_SLOTS; i++) {
        int slot = atomic_load(&forward_slots[i]);
        if (slot > 0) (void)!write(slot - 1, &b, 1);
    }
    atomic_fetch_sub(&handlers_running, 1);
    errno = saved;
}

int repro_signals_forward(int fd) {
    pthread_mutex_lock(&forward_lock);
    int free_slot = -1;
    for (int i = 0; i < FORWARD_SLOTS && free_slot < 0; i++) {
        if (atomic_load(&forward_slots[i]) == 0) free_slot = i;
    }
    if (free_slot < 0) {
        pthread_mutex_unlock(&forward_lock);
        errno = EMFILE;
        return -1;
    }
    if (forward_users == 0) {
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = forward_signal;
        sigemptyset(&sa.sa_mask);
        for (int i = 0; i < 3; i++) {
            if (sigaction(forwarded[i], &sa, &saved_actions[i]) < 0) {
                int saved = errno;
                while (--i >= 0) sigaction(forwarded[i], &saved_actions[i], NULL);
                pthread_mutex_unlock(&forward_lock);
                errno = saved;
                return -1;
            }
        }
    }
    atomic_store(&forward_slots[free_slot], fd + 1);
    forward_users++;
    // A caller may have started repro with these blocked; they must reach the handler.
    sigset_t set;
    sigemptyset(&set);
    for (int i = 0; i < 3; i++) sigaddset(&set, forwarded[i]);
    pthread_sigmask(SIG_UNBLOCK, &set, &saved_mask);
    pthread_mutex_unlock(&forward_lock);
    return 0;
}

void repro_signals_restore(int fd) {
    pthread_mutex_lock(&forward_lock);
    int found = 0;
    for (int i = 0; i < FORWARD_SLOTS && !found; i++) {
        if (atomic_load(&forward_slots[i]) == fd + 1) {
            atomic_store(&forward_slots[i], 0);
            found = 1;
        }
    }
    if (!found) {  // never registered (or already restored): nothing of ours to undo
        pthread_mutex_unlock(&forward_lock);
        return;
    }
    // A handler that read the slot before it was cleared may still be about to write to fd.
    while (atomic_load(&handlers_running) > 0) sched_yield();
    pthread_sigmask(SIG_SETMASK, &saved_mask, NULL);
    if (--forward_users == 0) {
        for (int i = 0; i < 3; i++) sigaction(forwarded[i], &saved_actions[i], NULL);
    }
    pthread_mutex_unlock(&forward_lock);
}
