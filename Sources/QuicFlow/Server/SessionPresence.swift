/// Where a live session stands in the ``ClientDirectory``, which other
/// nodes of a cluster read.
enum SessionPresence: Equatable {
    /// Its registration is being written. `notice` is the newest epoch of
    /// a takeover notice that arrived meanwhile (another node's registration
    /// can commit, and its notice arrive, before this node's write returns):
    /// it is applied once this write's epoch is known.
    case recording(notice: Int64?)
    /// Written; the directory gave it `epoch`.
    case recorded(epoch: Int64)
    /// The write failed (the database was away, its backend was killed):
    /// the session's next heartbeat writes it again, so that a device does
    /// not stay invisible to the other nodes until it reconnects.
    case missing
}
