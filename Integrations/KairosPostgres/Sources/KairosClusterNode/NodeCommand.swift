import Foundation
import Kairos

/// What one invocation of `kairos-cluster-node` does, parsed from its arguments by hand (the
/// package depends on postgres-nio only).
///
/// Two vocabularies share one parser: the node options of the fault tests and the README
/// (`--url URL --node NAME [--max-runs N] …`) and the command protocol of the peer benchmarks in
/// `peer-benchmarks/cluster/README.md` ("Adding a system": `setup …`, `node NAME`, `submit …`).
struct NodeCommand: Equatable {
    /// The action.
    enum Action: Equatable {
        /// Join the cluster as a node and run jobs until SIGTERM or SIGINT.
        case node(name: String)
        /// `setup throughput N`: store N one-shot ledger jobs `j0…` due now.
        case setupThroughput(jobs: Int)
        /// `setup recurring J S T0_MS`: J ledger jobs firing every second at `T0_MS + k·1000` ms,
        /// k < S; `slowJ0Milliseconds` (env `SLOW_J0_MS`) makes `j0`'s body sleep after its insert.
        case setupRecurring(jobs: Int, fires: Int, firstFireMilliseconds: Int64, slowJ0Milliseconds: Int?)
        /// `setup propagation`: nothing to store.
        case setupPropagation
        /// `submit NAME propagation T`: T times, schedule a one-shot `p<i>` due now and wait for its
        /// ledger row, without running jobs.
        case submitPropagation(name: String, trials: Int)
    }

    var action: Action
    /// `--url`; else `KAIROS_POSTGRES_URL`; else built from the libpq variables `PGHOST PGPORT
    /// PGUSER PGPASSWORD PGDATABASE`.
    var url: String
    /// `--max-runs`: the node's concurrent runs.
    var maxRuns: Int?
    /// `--clock-offset`: seconds added to this node's clock (fault tests: a skewed node).
    var clockOffset: Double?
    /// `--lease`: the lease of a claimed run, in seconds.
    var lease: Double?
    /// `--poll`: the fallback poll interval, in seconds.
    var poll: Double?
    /// `--schema`: the PostgreSQL schema of the scheduler's tables.
    var schema: String?
    /// `--overlap skip|buffer|all`: the overlap policy of the jobs a `setup` stores (default: the
    /// library's, `skip`). `all` lets every slot run even when the cluster falls behind, which
    /// the fault tests use to count every slot.
    var overlap: OverlapPolicy?
    /// `--misfire latest|all|skip`: the misfire policy of the jobs a `setup` stores (default: the
    /// library's, `latest`). A slot materialised more than the misfire threshold (1 s) late is a
    /// misfire, which on a loaded machine happens without any node being down; `all` runs every
    /// such slot.
    var misfire: MisfirePolicy?
    /// `--job-sleep MS`: every job a `setup recurring` stores sleeps this long after its ledger
    /// insert (`SLOW_J0_MS` still sets `j0`'s): runs that overlap, so that one node cannot take
    /// every slot of a second (the fault tests that need every node to run some).
    var jobSleepMilliseconds: Int?

    /// A command-line mistake: what was wrong, for the usage message.
    struct UsageError: Error, Equatable, CustomStringConvertible {
        var description: String
    }

    static let usage = """
        usage: kairos-cluster-node [OPTIONS] node NAME         (or: --node NAME)
               kairos-cluster-node [OPTIONS] setup throughput N
               kairos-cluster-node [OPTIONS] setup recurring J S T0_MS [recovery]
               kairos-cluster-node [OPTIONS] setup propagation
               kairos-cluster-node [OPTIONS] submit NAME propagation T
        options:
          --url URL            postgres://user[:password]@host[:port]/database
                               (default: $KAIROS_POSTGRES_URL, else PGHOST PGPORT PGUSER PGPASSWORD PGDATABASE)
          --max-runs N         concurrent runs on this node
          --clock-offset S     seconds added to this node's clock (may be negative)
          --lease S            lease of a claimed run, seconds
          --poll S             fallback poll interval when LISTEN is down, seconds
          --schema NAME        PostgreSQL schema of the scheduler (default kairos)
          --overlap POLICY     setup: the jobs' overlap policy, skip (default), buffer (up to 1000
                               queued) or all (up to 64 runs of a job at once)
          --misfire POLICY     setup: the jobs' misfire policy, latest (default), all or skip
          --job-sleep MS       setup recurring: every job's body sleeps MS after its ledger insert
        A node writes one `ledger` row as the first action of every run and a `node_start` row in
        `marks` when it starts; it exits cleanly on SIGTERM or SIGINT.
        """

