import Foundation
import HTTPTypes
import Kairos
import Testing

@testable import KairosDashboard
@testable import KairosHTTP

@Suite(.timeLimit(.minutes(1)))
struct DashboardTests {
    // MARK: Sign-in and the session

    @Test func signingInSetsAnHttpOnlyStrictSessionCookieThatIsNotTheToken() async throws {
        try await TestServer().runWithDashboard { client in
            var browser = DashboardBrowser(client)
            let answer = try await browser.signIn(TestServer.writeToken)
            #expect(answer.status == .seeOther)
            #expect(answer.location == "/ui/schedules")
            let cookie = try #require(answer.setCookies.first { $0.hasPrefix("kairos_session=") })
            #expect(cookie.contains("; HttpOnly"))
            #expect(cookie.contains("; SameSite=Strict"))
            #expect(cookie.contains("; Path=/ui"))
            #expect(!cookie.contains("Secure"))
            let id = try #require(browser.cookies["kairos_session"])
            #expect(id.count == 64 && id.allSatisfy(\.isHexDigit))
            #expect(!cookie.contains(TestServer.writeToken))
            let page = try await browser.get("/ui/schedules")
            #expect(page.status == .ok)
            #expect(page.text.contains("<h1>Schedules</h1>"))
            #expect(page.headers[.contentType] == "text/html; charset=utf-8")
            #expect(page.headers[.contentSecurityPolicy]?.contains("script-src 'self'") == true)
        }
    }

    @Test func behindAnHttpsOriginTheCookieIsSecure() async throws {
        try await TestServer().runWithDashboard(DashboardConfiguration(publicOrigin: "https://kairos.example.com")) { client in
            var browser = DashboardBrowser(client)
            let answer = try await browser.signIn(TestServer.readToken)
            #expect(answer.setCookies.first { $0.hasPrefix("kairos_session=") }?.hasSuffix("; Secure") == true)
        }
    }

    @Test func aBadTokenIsRefusedAndStartsNoSession() async throws {
        try await TestServer().runWithDashboard { client in
            var browser = DashboardBrowser(client)
            let answer = try await browser.signIn("rw-tokem")
            #expect(answer.status == .unauthorized)
            #expect(answer.text.contains("That token is not one of the server&#39;s tokens."))
            #expect(browser.cookies["kairos_session"] == nil)
            let empty = try await browser.signIn("")
            #expect(empty.status == .unauthorized)
            #expect(try await browser.get("/ui/schedules").location == "/ui/sign-in")
        }
    }

    @Test func signingInNeedsTheSignInFormsOwnToken() async throws {
        try await TestServer().runWithDashboard { client in
            var browser = DashboardBrowser(client)
            _ = try await browser.get("/ui/sign-in")
            let forged = try await browser.post("/ui/sign-in", [("signin", "0123"), ("token", TestServer.writeToken)])
            #expect(forged.status == .forbidden)
            #expect(browser.cookies["kairos_session"] == nil)
        }
    }

    @Test func pagesSendASignedOutBrowserToSignInAndTheEventStreamRefusesIt() async throws {
        try await TestServer().runWithDashboard { client in
            var browser = DashboardBrowser(client)
            for path in ["/ui", "/ui/schedules", "/ui/runs", "/ui/activity", "/ui/nodes", "/ui/schedules/x"] {
                let page = try await browser.get(path)
                #expect(page.status == .seeOther, "\(path)")
                #expect(page.location?.hasPrefix("/ui/") == true, "\(path)")
            }
            #expect(try await browser.get("/ui/events").status == .unauthorized)
            browser.cookies["kairos_session"] = String(repeating: "ab", count: 32)
            #expect(try await browser.get("/ui/schedules").location == "/ui/sign-in")
        }
    }

    @Test func signingOutEndsTheSession() async throws {
        try await TestServer().runWithDashboard { client in
            var browser = DashboardBrowser(client)
            try await browser.signIn(TestServer.writeToken)
            let id = try #require(browser.cookies["kairos_session"])
            let token = try await browser.formToken()
            let out = try await browser.post("/ui/sign-out", [("csrf", token)])
            #expect(out.status == .seeOther)
            #expect(out.setCookies.contains { $0.hasPrefix("kairos_session=;") && $0.contains("Max-Age=0") })
            browser.cookies["kairos_session"] = id
            #expect(try await browser.get("/ui/schedules").location == "/ui/sign-in")
        }
    }

