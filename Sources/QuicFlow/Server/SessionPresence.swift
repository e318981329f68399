/// Where a live session stands in the ``ClientDirectory``, which other
/// nodes of a cluster read.
enum SessionPresence: Equatable {
    /// Its registration is being written.
    case recording
    /// Written; the directory gave it `epoch`.
    case recorded(epoch: Int64)
    /// The write failed (the database was away, its backend was killed):
    /// the session's next heartbeat writes it again, so that a device does
    /// not stay invisible to the other nodes until it reconnects.
    case missing
}
