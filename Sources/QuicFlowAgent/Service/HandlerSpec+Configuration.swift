extension HandlerSpec {
    /// The runner's view of a configured handler.
    init(_ configuration: HandlerConfiguration) {
        self.init(
            executable: configuration.executable, arguments: configuration.arguments, timeout: configuration.timeout,
            maxOutput: configuration.maxOutput, concurrency: configuration.concurrency, user: configuration.user,
            environment: configuration.environment)
    }
}
