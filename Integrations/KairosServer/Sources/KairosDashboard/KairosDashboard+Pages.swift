import Foundation
import HTTPTypes
import Hummingbird
import KairosHTTP

/// The pages a signed-in session reads.
extension KairosDashboard {
    /// Renders a page for a signed-in session, or sends the browser to sign in; a failure of the
    /// backend becomes a page saying what failed, with the status the API would answer.
    func page(_ request: Request, _ render: (PageLayout) async throws -> HTML) async throws -> Response {
        guard let signedIn = session(of: request) else { return Self.redirect(to: configuration.path + "/sign-in") }
        let layout = PageLayout(base: configuration.path, session: signedIn.session)
        do {
            return Self.html(.ok, try await render(layout))
        } catch {
            let failure = KairosAPI.failure(error)
            let title = failure.status == .notFound ? "Not found" : "Failed"
            return Self.html(failure.status, MessagePage(layout: layout, title: title, message: failure.detail).html)
        }
    }

    func schedules(_ request: Request, _ layout: PageLayout) async throws -> HTML {
        let query = request.uri.queryParameters
        let status = query["status"].map(String.init).flatMap { $0.isEmpty ? nil : $0 }
        let order = query["sort"].flatMap { SchedulesPage.Order(rawValue: String($0)) } ?? .name
        let done = query["done"].flatMap { DashboardAction(rawValue: String($0)) }
        return SchedulesPage(
            layout: layout, schedules: try await api.scheduleOverviews(), now: api.backend.now, nameFilter: query["q"].map(String.init) ?? "",
            statusFilter: status, order: order, notice: done?.doneNotice
        ).html
    }

    func schedule(_ request: Request, id: String, _ layout: PageLayout) async throws -> HTML {
        let schedule = try await api.scheduleOverview(id, nextCount: 10)
        let done = request.uri.queryParameters["done"].flatMap { DashboardAction(rawValue: String($0)) }
        return SchedulePage(
            layout: layout, schedule: schedule, history: api.runs(of: id), active: api.runsInProgress(of: id), now: api.backend.now,
            notice: done?.doneNotice
        ).html
    }

    func runs(_ layout: PageLayout) async throws -> HTML {
        RunsPage(layout: layout, runs: api.runsInProgress(), names: try await scheduleNames(), now: api.backend.now).html
    }

    func activity(_ layout: PageLayout) async throws -> HTML {
        let names = try await scheduleNames()
        let runs = names.keys.flatMap { api.runs(of: $0) } + api.runsInProgress()
        return ActivityPage(layout: layout, runs: runs, now: api.backend.now).html
    }

    func nodes(_ layout: PageLayout) async throws -> HTML {
        let nodes = try await (api.backend as? any ClusterNodeReporting)?.clusterNodes()
        return NodesPage(layout: layout, nodes: nodes, names: try await scheduleNames(), now: api.backend.now).html
    }

    private func scheduleNames() async throws -> [String: String] {
        Dictionary(try await api.scheduleOverviews().map { ($0.id, $0.declaration.name) }, uniquingKeysWith: { first, _ in first })
    }
}
