public import QuicFlowAdminModel

extension ClusterReply {
    /// The nodes as a table: alive or dead, heartbeat age, device count, addresses.
    public func table() -> TextTable {
        TextTable(
            headers: ["NODE", "ALIVE", "HEARTBEAT", "DEVICES", "QUIC", "ADMIN"],
            rows: nodes.map { node in
                [
                    node.node + (node.node == self.node ? " *" : ""), node.alive ? "yes" : "no",
                    ConnectedClient.age(node.heartbeatAgeMilliseconds), String(node.devices),
                    node.backboneAddress.isEmpty ? "-" : node.backboneAddress, node.adminURL.isEmpty ? "-" : node.adminURL,
                ]
            })
    }
}
