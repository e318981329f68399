import NIOCore
import QuicFlow
import NIOPosix

/// Whether the server's two listeners could bind now: the check behind
/// `quicflow-server check-config`. Each address is bound the way `serve`
/// binds it (UDP for QUIC, TCP for the admin API) and released at once.
public enum ListenPortCheck {
    /// One line per address that cannot be bound, keyed by its setting:
    /// `server.listen: …` or `admin.listen: …`.
    public static func problems(for configuration: ServerAppConfiguration) async -> [String] {
        var problems: [String] = []
        let backbone = configuration.backbone
        let group = MultiThreadedEventLoopGroup.singleton
        do {
            let channel = try await DatagramBootstrap(group: group).bind(host: backbone.host, port: backbone.port).get()
            try? await channel.close()
        } catch {
            problems.append("server.listen: UDP \(backbone.host):\(backbone.port) \(reason(error)); choose another with [server] listen or --listen")
        }
        let admin = configuration.admin
        do {
            let channel = try await ServerBootstrap(group: group).bind(host: admin.host, port: admin.port).get()
            try? await channel.close()
        } catch {
            problems.append("admin.listen: TCP \(admin.host):\(admin.port) \(reason(error)); choose another with [admin] listen or --admin-listen")
        }
        return problems
    }

    private static func reason(_ error: any Error) -> String {
        if let error = error as? IOError {
            switch error.errnoCode {
            case EADDRINUSE: return "is already in use (is quicflow-server already running?)"
            case EACCES: return "needs privileges this user lacks (a port below 1024?)"
            case EADDRNOTAVAIL: return "is not an address of this machine"
            default: break
            }
        }
        return "cannot be bound: \(error)"
    }
}
