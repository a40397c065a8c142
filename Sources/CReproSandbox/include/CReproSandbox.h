#ifndef CREPROSANDBOX_H
#define CREPROSANDBOX_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/// The kinds of setup operation the child carries out, in plan order, inside its fresh mount
/// namespace. Paths are absolute in the setup file system: the sandbox's future root is
/// `/newroot`, the host's root is visible at `/oldroot` until the final pivot.
enum repro_op_kind {
    REPRO_OP_MKDIR = 1,       ///< mkdir(path, mode)
    REPRO_OP_TMPFS = 2,       ///< mount tmpfs at path with options `data`
    REPRO_OP_BIND = 3,        ///< bind src at path (recursive); read-only, nosuid, nodev if REPRO_OPF_READONLY
    REPRO_OP_OVERLAY_RO = 4,  ///< read-only overlayfs at path with options `data` (lowerdir=...)
    REPRO_OP_WRITE_FILE = 5,  ///< create path with `data` (data_len bytes) and mode
    REPRO_OP_COPY_FILE = 6,   ///< copy the regular file src to path with mode
    REPRO_OP_SYMLINK = 7,     ///< symlink(src, path)
    REPRO_OP_PROC = 8,        ///< mount a fresh proc at path
    REPRO_OP_DEVPTS = 9,      ///< mount a private devpts instance at path
    REPRO_OP_BIND_DEV = 10,   ///< create an empty file at path and bind the device node src over it
    REPRO_OP_REMOUNT_RO = 11, ///< make the mount at path read-only (not recursive)
    REPRO_OP_SET_TIMES = 12,  ///< set path's atime and mtime to `seconds` (utimensat, AT_SYMLINK_NOFOLLOW)
    REPRO_OP_COPY_RANGE = 13, ///< create path with mode from `data_len` bytes of the regular file src at `offset`
};

/// What the op creates belongs to the plan's builder uid/gid (REPRO_OP_COPY_RANGE creates it with the
/// builder's file system ids; the others chown it).
#define REPRO_OPF_BUILDER 1
/// Make the mount read-only (and nosuid, nodev).
#define REPRO_OPF_READONLY 2

/// One setup operation.
struct repro_op {
    int kind;
    int flags;
    unsigned int mode;
    const char *path;
    const char *src;
    const char *data;
    size_t data_len;
    /// Seconds since the epoch, for REPRO_OP_SET_TIMES.
    int64_t seconds;
    /// Where the bytes start in `src`, for REPRO_OP_COPY_RANGE.
    uint64_t offset;
};

/// One resource limit for the command.
struct repro_rlimit {
    int resource;
    uint64_t value;
};

/// Everything the child needs, prepared by the parent; pointers stay valid in the cloned child.
struct repro_plan {
    const struct repro_op *ops;
    size_t op_count;
    const char *hostname;
    const char *domainname;
    /// argv[0] is a path or a name looked up in `path_env` (the sandbox's PATH).
    char *const *argv;
    char *const *envp;
    const char *path_env;
    const char *workdir;
    unsigned int umask;
    uid_t uid;
    gid_t gid;
    /// Nonzero when the id map has several entries and setgroups is allowed (started as root).
    int may_setgroups;
    const struct repro_rlimit *rlimits;
    size_t rlimit_count;
    /// The compiled seccomp program (struct sock_filter array) and its length in instructions.
    const void *filter;
    unsigned short filter_len;
    int stdin_fd;
    int stdout_fd;
    int stderr_fd;
    /// Written by the parent into /proc/PID/{uid_map,gid_map}; setgroups is denied first unless may_setgroups.
    const char *uid_map;
    const char *gid_map;
    /// Nonzero: after the command ends, init stays (keeping the sandbox mounted) until the release
    /// pipe is closed; zero: init exits at once.
    int linger;
};

/// The steps the child reports failures of.
enum repro_step {
    REPRO_STEP_NONE = 0,
    REPRO_STEP_CLONE = 1,
    REPRO_STEP_SETGROUPS_DENY = 2,
    REPRO_STEP_UID_MAP = 3,
    REPRO_STEP_GID_MAP = 4,
    REPRO_STEP_SYNC = 5,
    REPRO_STEP_MAKE_PRIVATE = 6,
    REPRO_STEP_SETUP_TMPFS = 7,
    REPRO_STEP_PIVOT_SETUP = 8,
    REPRO_STEP_OP = 9,
    REPRO_STEP_DETACH_HOST = 10,
    REPRO_STEP_PIVOT_ROOT = 11,
    REPRO_STEP_HOSTNAME = 12,
    REPRO_STEP_LOOPBACK = 13,
    REPRO_STEP_FORK = 14,
    REPRO_STEP_SETSID = 15,
    REPRO_STEP_STDIO = 16,
    REPRO_STEP_CLOSE_FDS = 17,
    REPRO_STEP_RLIMIT = 18,
    REPRO_STEP_CAPBSET = 19,
    REPRO_STEP_SETGROUPS = 20,
    REPRO_STEP_SETGID = 21,
    REPRO_STEP_SETUID = 22,
    REPRO_STEP_CAPSET = 23,
    REPRO_STEP_NO_NEW_PRIVS = 24,
    REPRO_STEP_CHDIR = 25,
    REPRO_STEP_SECCOMP = 26,
    REPRO_STEP_EXEC = 27,
    REPRO_STEP_PDEATHSIG = 28,
    REPRO_STEP_ARG_AREA = 29,
};

