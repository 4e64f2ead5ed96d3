import Crypto
import Foundation

/// The bearer tokens the API accepts, each with its scope; kept as SHA-256 digests and compared
/// in constant time.
///
/// ```swift
/// var tokens = AccessTokens()
/// tokens.add("s3cret-rw", scope: .readWrite)
/// tokens.add("s3cret-ro", scope: .readOnly)
/// ```
///
/// With no token, the API lets every request through: `kairos-server` then refuses to listen
/// beyond loopback.
public struct AccessTokens: Sendable {
    /// What a token may do.
    public enum Scope: String, Sendable, Hashable {
        /// `GET` requests only.
        case readOnly = "ro"
        /// Every request.
        case readWrite = "rw"
    }

    private var entries: [(digest: [UInt8], scope: Scope)] = []

    /// No tokens: every request is let through.
    public init() {}

    /// `true` if no token is configured.
    public var isEmpty: Bool { entries.isEmpty }

    /// Adds a token. Empty tokens are refused by the callers that read them.
    public mutating func add(_ token: String, scope: Scope) {
        entries.append((Array(SHA256.hash(data: Data(token.utf8))), scope))
    }

    /// Reads a token file: one token a line, `ro:` or `rw:` before it for its scope (read-write
    /// when none); blank lines and lines starting with `#` are skipped.
    ///
    /// - Throws: ``TokenFileError`` naming the line that is not a token.
    public mutating func add(fileContents: String, file: String) throws(TokenFileError) {
        for (index, rawLine) in fileContents.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = rawLine.trimmingCharacters(in: .whitespacesAndNewlines)
            if line.isEmpty || line.hasPrefix("#") { continue }
            var scope = Scope.readWrite
            var token = Substring(line)
            if line.hasPrefix("ro:") || line.hasPrefix("rw:") {
                scope = line.hasPrefix("ro:") ? .readOnly : .readWrite
                token = token.dropFirst(3)
            }
            guard !token.isEmpty, !token.contains(where: \.isWhitespace) else {
                throw TokenFileError(file: file, line: index + 1, reason: "a token is one word of at least one character, after an optional ro: or rw:")
            }
            add(String(token), scope: scope)
        }
    }

    /// The scope of `token`, or `nil` if it is not one of the tokens. Every digest is compared,
    /// byte by byte without an early exit, whatever matches.
    package func scope(of token: Substring) -> Scope? {
        let digest = Array(SHA256.hash(data: Data(token.utf8)))
        var found: Scope?
        for entry in entries {
            var difference: UInt8 = 0
            for index in 0..<digest.count { difference |= digest[index] ^ entry.digest[index] }
            if difference == 0 { found = found == .readWrite ? .readWrite : entry.scope }
        }
        return found
    }
}

/// A token file line that is not a token.
public struct TokenFileError: Error, Sendable, CustomStringConvertible {
    /// The file's path.
    public var file: String
    /// The 1-based line number.
    public var line: Int
    /// What is wrong with it.
    public var reason: String

    public var description: String { "\(file):\(line): \(reason)" }
}