    @Test func anExpiredSessionSignsOut() async throws {
        try await TestServer().runWithDashboard(DashboardConfiguration(sessionLifetime: .zero)) { client in
            var browser = DashboardBrowser(client)
            let signedIn = try await browser.signIn(TestServer.writeToken)
            #expect(signedIn.status == .seeOther)
            let page = try await browser.get("/ui/schedules")
            #expect(page.location == "/ui/sign-in")
        }
    }

    // MARK: Actions, CSRF and read-only sessions

    @Test func anActionAsksForConfirmationThenActsThroughTheAPI() async throws {
        try await TestServer().runWithDashboard { client in
            let id = try await client.create(cronSchedule)
            var browser = DashboardBrowser(client)
            try await browser.signIn(TestServer.writeToken)
            let token = try await browser.formToken()
            let confirm = try await browser.post("/ui/schedules/\(id)/pause", [("csrf", token), ("note", "disk <full>")])
            #expect(confirm.status == .ok)
            #expect(confirm.text.contains("Pause “nightly” with the note “disk &lt;full&gt;”?"))
            #expect(try await client.send(.get, "/v1/schedules/\(id)")["status"]?.stringValue == "pending")
            let done = try await browser.post(
                "/ui/schedules/\(id)/pause", [("csrf", confirm.hiddenField("csrf") ?? ""), ("note", confirm.hiddenField("note") ?? ""), ("confirm", "yes")])
            #expect(done.status == .seeOther)
            #expect(done.location == "/ui/schedules/\(id)?done=pause")
            let paused = try await client.send(.get, "/v1/schedules/\(id)")
            #expect(paused["status"]?.stringValue == "paused")
            #expect(paused["pauseNote"]?.stringValue == "disk <full>")
            let page = try await browser.get(done.location ?? "")
            #expect(page.text.contains("Paused."))
            #expect(page.text.contains("<dd class=\"pause-note\">disk &lt;full&gt;</dd>"))

            let resumed = try await browser.post("/ui/schedules/\(id)/resume", [("csrf", token), ("mode", "from-now"), ("confirm", "yes")])
            #expect(resumed.status == .seeOther)
            #expect(try await client.send(.get, "/v1/schedules/\(id)")["status"]?.stringValue == "pending")

            let deleted = try await browser.post("/ui/schedules/\(id)/delete", [("csrf", token), ("confirm", "yes")])
            #expect(deleted.location == "/ui/schedules?done=delete")
            #expect(try await client.send(.get, "/v1/schedules/\(id)").status == .notFound)
        }
    }

    @Test func aPostWithoutOrWithAWrongFormTokenOrFromAnotherSiteIsRefused() async throws {
        try await TestServer().runWithDashboard { client in
            let id = try await client.create(cronSchedule)
            var browser = DashboardBrowser(client)
            try await browser.signIn(TestServer.writeToken)
            let token = try await browser.formToken()
            #expect(!token.isEmpty)
            let missing = try await browser.post("/ui/schedules/\(id)/pause", [("confirm", "yes")])
            #expect(missing.status == .forbidden)
            #expect(missing.text.contains("security token is missing or wrong"))
            let wrong = try await browser.post("/ui/schedules/\(id)/pause", [("csrf", String(token.reversed())), ("confirm", "yes")])
            #expect(wrong.status == .forbidden)
            let foreign = try await browser.post(
                "/ui/schedules/\(id)/pause", [("csrf", token), ("confirm", "yes")], headers: [.origin: "https://evil.example"])
            #expect(foreign.status == .forbidden)
            let crossSite = try await browser.post(
                "/ui/schedules/\(id)/pause", [("csrf", token), ("confirm", "yes")], headers: [.secFetchSite: "cross-site"])
            #expect(crossSite.status == .forbidden)
            var other = DashboardBrowser(client)
            try await other.signIn(TestServer.writeToken)
            let otherSessionsToken = try await browser.post(
                "/ui/schedules/\(id)/pause", [("csrf", try await other.formToken()), ("confirm", "yes")])
            #expect(otherSessionsToken.status == .forbidden)
            #expect(try await client.send(.get, "/v1/schedules/\(id)")["status"]?.stringValue == "pending")
            let signOut = try await browser.post("/ui/sign-out", [("csrf", "nope")])
            #expect(signOut.status == .forbidden)
            #expect(try await browser.get("/ui/schedules").status == .ok)
        }
    }

