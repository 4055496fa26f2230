import Foundation
import Hummingbird
import LedgerFormats
import Logging
import Prometheus
import PublicLog
import Synchronization

/// Request counts and latencies per route, in a Prometheus registry the node may share with
/// its other parts, plus the log's gauges, read fresh at every scrape.
final class PublicMetrics: Sendable {
    let registry: PrometheusCollectorRegistry
    let clock: any LedgerClock

    private struct CounterKey: Hashable {
        let route: String
        let status: Int
    }

    /// Series already made: the registry's own lookup takes its lock and builds label arrays, so
    /// each series is made once and then found here.
    private let series: Mutex<(counters: [CounterKey: Counter], histograms: [String: DurationHistogram])> = Mutex(
        ([:], [:]))

    private static var requests: MetricNameDescriptor {
        MetricNameDescriptor(
            namespace: "tamga", subsystem: "public", metricName: "http_requests", unitName: "total",
            helpText: "Requests answered by the public API, by route pattern and status code.")
    }
    private static var duration: MetricNameDescriptor {
        MetricNameDescriptor(
            namespace: "tamga", subsystem: "public", metricName: "http_request_duration", unitName: "seconds",
            helpText: "Time to produce a public API response, by route pattern.")
    }
    private static let buckets: [Duration] = [
        .microseconds(50), .microseconds(100), .microseconds(250), .microseconds(500), .milliseconds(1),
        .microseconds(2500), .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50),
        .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(5),
    ]

    init(registry: PrometheusCollectorRegistry, clock: any LedgerClock) {
        self.registry = registry
        self.clock = clock
    }

    func record(route: String, status: HTTPResponse.Status, duration: Duration) {
        let key = CounterKey(route: route, status: status.code)
        let (counter, histogram) = series.withLock { series in
            let counter: Counter
            if let known = series.counters[key] {
                counter = known
            } else {
                counter = registry.makeCounter(
                    descriptor: Self.requests, labels: [("route", route), ("code", String(status.code))])
                series.counters[key] = counter
            }
            let histogram: DurationHistogram
            if let known = series.histograms[route] {
                histogram = known
            } else {
                histogram = registry.makeDurationHistogram(
                    descriptor: Self.duration, labels: [("route", route)], buckets: Self.buckets)
                series.histograms[route] = histogram
            }
            return (counter, histogram)
        }
        counter.increment()
        histogram.record(duration)
    }

    /// The Prometheus text exposition: the registry's metrics, then the log's.
    func exposition(data: PublicData, witnesses: [PublicAPI.WitnessStatus]) throws -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(16 * 1024)
        registry.emit(into: &out)
        let head = data.log.head
        func gauge(_ name: String, _ help: String, _ value: String, labels: String = "") {
            out.append(contentsOf: "# HELP \(name) \(help)\n# TYPE \(name) gauge\n\(name)\(labels) \(value)\n".utf8)
        }
        gauge("tamga_sequencing", "1 while the ledger sequences events, else 0.", data.log.isLive ? "1" : "0")
        gauge("tamga_tree_size", "Entries in the log at the latest signed checkpoint.", String(head.treeSize))
        // The checkpoint is signed in the batch that sets the last entry time, so that time is
        // the checkpoint's; none when nothing was ever appended (the empty tree's checkpoint).
        if let last = head.checkpointTime?.millisecondsSinceEpoch {
            gauge(
                "tamga_checkpoint_timestamp_seconds", "When the latest checkpoint was signed (Unix time).",
                seconds(last))
            gauge(
                "tamga_checkpoint_age_seconds", "Seconds since the latest checkpoint was signed.",
                seconds(max(0, clock.now() - last)))
        }
        gauge("tamga_blocks", "Daily blocks sealed.", String(head.blockCount))
        if data.witnessed {
            let cosigned = data.checkpoint()?.size ?? 0
            gauge("tamga_cosigned_tree_size", "Tree size of the served checkpoint the witnesses' quorum cosigned.", String(cosigned))
            gauge("tamga_cosigned_lag_entries", "Entries the served cosigned checkpoint lags the tree.", String(head.treeSize - min(cosigned, head.treeSize)))
            func perWitness(_ name: String, _ help: String, _ value: (PublicAPI.WitnessStatus) -> String?) {
                out.append(contentsOf: "# HELP \(name) \(help)\n# TYPE \(name) gauge\n".utf8)
                for witness in witnesses {
                    guard let text = value(witness) else { continue }
                    out.append(contentsOf: "\(name){witness=\"\(Self.label(witness.name))\"} \(text)\n".utf8)
                }
            }
            perWitness("tamga_witness_cosigned_size", "The tree size a witness last cosigned.") { $0.cosignedSize.map(String.init) }
            perWitness("tamga_witness_cosigned_timestamp_seconds", "When a witness last cosigned (its timestamp).") {
                $0.cosignedTime.map(String.init)
            }
            perWitness("tamga_witness_failures", "Failed submissions to a witness in a row.") { String($0.failures) }
            perWitness("tamga_witness_alarms", "Refusals of this log's history by a witness (409 with another root, 422).") {
                String($0.alarms)
            }
        }
        if head.blockCount > 0, let block = try data.block(head.blockCount - 1)?.block {
            gauge("tamga_last_block_height", "Height of the newest sealed block.", String(block.height))
            gauge(
                "tamga_last_block_end_timestamp_seconds", "End of the day the newest block closes (Unix time).",
                String(block.end))
            gauge(
                "tamga_last_block_info", "The date the newest block closes, as a label.", "1",
                labels: "{date=\"\(block.date)\"}")
        }
        return out
    }

    /// A label value with `\`, `"` and newlines escaped (the exposition format's rule).
    static func label(_ text: String) -> String {
        text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            .replacingOccurrences(of: "\n", with: "\\n")
    }

    private func seconds(_ milliseconds: Int64) -> String {
        let fraction = String(milliseconds % 1000)
        return "\(milliseconds / 1000).\(String(repeating: "0", count: 3 - fraction.count))\(fraction)"
    }
}

