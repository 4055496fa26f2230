import ArgumentParser
import Foundation

/// `tamga-bench`: throughput and latency of the journal (issue 2), the transparency log (issue 3)
/// and the embedded HSM (issue 5), each figure printed beside the raw limit measured in the same
/// run, so a reader sees how far the code is from what the machine allows, not just a number.
///
/// Build and run in release mode: `swift run -c release tamga-bench <journal|latency|merkle|signcore|backup>`.
@main
struct TamgaBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tamga-bench",
        abstract: "Benchmarks of the Tamga journal, transparency log and embedded HSM.",
        discussion: "Every table gives the figure, the raw limit measured in the same run, and their ratio.",
        subcommands: [
            JournalBenchmark.self, LatencyBenchmark.self, MerkleBenchmark.self, SignCoreBenchmark.self, BackupBenchmark.self,
            WitnessBenchmark.self, MakeChain.self,
        ])
}

/// Options every benchmark shares.
struct CommonOptions: ParsableArguments {
    @Option(help: "Folder for the temporary data folders; its file system is what is measured.")
    var dir: String = FileManager.default.temporaryDirectory.path

    func validate() throws {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: dir, isDirectory: &isFolder), isFolder.boolValue else {
            throw ValidationError("--dir \(dir) is not an existing folder")
        }
    }
}