    @Test func aReadOnlySessionSeesNoActionsAndIsRefusedThem() async throws {
        try await TestServer().runWithDashboard { client in
            let id = try await client.create(cronSchedule)
            var browser = DashboardBrowser(client)
            try await browser.signIn(TestServer.readToken)
            let page = try await browser.get("/ui/schedules/\(id)")
            #expect(page.status == .ok)
            #expect(page.text.contains("Read-only"))
            #expect(!page.text.contains("/pause\""))
            #expect(!page.text.contains("Delete…"))
            let token = try #require(page.hiddenField("csrf"))
            for action in ["pause", "resume", "trigger", "delete"] {
                let refused = try await browser.post("/ui/schedules/\(id)/\(action)", [("csrf", token), ("confirm", "yes")])
                #expect(refused.status == .forbidden, "\(action)")
            }
            #expect(try await client.send(.get, "/v1/schedules/\(id)")["status"]?.stringValue == "pending")
            #expect(try await browser.post("/ui/sign-out", [("csrf", token)]).status == .seeOther)
        }
    }

    @Test func anActionOnAnUnknownScheduleSaysSo() async throws {
        try await TestServer().runWithDashboard { client in
            var browser = DashboardBrowser(client)
            try await browser.signIn(TestServer.writeToken)
            let token = try await browser.formToken()
            let answer = try await browser.post("/ui/schedules/nope/trigger", [("csrf", token), ("confirm", "yes")])
            #expect(answer.status == .notFound)
            #expect(answer.text.contains("no schedule with ID &quot;nope&quot;"))
            #expect(try await browser.get("/ui/schedules/nope").status == .notFound)
        }
    }

    // MARK: What the pages show

    @Test func aScheduleNameIsEscapedEverywhere() async throws {
        try await TestServer().runWithDashboard { client in
            let name = "<script>alert(\\\"x\\\")</script>&"
            let id = try await client.create(cronSchedule.replacingOccurrences(of: "\"nightly\"", with: "\"\(name)\""))
            var browser = DashboardBrowser(client)
            try await browser.signIn(TestServer.writeToken)
            let list = try await browser.get("/ui/schedules")
            let page = try await browser.get("/ui/schedules/\(id)")
            let confirm = try await browser.post("/ui/schedules/\(id)/delete", [("csrf", list.hiddenField("csrf") ?? "")])
            for text in [list.text, page.text, confirm.text] {
                #expect(!text.contains("<script>alert"))
                #expect(text.contains("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;"))
            }
        }
    }

    @Test func theSchedulesPageShowsTheTriggerInWordsFiltersAndSorts() async throws {
        try await TestServer().runWithDashboard { client in
            let nightly = try await client.create(cronSchedule)
            let other = try await client.create(shellSchedule("true", name: "zulu"))
            var browser = DashboardBrowser(client)
            try await browser.signIn(TestServer.writeToken)
            let all = try await browser.get("/ui/schedules")
            #expect(all.text.contains(HTML.escape(try CronExpression("0 3 * * *").explanation)))
            #expect(all.text.contains("Europe/Paris"))
            #expect(all.text.contains("Every 1 min"))
            func position(_ name: String, in page: DashboardPage) throws -> String.Index {
                try #require(page.text.range(of: ">\(name)</a>")).lowerBound
            }
            #expect(try position("nightly", in: all) < position("zulu", in: all))
            let bySoonest = try await browser.get("/ui/schedules?sort=next")
            #expect(try position("zulu", in: bySoonest) < position("nightly", in: bySoonest))
            _ = try await client.send(.post, "/v1/schedules/\(other)/pause")
            let paused = try await browser.get("/ui/schedules?status=paused")
            #expect(paused.text.contains(">zulu</a>") && !paused.text.contains(">nightly</a>"))
            let named = try await browser.get("/ui/schedules?q=NIGHT")
            #expect(named.text.contains(">nightly</a>") && !named.text.contains(">zulu</a>"))
            let page = try await browser.get("/ui/schedules/\(nightly)")
            let fireTimes = try #require(page.text.range(of: "<ol class=\"fire-times\">")).upperBound
            let list = page.text[fireTimes...].components(separatedBy: "</ol>")[0]
            #expect(list.components(separatedBy: "<li>").count - 1 == 10)
        }
    }

