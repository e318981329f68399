import Foundation
import PackagePlugin

/// Stamps the version (from `VERSION`) and the commit the binaries are built
/// from into `QuicFlowBuildInfo`. A prebuild command, so it runs on every
/// build and a new commit is never reported as an old one; the script only
/// rewrites its output when the stamp changed, so an unchanged tree does not
/// recompile anything.
@main
struct BuildInfoPlugin: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: any Target) throws -> [Command] {
        let output = context.pluginWorkDirectoryURL.appending(path: "Generated")
        let script = context.package.directoryURL.appending(path: "scripts/build-info.sh")
        return [
            .prebuildCommand(
                displayName: "Stamping the version and commit into \(target.name)",
                executable: URL(fileURLWithPath: "/bin/sh"),
                arguments: [script.path, context.package.directoryURL.path, output.path],
                outputFilesDirectory: output
            )
        ]
    }
}
