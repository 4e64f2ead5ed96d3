import Foundation

/// The OpenAPI 3.1 document of the API, hand-written in `Resources/openapi.json` and served at
/// `/openapi.json`; a test checks that it names every route.
enum OpenAPIDocument {
    static let data: Data = {
        guard let url = Bundle.module.url(forResource: "openapi", withExtension: "json"),
            let data = try? Data(contentsOf: url)
        else { return Data(#"{"openapi":"3.1.0","info":{"title":"Kairos","version":"1"},"paths":{}}"#.utf8) }
        return data
    }()
}