    @Test func aRunShowsItsOutcomeOutputAndLatenessAndCountsInTheActivityChart() async throws {
        let server = try TestServer()
        try await server.runWithDashboard { client in
            // An event trigger: nothing fires but the run triggered from the page.
            let id = try await client.create(
                #"{"name": "failing", "trigger": {"type": "event", "key": "never"}, "action": {"type": "shell", "command": "echo 'tail <b>'; exit 3"}}"#)
            var browser = DashboardBrowser(client)
            try await browser.signIn(TestServer.writeToken)
            let token = try await browser.formToken()
            _ = try await server.event(where: { $0.kind == .failed }) {
                let answer = try await browser.post("/ui/schedules/\(id)/trigger", [("csrf", token), ("confirm", "yes")])
                #expect(answer.status == .seeOther)
            }
            let page = try await browser.get("/ui/schedules/\(id)")
            #expect(page.text.contains("<span class=\"badge outcome-failed\">failed</span>"))
            #expect(page.text.contains("exit 3"))
            #expect(page.text.contains("tail &lt;b&gt;"))
            #expect(page.text.contains("<rect class=\"bar outcome-failed\""))
            let activity = try await browser.get("/ui/activity")
            #expect(activity.text.contains("(UTC): 1 run.</p>"))
            #expect(activity.text.contains("<rect class=\"bar outcome-failed\""))
            #expect(try await browser.get("/ui/runs").text.contains("No run is going."))
        }
    }

    @Test func theNodesPageSaysTheStateFileStoreHasNone() async throws {
        try await TestServer().runWithDashboard { client in
            var browser = DashboardBrowser(client)
            try await browser.signIn(TestServer.writeToken)
            #expect(try await browser.get("/ui/nodes").text.contains("not available with the state-file store"))
        }
    }

    @Test func theStyleSheetAndScriptAreServedByTheDashboard() async throws {
        try await TestServer().runWithDashboard { client in
            var browser = DashboardBrowser(client)
            let css = try await browser.get("/ui/assets/dashboard.css")
            #expect(css.status == .ok)
            #expect(css.headers[.contentType] == "text/css; charset=utf-8")
            #expect(css.text.contains(".badge"))
            let script = try await browser.get("/ui/assets/dashboard.js")
            #expect(script.text.contains("EventSource"))
        }
    }

    @Test func everyPageAnswersHeadWithTheStatusAndHeadersOfGetAndNoBody() async throws {
        try await TestServer().runWithDashboard { client in
            let id = try await client.create(cronSchedule)
            var browser = DashboardBrowser(client)
            let signedOut = ["/ui", "/ui/schedules", "/ui/schedules/\(id)", "/ui/runs", "/ui/activity", "/ui/nodes"]
            let always = ["/ui/sign-in", "/ui/assets/dashboard.css", "/ui/assets/dashboard.js"]
            for path in signedOut + always {
                try await expectHeadAnswersAsGet(path, &browser, signedIn: false)
            }
            #expect(try await browser.head("/ui/events").status == .unauthorized)
            try await browser.signIn(TestServer.writeToken)
            for path in signedOut + ["/ui/schedules?sort=next&q=night", "/ui/schedules/nope"] + always {
                try await expectHeadAnswersAsGet(path, &browser, signedIn: true)
            }
            let events = try await browser.head("/ui/events")
            #expect(events.status == .ok)
            #expect(events.headers[.contentType] == "text/event-stream")
            #expect(events.text.isEmpty)
        }
    }

    /// HEAD `path` answers as GET does, without a body (the sign-in form's cookie holds a fresh
    /// token each time, so only its name and attributes must agree).
    private func expectHeadAnswersAsGet(_ path: String, _ browser: inout DashboardBrowser, signedIn: Bool) async throws {
        let get = try await browser.get(path)
        let head = try await browser.head(path)
        let context = "\(path), signed \(signedIn ? "in" : "out")"
        #expect(head.status == get.status, "\(context)")
        #expect(head.text.isEmpty, "\(context)")
        #expect(!get.text.isEmpty || get.status == .seeOther, "\(context)")
        func comparable(_ headers: HTTPFields) -> [String] {
            headers.filter { $0.name != .date }.map { field in
                "\(field.name): " + (field.name == .setCookie ? field.value.replacing(/=[0-9a-f]{64};/, with: "=…;") : field.value)
            }
        }
        #expect(comparable(head.headers) == comparable(get.headers), "\(context)")
    }

    @Test func htmlEscapesEveryCharacterThatEndsTextOrAnAttribute() {
        let text = #"<a href="x" title='y'>&</a>"#
        let fragment: HTML = "<p title=\"\(text)\">\(text)</p>"
        #expect(fragment.text == #"<p title="&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;">&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;</p>"#)
    }
}
