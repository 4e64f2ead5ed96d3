import Foundation
import KairosHTTP

/// The nodes of a cluster store and the runs each holds, when the backend can tell
/// (``ClusterNodeReporting``); otherwise a line saying the state-file store has none.
struct NodesPage {
    var layout: PageLayout
    /// `nil` when the backend is not a cluster store.
    var nodes: [ClusterNode]?
    var names: [String: String]
    var now: Date

    var html: HTML {
        let content: HTML
        if let nodes {
            content =
                nodes.isEmpty
                ? "<p class=\"empty\">The store knows no node.</p>"
                : HTML(joining: nodes.map(section))
        } else {
            content = """
                <p class="empty">Nodes are not available with the state-file store: this server is the only one. \
                They are shown when the server runs over a cluster store.</p>
                """
        }
        return layout.page(title: "Nodes", current: .nodes, events: layout.base + "/events", "<section id=\"nodes\" data-live aria-label=\"Nodes\">\(content)</section>")
    }

    private func section(_ node: ClusterNode) -> HTML {
        let state: HTML = node.isAlive ? "<span class=\"badge status-running\">alive</span>" : "<span class=\"badge status-failed\">gone</span>"
        let runs: HTML =
            node.runs.isEmpty
            ? "<p class=\"muted\">No run held.</p>"
            : "<ul>\(node.runs.map { run -> HTML in "<li><a href=\"\(layout.schedulePath(run.schedule))\">\(names[run.schedule] ?? run.schedule)</a>, due \(DisplayText.time(run.dueDate, now: now))</li>" })</ul>"
        return """
            <article class="node"><h2>\(node.id)</h2>
            <p>\(state) last seen \(DisplayText.time(node.lastSeen, now: now))</p>\(runs)</article>
            """
    }
}
