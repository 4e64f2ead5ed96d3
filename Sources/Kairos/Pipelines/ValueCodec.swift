/// Converts the values that flow between pipeline stages to and from ``JSONValue``, for
/// checkpoints, without the stages knowing each other's types.
struct ValueCodec: Sendable {
    let encode: @Sendable (any Sendable) throws -> JSONValue
    let decode: @Sendable (JSONValue) throws -> any Sendable

    static func of<Value: Codable & Sendable>(_: Value.Type) -> ValueCodec {
        ValueCodec(
            encode: { value in
                guard let typed = value as? Value else { throw StageValueTypeError(expected: "\(Value.self)", found: "\(type(of: value))") }
                return try JSONValue(encoding: typed)
            },
            decode: { json in try json.decode(Value.self) }
        )
    }
}

/// A stage received a value of a type it was not built for; only a pipeline whose stages were
/// assembled by hand could cause it.
struct StageValueTypeError: Error, CustomStringConvertible {
    let expected: String
    let found: String
    var description: String { "pipeline stage expected a value of type \(expected), got \(found)" }
}

/// A stage's output as a run keeps it: the live value, or the JSON it was restored from.
enum StoredStageValue: Sendable {
    case live(any Sendable, ValueCodec)
    case json(JSONValue)

    func json() throws -> JSONValue {
        switch self {
        case .live(let value, let codec): try codec.encode(value)
        case .json(let json): json
        }
    }
}
