public import QuicFlowAdminModel

extension MessageReply {
    /// The exit status this answer gives `quicflowctl send`.
    public var exitStatus: CtlExitStatus { CtlExitStatus(ackStatus: status) }
}
