import Testing

@testable import Kairos

@Suite(.timeLimit(.minutes(1))) struct DependencyErrorTextTests {
    @Test func hasDependentsAgreesInNumberWithItsDependents() {
        #expect(
            DependencyError.hasDependents(job: "x", dependents: ["y"]).description
                == "job \"x\" cannot be removed: \"y\" depends on it")
        #expect(
            DependencyError.hasDependents(job: "x", dependents: ["y", "z"]).description
                == "job \"x\" cannot be removed: \"y\", \"z\" depend on it")
    }
}
