import Foundation
import Kairos

/// Reads one JSON object of a request field by field, naming each field by its path, and refuses
/// the fields it was not asked for (a misspelt option is an error, not a silent default).
struct JSONFields {
    /// The path of this object in the request (`""` for the body, `trigger`, `options.misfire`).
    let path: String
    private let members: [String: JSONValue]
    private var read: Set<String> = []

    init(_ value: JSONValue, path: String) throws(Problem) {
        guard case .object(let members) = value else {
            throw .invalid(path.isEmpty ? "body" : path, "must be a JSON object (got \(JSONFields.kind(of: value)))")
        }
        self.path = path
        self.members = members
    }

    /// The path of a member of this object.
    func name(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    var keys: Dictionary<String, JSONValue>.Keys { members.keys }

    /// The member's value, `nil` if absent; an explicit `null` is refused (leave the member out).
    mutating func value(_ key: String) throws(Problem) -> JSONValue? {
        read.insert(key)
        guard let value = members[key] else { return nil }
        if value == .null { throw .invalid(name(key), "must not be null; leave it out instead") }
        return value
    }

    /// A member that holds any JSON, `null` included; `nil` if absent.
    mutating func anyValue(_ key: String) -> JSONValue? {
        read.insert(key)
        return members[key]
    }

    mutating func string(_ key: String) throws(Problem) -> String? {
        guard let value = try value(key) else { return nil }
        guard case .string(let text) = value else { throw .invalid(name(key), "must be a string (got \(JSONFields.kind(of: value)))") }
        return text
    }

    mutating func requiredString(_ key: String) throws(Problem) -> String {
        guard let text = try string(key) else { throw .invalid(name(key), "is required") }
        return text
    }

    mutating func bool(_ key: String) throws(Problem) -> Bool? {
        guard let value = try value(key) else { return nil }
        guard case .bool(let flag) = value else { throw .invalid(name(key), "must be true or false (got \(JSONFields.kind(of: value)))") }
        return flag
    }

    /// An integer in `range`.
    mutating func integer(_ key: String, in range: ClosedRange<Int>) throws(Problem) -> Int? {
        guard let value = try value(key) else { return nil }
        let number: Int
        switch value {
        case .integer(let integer): number = integer
        case .number(let double) where double.rounded() == double && abs(double) < 1e15: number = Int(double)
        default: throw .invalid(name(key), "must be a whole number (got \(JSONFields.kind(of: value)))")
        }
        guard range.contains(number) else {
            throw .invalid(name(key), "must be from \(range.lowerBound) to \(range.upperBound) (got \(number))")
        }
        return number
    }

    /// A duration: `"20m"`-style text or a number of seconds; never negative.
    mutating func duration(_ key: String) throws(Problem) -> Duration? {
        guard let value = try value(key) else { return nil }
        return try DurationText.parse(value, field: name(key))
    }

    /// An object member, read by its own `JSONFields`.
    mutating func object(_ key: String) throws(Problem) -> JSONFields? {
        guard let value = try value(key) else { return nil }
        return try JSONFields(value, path: name(key))
    }

    /// An object of string values (headers, environment).
    mutating func stringMap(_ key: String) throws(Problem) -> [String: String] {
        guard var fields = try object(key) else { return [:] }
        var map: [String: String] = [:]
        for member in fields.keys.sorted() { map[member] = try fields.requiredString(member) }
        return map
    }

    /// Refuses the members nobody read.
    func finish() throws(Problem) {
        if let unknown = members.keys.filter({ !read.contains($0) }).sorted().first {
            throw .invalid(name(unknown), "is not a known field")
        }
    }

    static func kind(of value: JSONValue) -> String {
        switch value {
        case .null: "null"
        case .bool: "a boolean"
        case .number, .integer: "a number"
        case .string: "a string"
        case .array: "an array"
        case .object: "an object"
        }
    }
}
