import Foundation

/// How the HTTP API behaves: who may call it, what it accepts, what it keeps.
public struct KairosAPIConfiguration: Sendable {
    /// The bearer tokens of `/v1`; none lets every request through (then listen on loopback only).
    public var tokens: AccessTokens
    /// The largest request body read, in bytes; a larger one is refused with 413. Default 1 MiB.
    public var maximumBodyBytes: Int
    /// The hosts webhook actions may call (lowercase names or addresses); `nil` allows any.
    /// The server makes these requests on its callers' behalf: on a network with internal
    /// services, set it.
    public var allowedWebhookHosts: Set<String>?
    /// Whether schedules may run shell commands (as the server's user). Default `true`.
    public var allowsShellActions: Bool
    /// Whether schedules may call webhooks. Default `true`.
    public var allowsWebhookActions: Bool
    /// The most finished runs kept per schedule. Default 100.
    public var historyLimit: Int
    /// The bytes of output (or webhook answer) kept per run. Default 4 KiB.
    public var outputTailBytes: Int
    /// Where run history, pause notes and idempotency digests are written so that they survive
    /// a restart; `nil` keeps them in memory only.
    public var recordsFile: String?

    /// Creates a configuration; see each property.
    public init(
        tokens: AccessTokens = AccessTokens(), maximumBodyBytes: Int = 1 << 20, allowedWebhookHosts: Set<String>? = nil,
        allowsShellActions: Bool = true, allowsWebhookActions: Bool = true, historyLimit: Int = 100,
        outputTailBytes: Int = 4096, recordsFile: String? = nil
    ) {
        self.tokens = tokens
        self.maximumBodyBytes = maximumBodyBytes
        self.allowedWebhookHosts = allowedWebhookHosts.map { Set($0.map { $0.lowercased() }) }
        self.allowsShellActions = allowsShellActions
        self.allowsWebhookActions = allowsWebhookActions
        self.historyLimit = historyLimit
        self.outputTailBytes = outputTailBytes
        self.recordsFile = recordsFile
    }
}
