import Hummingbird
import HTTPTypes
import NIOCore
import QuicFlow
import QuicFlowAdminModel
import QuicFlowCluster
import QuicFlowConfigFile
import QuicFlowJSON
import QuicFlowTime
import ServiceLifecycle

/// The admin HTTP API's routes over a running ``BackboneServer``.
///
/// Everything but `GET /healthz` needs the bearer token when one is set.
enum AdminAPI {
    static func router(
        server: BackboneServer, forwarder: MessageForwarder, messages: any MessageRepository, events: any EventSource, token: String?,
        cluster: ClusterView? = nil
    ) -> Router<BasicRequestContext> {
        let router = Router()
        router.get("healthz") { _, _ in "ok\n" }
        let protected = router.group()
        if let token {
            protected.add(middleware: BearerTokenMiddleware(token: Array(token.utf8)))
        }
        protected.get("metrics") { _, _ in
            // The daemon's own figures, after the backbone's.
            var daemon = [PrometheusFigure(
                .gauge, "quicflow_event_listeners", help: "Open GET /v1/events streams.", value: Int64(events.listenerCount))]
            if let queued = try? await messages.queuedCount() {
                daemon.append(PrometheusFigure(
                    .gauge, "quicflow_queued_messages", help: "Messages waiting in the store for offline clients.",
                    value: Int64(queued)))
            }
            if let cluster {
                daemon += await clusterFigures(cluster)
            }
            let text = await server.prometheusText(adding: daemon)
            return Hummingbird.Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4"],
                body: .init(byteBuffer: ByteBuffer(string: text)))
        }
        protected.get("v1/clients") { _, _ in
            guard let cluster else { return AdminJSONBody(await server.clients().map(ConnectedClient.init)) }
            // The whole cluster's devices, each with its node.
            return AdminJSONBody(try await clusterCall { try await cluster.directory.all() }.map(ConnectedClient.init))
        }
        protected.get("v1/clients/:id") { _, context in
            let id = try context.parameters.require("id")
            if let cluster {
                guard let presence = try await clusterCall({ try await cluster.directory.lookup(id) }) else {
                    throw HTTPError(.notFound, message: "no client \(id) is connected to any node of the cluster")
                }
                return AdminJSONBody(ConnectedClient(presence))
            }
            guard let info = await server.clientInfo(id) else {
                throw HTTPError(.notFound, message: "no client \(id) is connected")
            }
            return AdminJSONBody(ConnectedClient(info))
        }
        protected.get("v1/cluster") { _, _ in
            guard let cluster else {
                throw HTTPError(.notFound, message: "this quicflow-server is a single server, not a cluster node; start it with --cluster-database to run a cluster")
            }
            let nodes = try await clusterCall { try await cluster.node.registry.nodes() }
            let now = cluster.node.registry.wallClock.unixMilliseconds()
            return AdminJSONBody(ClusterReply(node: cluster.nodeID, nodes: nodes.map { node in
                ClusterNodeStatus(
                    node: node.nodeID, alive: node.alive, startedAt: JSONTime.string(unixMillis: node.startedAt),
                    heartbeatAt: JSONTime.string(unixMillis: node.heartbeatAt),
                    heartbeatAgeMilliseconds: max(0, now - node.heartbeatAt), adminURL: node.adminURL,
                    backboneAddress: node.backboneAddress, devices: node.devices)
            }))
        }
        protected.post("v1/clients/:id/messages") { request, context -> Hummingbird.Response in
            let id = try context.parameters.require("id")
            let body = try await decodeBody(request, context: context, maxMessageSize: server.configuration.maxMessageSize)
            let message: Message
            let ttl: Duration?
            do throws(AdminRequestError) {
                message = try body.message()
                ttl = try body.queueTTL()
            } catch {
                throw HTTPError(.badRequest, message: error.message)
            }
            if let cluster, await server.clientInfo(id) == nil,
               let reply = try await routeAcrossNodes(message, to: id, cluster: cluster, queued: ttl != nil)
            {
                return try reply.response(from: request, context: context)
            }
            let outcome: ForwardOutcome
            do {
                outcome = try await forwarder.send(message, to: id, queueFor: ttl)
            } catch let error as QuicFlowError where error.code == .unknownClient {
                throw HTTPError(.notFound, message: "client \(id) is not connected (unknown or offline); add \"queue_if_offline\": true to deliver when it connects")
            } catch let error as QuicFlowError where error.code == .tooManyPromises {
                throw HTTPError(.serviceUnavailable, message: error.message)
            } catch let error as QuicFlowError where error.code == .messageTooLarge {
                throw HTTPError(.contentTooLarge, message: error.message)
            } catch let error as QuicFlowError where error.code == .shuttingDown {
                throw HTTPError(.serviceUnavailable, message: error.message)
            } catch let error as QuicFlowError {
                // The device did not take it (dropped, no answer, a broken frame):
                // nothing says it was handled, so the caller may send it again.
                throw HTTPError(.badGateway, message: "client \(id) did not take message \(message.msgID ?? ""): \(error.message)")
            } catch let error as ServerAppError {
                throw HTTPError(.internalServerError, message: error.message)
            } catch let error as ClusterError {
                throw HTTPError(.serviceUnavailable, message: "the cluster database is unavailable: \(error.message)")
            }
            switch outcome {
            case .answered(let response, let latency):
                return try AdminJSONBody(MessageReply(msgID: message.msgID ?? "", response: response, latency: latency))
                    .response(from: request, context: context)
            case .queued:
                var response = try AdminJSONBody(MessageReply.queued(message.msgID ?? ""))
                    .response(from: request, context: context)
                response.status = .accepted
                return response
            }
        }
        protected.get("v1/messages/:id") { _, context in
            let id = try context.parameters.require("id")
            let record: StoredMessage?
            do {
                record = try await messages.lookup(id)
            } catch {
                throw HTTPError(.internalServerError, message: "\(error)")
            }
            guard let record else {
                throw HTTPError(.notFound, message: "no message \(id) is known; the store keeps unicasts sent through this API for 7 days")
            }
            return AdminJSONBody(MessageRecord(record))
        }
        protected.get("v1/events") { request, _ in
            // A listener that reconnects says where it was (SSE's Last-Event-ID).
            let lastEventID = request.headers[values: HTTPField.Name("Last-Event-ID")!].first.flatMap { UInt64($0) }
            let subscription = await events.subscribe(after: lastEventID)
            return Hummingbird.Response(
                status: .ok,
                headers: [.contentType: "text/event-stream", .cacheControl: "no-cache"],
                body: ResponseBody { writer in
                    // First, so that the listener knows that it will see what happens from now on.
                    try await writer.write(ByteBuffer(string: ServerEvent("subscribed").serverSentEvent(id: 0)))
                    if let gap = subscription.gap {
                        var event = ServerEvent("gap")
                        event.error = gap
                        try await writer.write(ByteBuffer(string: event.serverSentEvent(id: 0)))
                    }
                    for numbered in subscription.replay {
                        try await writer.write(ByteBuffer(string: numbered.event.serverSentEvent(id: numbered.id)))
                    }
                    for await numbered in subscription.live.cancelOnGracefulShutdown() where numbered.id > subscription.liveAfter {
                        try await writer.write(ByteBuffer(string: numbered.event.serverSentEvent(id: numbered.id)))
                    }
                    try await writer.finish(nil)
                })
        }
        protected.post("v1/broadcast") { request, context in
            let message: Message
            do {
                message = try await decodeBody(request, context: context, maxMessageSize: server.configuration.maxMessageSize).message()
            } catch let error as AdminRequestError {
                throw HTTPError(.badRequest, message: error.message)
            }
            if let cluster {
                // Every node's devices; one NOTIFY, each node sends to its own.
                let timeout = message.timeout ?? server.configuration.defaultMessageTimeout
                let tally = try await clusterCall { try await cluster.node.broadcaster.broadcast(message, timeout: timeout) }
                return AdminJSONBody(BroadcastReply(reached: tally.reached, nodes: tally.nodes, nodesReporting: tally.reporting))
            }
            return AdminJSONBody(BroadcastReply(reached: await server.broadcast(message)))
        }
        return router
    }

    /// The cluster's figures on a node's `/metrics`: nodes alive (read now,
    /// so absent when PostgreSQL does not answer), cross-node sends, and
    /// what this node's PostgreSQL calls did.
    private static func clusterFigures(_ cluster: ClusterView) async -> [PrometheusFigure] {
        let database = cluster.node.database.statistics
        var figures = [
            PrometheusFigure(
                .counter, "quicflow_cluster_cross_node_sends_total",
                help: "Unicasts this node routed to a device held by another node.",
                value: Int64(cluster.node.router.crossNodeSends)),
            PrometheusFigure(
                .counter, "quicflow_cluster_db_statements_total", help: "PostgreSQL statements this node ran.",
                value: Int64(database.statements)),
            PrometheusFigure(
                .counter, "quicflow_cluster_db_errors_total",
                help: "PostgreSQL calls that failed or ran out of time (timeouts included).", value: Int64(database.errors)),
            PrometheusFigure(
                .counter, "quicflow_cluster_db_timeouts_total", help: "PostgreSQL calls that ran out of time.",
                value: Int64(database.timeouts)),
            PrometheusFigure(
                .gauge, "quicflow_cluster_db_round_trip_microseconds",
                help: "Mean round trip of this node's PostgreSQL calls so far.",
                value: database.latencyCount == 0 ? 0 : Int64(database.latencySum / Double(database.latencyCount) * 1e6)),
            PrometheusFigure(
                .counter, "quicflow_cluster_listener_connections_total",
                help: "Times this node (re)opened its notification connection.",
                value: Int64(cluster.node.listener.connectionCount)),
        ]
        if let nodes = try? await cluster.node.registry.nodes() {
            figures.append(PrometheusFigure(
                .gauge, "quicflow_cluster_nodes_alive", help: "Nodes whose heartbeat is younger than the lease.",
                value: Int64(nodes.count { $0.alive })))
        }
        return figures
    }

    /// A unicast to a device that another node holds, through that node.
    /// - Returns: the reply; `nil` when no other node holds the device, or
    ///   when it left that node before it was delivered and the caller asked
    ///   to queue it (`queued`): the caller then sends or queues it here.
    private static func routeAcrossNodes(
        _ message: Message, to clientID: String, cluster: ClusterView, queued: Bool
    ) async throws -> AdminJSONBody<MessageReply>? {
        let msgID = message.msgID ?? ""
        let started = ContinuousClock.now
        guard let (node, outcome) = try await clusterCall({ try await cluster.node.router.send(message, to: clientID) }) else {
            return nil
        }
        let latency = ContinuousClock.now - started
        switch outcome {
        case .answered(let status, let result, let error):
            let response = QuicFlow.Response(
                status: QuicFlow.Response.Status(rawValue: status) ?? .failure, result: Array(result), error: error)
            return AdminJSONBody(MessageReply(msgID: msgID, response: response, latency: latency))
        case .sent:
            return AdminJSONBody(MessageReply(msgID: msgID, response: nil, latency: latency))
        case .notConnected(let reason):
            if queued { return nil }
            throw HTTPError(.notFound, message: "client \(clientID) is not connected (\(reason)); add \"queue_if_offline\": true to deliver when it connects")
        case .noAnswer(taken: false):
            if queued { return nil }
            throw HTTPError(.gatewayTimeout, message: "node \(node), which holds client \(clientID), did not take message \(msgID) in time; it was not delivered and will not be; send it again")
        case .noAnswer(taken: true):
            throw HTTPError(.gatewayTimeout, message: "node \(node) sent message \(msgID) to client \(clientID) but no answer came in time; GET /v1/messages/\(msgID) shows its outcome once known")
        }
    }

    /// A call that needs the cluster database: unavailable is 503 with
    /// PostgreSQL's reason, at once (every call is bounded).
    private static func clusterCall<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as ClusterError {
            throw HTTPError(.serviceUnavailable, message: "the cluster database is unavailable: \(error.message)")
        }
    }

    private static func decodeBody(
        _ request: Request, context: BasicRequestContext, maxMessageSize: Int
    ) async throws -> SendRequest {
        do {
            return try await request.decode(as: SendRequest.self, context: context)
        } catch is NIOTooManyBytesError {
            throw HTTPError(
                .contentTooLarge,
                message: "the request body is over \(context.maxUploadSize / (1 << 20)) MiB, the admin API's limit; a message's payload may be at most \(ByteSizeParser.format(maxMessageSize)) (the backbone's max message size)")
        } catch {
            throw HTTPError(.badRequest, message: "the body is not a message: \(error); send JSON like {\"type\": \"command\", \"payload\": \"text\", \"wait_ack\": true, \"timeout_ms\": 5000}")
        }
    }
}
