import CReproSandbox  // pthread_mutex_t and pthread_cond_t come through its <sys/types.h>
import Glibc

// A mutex, a condition variable and a thread, on pthreads directly: Foundation's NSLock,
// NSCondition and Thread are not in FoundationEssentials, and full Foundation brings ICU into the
// static binary (docs/benchmarks.md, "Binary size").

/// A mutex (pthread_mutex_t), for state shared between threads and guarded by hand.
public final class Lock: @unchecked Sendable {
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)

    public init() {
        mutex.initialize(to: pthread_mutex_t())
        precondition(pthread_mutex_init(mutex, nil) == 0)
    }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    /// Waits for the mutex and holds it (the corresponding C function is pthread_mutex_lock).
    public func lock() { precondition(pthread_mutex_lock(mutex) == 0) }

    /// Lets go of the mutex (pthread_mutex_unlock).
    public func unlock() { precondition(pthread_mutex_unlock(mutex) == 0) }
}

/// A mutex with a condition variable (pthread_cond_t), as NSCondition: lock, then wait in a loop
/// until the state looked for holds; a change of the state signals or broadcasts.
public final class Condition: @unchecked Sendable {
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let cond = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)

    public init() {
        mutex.initialize(to: pthread_mutex_t())
        cond.initialize(to: pthread_cond_t())
        precondition(pthread_mutex_init(mutex, nil) == 0)
        precondition(pthread_cond_init(cond, nil) == 0)
    }

    deinit {
        pthread_cond_destroy(cond)
        pthread_mutex_destroy(mutex)
        cond.deallocate()
        mutex.deallocate()
    }

    /// Waits for the mutex and holds it (pthread_mutex_lock).
    public func lock() { precondition(pthread_mutex_lock(mutex) == 0) }

    /// Lets go of the mutex (pthread_mutex_unlock).
    public func unlock() { precondition(pthread_mutex_unlock(mutex) == 0) }

    /// Lets go of the mutex until signalled, then holds it again (pthread_cond_wait); the caller
    /// checks its state again, as wake-ups can be spurious.
    public func wait() { precondition(pthread_cond_wait(cond, mutex) == 0) }

    /// Wakes one waiter (pthread_cond_signal).
    public func signal() { precondition(pthread_cond_signal(cond) == 0) }

    /// Wakes every waiter (pthread_cond_broadcast).
    public func broadcast() { precondition(pthread_cond_broadcast(cond) == 0) }
}

/// Runs `body` on a new thread with the default stack size (pthread_create, then pthread_detach). A thread
/// that cannot be made traps: the callers have no way to go on without it.
public func startThread(_ body: @escaping @Sendable () -> Void) {
    final class Box {
        let body: @Sendable () -> Void
        init(_ body: @escaping @Sendable () -> Void) { self.body = body }
    }
    let context = Unmanaged.passRetained(Box(body)).toOpaque()
    var thread: pthread_t = 0
    let status = pthread_create(
        &thread, nil,
        { context in
            Unmanaged<Box>.fromOpaque(context!).takeRetainedValue().body()
            return nil
        }, context)
    precondition(status == 0, "pthread_create: \(String(cString: strerror(status)))")
    pthread_detach(thread)
}
