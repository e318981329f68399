import QUICTestSupport

/// The `quicflowctl` SwiftPM built beside this test bundle, or `$QUICFLOW_CTL_BIN`.
let quicflowctl = BuiltExecutable("quicflowctl", environmentOverride: "QUICFLOW_CTL_BIN")
