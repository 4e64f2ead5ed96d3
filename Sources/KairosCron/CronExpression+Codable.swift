/// `Codable` as a single string: the normalized text.
extension CronExpression: Codable {
    /// Decodes an expression from its text.
    ///
    /// - Throws: `DecodingError.dataCorrupted` carrying the `CronParseError` message when the
    ///   text is not a valid expression.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        do {
            self = try CronExpression(text)
        } catch {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: error.description)
        }
    }

    /// Encodes the expression as its normalized text (`description`).
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}
