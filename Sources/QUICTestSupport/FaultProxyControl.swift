import Synchronization

/// The part of a ``UDPFaultProxy``'s state that callers touch from any thread while the event
/// loop works: the configuration, the black-hole switch and the counters.
final class FaultProxyControl: Sendable {
    private let configurationStorage: Mutex<UDPFaultProxy.Configuration>
    private let blackHole: Atomic<Bool>
    /// One-way black hole: only datagrams to clients are dropped.
    private let blackHoleToClients: Atomic<Bool>
    private let statisticsStorage: Mutex<UDPFaultProxy.Statistics>

    init(configuration: UDPFaultProxy.Configuration) {
        self.configurationStorage = Mutex(configuration)
        self.blackHole = Atomic(false)
        self.blackHoleToClients = Atomic(false)
        self.statisticsStorage = Mutex(UDPFaultProxy.Statistics())
    }

    var configuration: UDPFaultProxy.Configuration {
        self.configurationStorage.withLock { $0 }
    }

    func setConfiguration(_ configuration: UDPFaultProxy.Configuration) {
        self.configurationStorage.withLock { $0 = configuration }
    }

    var isBlackHoled: Bool {
        self.blackHole.load(ordering: .acquiring)
    }

    func setBlackHole(_ on: Bool) {
        self.blackHole.store(on, ordering: .releasing)
    }

    /// Whether a datagram travelling `direction` falls into a black hole now.
    func drops(_ direction: FaultProxyDirection) -> Bool {
        self.isBlackHoled || (direction == .serverToClient && self.blackHoleToClients.load(ordering: .acquiring))
    }

    func setBlackHoleToClients(_ on: Bool) {
        self.blackHoleToClients.store(on, ordering: .releasing)
    }

    var statistics: UDPFaultProxy.Statistics {
        self.statisticsStorage.withLock { $0 }
    }

    /// Adds `delta` to the counters of `direction`.
    func record(_ delta: UDPFaultProxy.DirectionStatistics, _ direction: FaultProxyDirection) {
        self.statisticsStorage.withLock { statistics in
            switch direction {
            case .clientToServer:
                statistics.clientToServer.add(delta)
            case .serverToClient:
                statistics.serverToClient.add(delta)
            }
        }
    }

    func recordUpstreamSocketOpened() {
        self.statisticsStorage.withLock { $0.upstreamSocketsOpened += 1 }
    }
}

extension UDPFaultProxy.DirectionStatistics {
    fileprivate mutating func add(_ delta: Self) {
        self.received += delta.received
        self.forwarded += delta.forwarded
        self.dropped += delta.dropped
        self.duplicated += delta.duplicated
        self.reordered += delta.reordered
    }
}
