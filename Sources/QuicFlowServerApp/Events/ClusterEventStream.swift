import Foundation
import QuicFlowCluster
import QuicFlowJSON
import QuicFlowTime

/// The event stream of a cluster node. What this node publishes goes to
/// the cluster's table (``ClusterEventLog``); its listeners get every
/// node's events as the log reads them back, under the table's ids, so a
/// listener may resume with `Last-Event-ID` on any node.
final class ClusterEventStream: EventSink, EventSource {
    /// The node's listeners.
    let hub: EventHub
    private let log: ClusterEventLog
    private let nodeID: String
    /// Events replayed to one resuming listener at most.
    static let replayLimit = 10_000

    /// The stream of node `nodeID`, on `log`.
    init(log: ClusterEventLog, nodeID: String) {
        self.hub = EventHub(firstEventID: 1)
        self.log = log
        self.nodeID = nodeID
        log.deliverTo { [hub] entries in
            let decoder = JSONDecoder()
            for entry in entries {
                guard let event = try? decoder.decode(ServerEvent.self, from: Data(entry.body.utf8)) else { continue }
                hub.publish(event, id: UInt64(entry.id))
            }
        }
    }

    var listenerCount: Int { hub.listenerCount }

    func publish(_ event: ServerEvent) {
        var event = event
        event.node = nodeID
        guard let json = try? JSONOutput.encoder().encode(event) else { return }
        log.append(String(decoding: json, as: UTF8.self))
    }

    func subscribe(after lastEventID: UInt64?) async -> EventSubscription {
        // Live first: what the table gets from now on reaches the listener
        // either in the replay below or live (the overlap is skipped by id).
        var subscription = hub.subscribe(after: nil)
        guard let lastEventID else { return subscription }
        do throws(ClusterError) {
            let after = Int64(clamping: lastEventID)
            let (oldest, _, assigned) = try await log.bounds()
            let entries = try await log.entries(after: after, limit: Self.replayLimit)
            let decoder = JSONDecoder()
            let replay = entries.compactMap { entry in
                (try? decoder.decode(ServerEvent.self, from: Data(entry.body.utf8))).map {
                    NumberedEvent(id: UInt64(entry.id), event: $0)
                }
            }
            var gap: String?
            // Ids given out but not in the table were purged (or are being
            // written right now, and then come live).
            let kept = oldest ?? assigned + 1
            if after > assigned {
                gap = "event \(lastEventID) is not one of this cluster's; events may have been missed"
            } else if after + 1 < kept {
                gap = "\(kept - after - 1) events after \(lastEventID) are older than the cluster keeps (\(ClusterEventLog.retention.logText)); they were purged"
            } else if entries.count == Self.replayLimit {
                gap = "more than \(Self.replayLimit) events followed \(lastEventID): the first \(Self.replayLimit) are replayed, then the stream goes on from now"
            }
            subscription = EventSubscription(
                replay: replay, gap: gap, live: subscription.live,
                liveAfter: gap == nil ? max(lastEventID, replay.last?.id ?? 0) : (replay.last?.id ?? 0))
        } catch {
            subscription = EventSubscription(
                replay: [], gap: "the cluster database cannot be read (\(error.message)); events after \(lastEventID) may have been missed",
                live: subscription.live)
        }
        return subscription
    }
}
