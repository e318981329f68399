import QuicFlowDataDirectory
import ServiceLifecycle

/// Holds the data directory's lock while the server runs. First in the
/// service group, so graceful shutdown reaches it last: the lock is given
/// up once every other service has stopped, and a server started next (in
/// this process too) can take the directory.
struct DataDirectoryLockService: Service {
    let lock: DataDirectoryLock

    func run() async throws {
        try? await gracefulShutdown()
        lock.release()
    }
}