/// Wraps every public route (and the router's own "not found"): turns errors into one-line
/// text answers, keeps storage errors' details in the log, and records the request's metrics.
struct PublicMiddleware: RouterMiddleware {
    typealias Context = BasicRequestContext
    let metrics: PublicMetrics

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        let start = ContinuousClock.now
        var response: Response
        do {
            response = try await next(request, context)
        } catch let error as PublicAPIError {
            if error.code == .storage {
                context.logger.error("public API: \(request.method) \(request.uri.path): \(error.message)")
            }
            response = try error.response(from: request, context: context)
        } catch let error as any HTTPResponseError {
            if error.status == .notFound, context.endpointPath == nil || context.endpointPath == "NotFound" {
                response = try PublicAPIError(
                    .notFound, "no such route: \(Query.quoted(request.uri.path[...])); \(Self.routes)"
                )
                .response(from: request, context: context)
            } else {
                response = try error.response(from: request, context: context)
            }
        } catch {
            context.logger.error("public API: \(request.method) \(request.uri.path) failed: \(error)")
            response = try PublicAPIError(
                .storage,
                "internal error: the node could not read its ledger; its operator finds the cause in the node's log"
            ).response(from: request, context: context)
        }
        // Everything here is public and read-only: browsers on other origins (an auditor's page)
        // may read it.
        response.headers[.accessControlAllowOrigin] = "*"
        let route = context.endpointPath.flatMap { $0 == "NotFound" ? nil : $0 } ?? "unmatched"
        metrics.record(route: route, status: response.status, duration: ContinuousClock.now - start)
        return response
    }

    static let routes =
        "the public API has /checkpoint, /latest-checkpoint, /tile/<L>/<N>[.p/<W>], /genesis, /blocks, /blocks/<h>, /blocks/latest, "
        + "/proof/inclusion, /proof/consistency, /compromises, /health and /metrics"
}
