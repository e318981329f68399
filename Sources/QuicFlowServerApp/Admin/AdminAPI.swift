import Hummingbird
import HTTPTypes
import QuicFlow

/// The admin HTTP API's routes over a running ``BackboneServer``.
///
/// Everything but `GET /healthz` needs the bearer token when one is set.
enum AdminAPI {
    static func router(server: BackboneServer, token: String?) -> Router<BasicRequestContext> {
        let router = Router()
        router.get("healthz") { _, _ in "ok\n" }
        let protected = router.group()
        if let token {
            protected.add(middleware: BearerTokenMiddleware(token: Array(token.utf8)))
        }
        protected.get("metrics") { _, _ in
            Hummingbird.Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4"],
                body: .init(byteBuffer: ByteBuffer(string: await server.prometheusText())))
        }
        protected.get("v1/clients") { _, _ in
            await server.clients().map(ClientView.init)
        }
        protected.get("v1/clients/:id") { _, context in
            let id = try context.parameters.require("id")
            guard let info = await server.clientInfo(id) else {
                throw HTTPError(.notFound, message: "no client \(id) is connected")
            }
            return ClientView(info)
        }
        protected.post("v1/clients/:id/messages") { request, context in
            let id = try context.parameters.require("id")
            let message = try await decodeMessage(request, context: context)
            let clock = ContinuousClock()
            let start = clock.now
            do {
                let response = try await server.send(message, to: id)
                return SendResult(msgID: message.msgID ?? "", response: message.waitAck ? response : nil, latency: clock.now - start)
            } catch let error as QuicFlowError where error.code == .unknownClient {
                throw HTTPError(.notFound, message: "client \(id) is not connected (unknown or offline)")
            } catch let error as QuicFlowError where error.code == .tooManyPromises {
                throw HTTPError(.serviceUnavailable, message: error.message)
            } catch let error as QuicFlowError where error.code == .messageTooLarge {
                throw HTTPError(.contentTooLarge, message: error.message)
            }
        }
        protected.post("v1/broadcast") { request, context in
            let message = try await decodeMessage(request, context: context)
            return BroadcastResult(reached: await server.broadcast(message))
        }
        return router
    }

    private static func decodeMessage(_ request: Request, context: BasicRequestContext) async throws -> Message {
        let body: SendRequest
        do {
            body = try await request.decode(as: SendRequest.self, context: context)
        } catch {
            throw HTTPError(.badRequest, message: "the body is not a message: \(error); send JSON like {\"type\": \"command\", \"payload\": \"text\", \"wait_ack\": true, \"timeout_ms\": 5000}")
        }
        do {
            return try body.message()
        } catch {
            throw HTTPError(.badRequest, message: error.message)
        }
    }
}