/// Message kinds on the report pipe.
enum repro_msg_kind {
    REPRO_MSG_SETUP_FAILED = 1, ///< init failed at `step` (op `index`), errno `err`; init exits
    REPRO_MSG_EXEC_FAILED = 2,  ///< the command's child failed at `step` before exec, errno `err`
    REPRO_MSG_STARTED = 3,      ///< the command was forked (setup complete)
    REPRO_MSG_EXITED = 4,       ///< the command ended; `value` is its wait status
};

/// One report, written atomically (smaller than PIPE_BUF).
struct repro_msg {
    int32_t kind;
    int32_t step;
    int32_t index;
    int32_t err;
    int32_t value;
};

/// The namespace kinds, as bits of `repro_spawned.namespaces`.
enum repro_namespace {
    REPRO_NS_CGROUP = 1 << 0,
    REPRO_NS_IPC = 1 << 1,
    REPRO_NS_MOUNT = 1 << 2,
    REPRO_NS_NETWORK = 1 << 3,
    REPRO_NS_PID = 1 << 4,
    REPRO_NS_USER = 1 << 5,
    REPRO_NS_UTS = 1 << 6,
};

/// What `repro_sandbox_spawn` hands back.
struct repro_spawned {
    pid_t pid;       ///< the sandbox's init, as seen from the caller
    int report_fd;   ///< read end of the report pipe (close-on-exec)
    int release_fd;  ///< write end of the release pipe: closing it lets init exit
    uint32_t namespaces; ///< REPRO_NS_* bits: the namespaces init is in that the caller is not
};

/// Clones the sandbox's init into fresh user, mount, pid, network, uts, ipc and cgroup namespaces,
/// writes its id maps, observes which namespaces it is in, and lets it run the plan. Returns 0,
/// or -1 with `*failure` filled (step and errno).
int repro_sandbox_spawn(const struct repro_plan *plan, struct repro_spawned *out, struct repro_msg *failure);

/// Where a process's command-line and environment strings are (fields 48 to 51 of /proc/PID/stat).
struct repro_arg_area {
    unsigned long arg_start;
    unsigned long arg_end;
    unsigned long env_start;
    unsigned long env_end;
};

/// Parses those four fields from the text of /proc/PID/stat. Returns 0, or -1 if malformed.
int repro_read_arg_area(const char *stat_text, size_t len, struct repro_arg_area *area);

/// copy_file_range(2) from `in` at `*offset` (advanced) to `out` at its file position; -1 and
/// errno on failure. (Swift's Glibc module does not declare it.)
ssize_t repro_copy_file_range(int in, int64_t *offset, int out, size_t len);

/// renameat2(from, to, RENAME_EXCHANGE): swaps two existing paths atomically. -1 with errno
/// (EINVAL or ENOSYS where the file system or kernel cannot).
int repro_rename_exchange(const char *from, const char *to);
/// Adds to the posix_spawn file actions at `actions` (a posix_spawn_file_actions_t) the closing
/// of every descriptor from `from` up (posix_spawn_file_actions_addclosefrom_np, glibc 2.34),
/// which Swift's Glibc module does not show. 0 or an errno.
int repro_spawn_close_from(void *actions, int from);

/// pipe2(2) with O_CLOEXEC (not visible to Swift without _GNU_SOURCE).
int repro_pipe_cloexec(int fds[2]);
/// memfd_create(2) with MFD_CLOEXEC.
int repro_memfd_cloexec(const char *name);

/// The RLIMIT_* numbers of this platform.
extern const int repro_rlimit_core, repro_rlimit_fsize, repro_rlimit_nofile, repro_rlimit_nproc;

/// Registers `fd` to receive SIGINT, SIGTERM and SIGHUP as one byte each (the signal number),
/// with every other registered descriptor, and unblocks them in the calling thread. The first
/// registration installs the handlers.
int repro_signals_forward(int fd);
/// Unregisters `fd` and restores the calling thread's signal mask; the last one out restores the
/// dispositions the first one replaced. Call it on the thread that registered.
void repro_signals_restore(int fd);

#endif