    /// Parses `arguments` (without the program name); `environment` supplies the defaults.
    static func parse(_ arguments: [String], environment: [String: String]) throws(UsageError) -> NodeCommand {
        var words: [String] = []
        var options: [String: String] = [:]
        var index = 0
        while index < arguments.count {
            let argument = arguments[index]
            if argument.hasPrefix("--") {
                let name = String(argument.dropFirst(2))
                guard ["url", "node", "max-runs", "clock-offset", "lease", "poll", "schema", "overlap", "misfire", "job-sleep"].contains(name) else {
                    throw UsageError(description: "unknown option \(argument)")
                }
                guard index + 1 < arguments.count else { throw UsageError(description: "\(argument) needs a value") }
                options[name] = arguments[index + 1]
                index += 2
            } else {
                words.append(argument)
                index += 1
            }
        }
        let action = try parseAction(words, node: options["node"], environment: environment)
        let url: String
        if let given = options["url"] { url = given } else { url = try defaultURL(environment) }
        return NodeCommand(
            action: action,
            url: url,
            maxRuns: try options["max-runs"].map { v throws(UsageError) in try positiveInteger(v, "--max-runs") },
            clockOffset: try options["clock-offset"].map { v throws(UsageError) in try number(v, "--clock-offset") },
            lease: try options["lease"].map { v throws(UsageError) in try positiveNumber(v, "--lease") },
            poll: try options["poll"].map { v throws(UsageError) in try positiveNumber(v, "--poll") },
            schema: options["schema"],
            overlap: try options["overlap"].map { v throws(UsageError) in try overlapPolicy(v) },
            misfire: try options["misfire"].map { v throws(UsageError) in try misfirePolicy(v) },
            jobSleepMilliseconds: try options["job-sleep"].map { v throws(UsageError) in try positiveInteger(v, "--job-sleep") })
    }

    private static func parseAction(
        _ words: [String], node: String?, environment: [String: String]
    ) throws(UsageError) -> Action {
        switch words.first {
        case nil:
            guard let node else { throw UsageError(description: "no command: give `node NAME` or --node NAME") }
            return .node(name: node)
        case "node":
            guard words.count == 2 else { throw UsageError(description: "`node` takes one argument, the node's name") }
            return .node(name: words[1])
        case "setup":
            let rest = Array(words.dropFirst())
            switch (rest.first, rest.count) {
            case ("throughput", 2):
                return .setupThroughput(jobs: try positiveInteger(rest[1], "setup throughput N"))
            case ("recurring", 4), ("recurring", 5):
                // A fifth word may only be `recovery` (Quartz's requestsRecovery; ignored here).
                guard rest.count == 4 || rest[4] == "recovery" else {
                    throw UsageError(description: "unknown setup: \(words.joined(separator: " "))")
                }
                guard let first = Int64(rest[3]) else {
                    throw UsageError(description: "setup recurring: T0_MS must be epoch milliseconds (got \(rest[3]))")
                }
                let slow = try environment["SLOW_J0_MS"].flatMap { $0.isEmpty ? nil : $0 }.map {
                    v throws(UsageError) in try positiveInteger(v, "SLOW_J0_MS")
                }
                return .setupRecurring(
                    jobs: try positiveInteger(rest[1], "setup recurring J"),
                    fires: try positiveInteger(rest[2], "setup recurring S"),
                    firstFireMilliseconds: first, slowJ0Milliseconds: slow)
            case ("propagation", 1):
                return .setupPropagation
            default:
                throw UsageError(description: "unknown setup: \(words.joined(separator: " "))")
            }
        case "submit":
            guard words.count == 4, words[2] == "propagation" else {
                throw UsageError(description: "unknown submit: \(words.joined(separator: " "))")
            }
            return .submitPropagation(name: words[1], trials: try positiveInteger(words[3], "submit … propagation T"))
        case let word?:
            throw UsageError(description: "unknown command \(word)")
        }
    }

    private static func defaultURL(_ environment: [String: String]) throws(UsageError) -> String {
        if let url = environment["KAIROS_POSTGRES_URL"], !url.isEmpty { return url }
        guard let host = environment["PGHOST"], !host.isEmpty else {
            throw UsageError(description: "no database: give --url, or set KAIROS_POSTGRES_URL or PGHOST")
        }
        let user = environment["PGUSER"] ?? "postgres"
        let password = environment["PGPASSWORD"].map { ":" + percentEncoded($0) } ?? ""
        let port = environment["PGPORT"] ?? "5432"
        let database = environment["PGDATABASE"] ?? user
        return "postgres://\(percentEncoded(user))\(password)@\(host):\(port)/\(percentEncoded(database))"
    }

    private static func percentEncoded(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-._~")))
            ?? text
    }

    private static func overlapPolicy(_ text: String) throws(UsageError) -> OverlapPolicy {
        switch text {
        case "skip": .skip
        case "buffer": .bufferAll(limit: 1000)
        case "all": .allowAll(limit: 64)
        default: throw UsageError(description: "--overlap must be skip, buffer or all (got \(text))")
        }
    }

    private static func misfirePolicy(_ text: String) throws(UsageError) -> MisfirePolicy {
        switch text {
        case "latest": .runLatest
        case "all": .runAll
        case "skip": .skip
        default: throw UsageError(description: "--misfire must be latest, all or skip (got \(text))")
        }
    }

    private static func number(_ text: String, _ what: String) throws(UsageError) -> Double {
        guard let value = Double(text), value.isFinite else {
            throw UsageError(description: "\(what) must be a number (got \(text))")
        }
        return value
    }

    private static func positiveNumber(_ text: String, _ what: String) throws(UsageError) -> Double {
        let value = try number(text, what)
        guard value > 0 else { throw UsageError(description: "\(what) must be positive (got \(text))") }
        return value
    }

    private static func positiveInteger(_ text: String, _ what: String) throws(UsageError) -> Int {
        guard let value = Int(text), value > 0 else {
            throw UsageError(description: "\(what) must be a positive integer (got \(text))")
        }
        return value
    }
}
