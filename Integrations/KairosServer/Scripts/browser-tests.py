#!/usr/bin/env python3
"""The kairos-server dashboard in headless Chromium (Selenium), against a running server.

Run by browser-tests.sh, which starts the server and sets:
  KAIROS_BASE_URL, KAIROS_WRITE_TOKEN, KAIROS_READ_TOKEN, KAIROS_CHROMIUM, KAIROS_CHROMEDRIVER,
  KAIROS_SCREENSHOTS (a directory), KAIROS_AXE_SCRIPT (axe-core's axe.min.js).

Checks: a bad token is refused; sign-in sets an HttpOnly, SameSite=Strict session cookie; a
schedule created through the API appears on the open list page without a reload; a run appears
live (server-sent events) on the schedule's page; pause (with a note) and resume from the page,
each through its confirmation, and the API agrees; trigger now from the page; a post without the
form token, or with a wrong one, is refused and changes nothing; a read-only token sees no
action and its posts are refused; keyboard focus reaches the skip link first; no page scrolls
sideways at 375 px; sign-out; failed sign-ins are throttled (429 with Retry-After, the right token
too). Screenshots of every page at 1280 px and 375 px, and at both
widths an axe-core audit: no violation of any rule (colour contrast of 4.5:1, 3:1 for large text,
among them), with the lowest contrast ratio measured on the page printed.
"""
import json
import os
import sys
import time
import urllib.error
import urllib.request

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

BASE = os.environ["KAIROS_BASE_URL"]
WRITE = os.environ["KAIROS_WRITE_TOKEN"]
READ = os.environ["KAIROS_READ_TOKEN"]
SHOTS = os.environ["KAIROS_SCREENSHOTS"]
with open(os.environ["KAIROS_AXE_SCRIPT"], encoding="utf-8") as script:
    AXE = script.read()
WAIT = 15  # seconds: an upper bound on waits for events, never a speed assertion

passed = []


def check(name, condition, detail=""):
    if not condition:
        raise AssertionError(f"{name}: {detail}")
    passed.append(name)
    print(f"ok - {name}", flush=True)


def api(method, path, body=None, token=WRITE):
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(BASE + path, data=data, method=method)
    request.add_header("Authorization", f"Bearer {token}")
    if data is not None:
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            text = response.read().decode()
            return response.status, json.loads(text) if text else None
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read().decode() or "null")


def browser():
    options = webdriver.ChromeOptions()
    options.binary_location = os.environ["KAIROS_CHROMIUM"]
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1280,900"):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(os.environ["KAIROS_CHROMEDRIVER"]), options=options)
    driver.set_page_load_timeout(30)
    return driver


def wait_for(driver, condition, what):
    try:
        return WebDriverWait(driver, WAIT, poll_frequency=0.1).until(condition)
    except Exception as error:  # noqa: BLE001 - reported with what was awaited
        raise AssertionError(f"waited {WAIT} s for {what}; page: {driver.current_url}\n{driver.page_source[:3000]}") from error


def screenshots(driver, name):
    """The page at 1280 px and 375 px wide (its full height); at 375 px nothing may scroll sideways."""
    for width in (1280, 375):
        driver.set_window_size(width, 900)
        time.sleep(0.2)  # let the layout settle after the resize
        height = driver.execute_script("return Math.max(document.body.scrollHeight, 900)")
        driver.set_window_size(width, min(height + 120, 6000))
        time.sleep(0.2)
        driver.save_screenshot(os.path.join(SHOTS, f"{name}-{width}.png"))
        audit(driver, f"{name} at {width} px")
        if width == 375:
            overflow = driver.execute_script("return document.documentElement.scrollWidth - document.documentElement.clientWidth")
            check(f"{name} fits 375 px", overflow <= 1, f"{overflow} px wider than the window")
    driver.set_window_size(1280, 900)


# axe-core's results, cut down in the page to what the report needs: every violation and every
# result axe could not decide, with the elements concerned, and the contrast of each text it measured.
AUDIT = """
const done = arguments[arguments.length - 1];
const nodes = rule => rule.nodes.map(node => node.target.join(" ") + ": " + (node.failureSummary || "").replace(/\\s+/g, " "));
axe.run(document).then(results => {
  const ratios = [];
  for (const group of [results.passes, results.violations, results.incomplete]) {
    for (const rule of group.filter(rule => rule.id === "color-contrast")) {
      for (const node of rule.nodes) {
        for (const check of node.any.filter(check => check.data && check.data.contrastRatio)) {
          ratios.push({ratio: check.data.contrastRatio, expected: check.data.expectedContrastRatio, fg: check.data.fgColor,
                       bg: check.data.bgColor, target: node.target.join(" ")});
        }
      }
    }
  }
  const summary = rule => ({id: rule.id, impact: rule.impact, help: rule.help, nodes: nodes(rule)});
  done({violations: results.violations.map(summary), incomplete: results.incomplete.map(summary), ratios: ratios,
        version: axe.version});
}, error => done({error: String(error)}));
"""

# The text axe-core leaves out or undecided, measured here by the WCAG 2 formula from the computed
# styles: the labels of the charts (SVG text, whose background axe cannot tell under an image) and the
# labels of the phone-width cards (generated content, `::before`, which axe does not read).
OWN_CONTRAST = """
const channels = colour => (colour.match(/[\\d.]+/g) || ["0", "0", "0", "0"]).map(Number).concat([1]).slice(0, 4);
const over = (top, bottom) => [0, 1, 2].map(i => top[i] * top[3] + bottom[i] * (1 - top[3])).concat([1]);
function background(element) {
  const layers = [];
  for (let node = element; node && node.nodeType === 1; node = node.parentElement) {
    const colour = channels(getComputedStyle(node).backgroundColor);
    if (colour[3] > 0) layers.push(colour);
    if (colour[3] >= 1) break;
  }
  return layers.reverse().reduce((below, layer) => over(layer, below), [255, 255, 255, 1]);
}
const luminance = colour => {
  const [r, g, b] = colour.slice(0, 3).map(v => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); });
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
};
const ratio = (fg, bg) => { const [a, b] = [luminance(fg), luminance(bg)].sort((x, y) => y - x); return (a + 0.05) / (b + 0.05); };
const hex = colour => "#" + colour.slice(0, 3).map(v => Math.round(v).toString(16).padStart(2, "0")).join("");
const measured = [];
function measure(element, style, size, what) {
  const bg = background(element);
  const fg = over(channels(style.color === "" ? style.fill : style.color), bg);
  const large = size >= 24 || (size >= 18.66 && Number(style.fontWeight) >= 700);
  measured.push({ratio: Math.round(ratio(fg, bg) * 100) / 100, expected: large ? 3 : 4.5, fg: hex(fg), bg: hex(bg), target: what});
}
for (const text of document.querySelectorAll("svg text")) {
  if (!text.textContent.trim() || text.getBoundingClientRect().width === 0) continue;
  const svg = text.ownerSVGElement, style = getComputedStyle(text);
  const scale = svg.getBoundingClientRect().width / svg.viewBox.baseVal.width;
  measure(svg, {color: "", fill: style.fill, fontWeight: style.fontWeight}, parseFloat(style.fontSize) * scale,
          "svg text \u201c" + text.textContent.trim() + "\u201d");
}
for (const element of document.querySelectorAll("[data-label]")) {
  const style = getComputedStyle(element, "::before");
  if (style.content === "none" || style.display === "none" || element.getBoundingClientRect().width === 0) continue;
  measure(element, style, parseFloat(style.fontSize), "::before \u201c" + element.getAttribute("data-label") + "\u201d");
}
return measured;
"""

audits = []


def audit(driver, page):
    """axe-core on the page as it is: no violation of any rule, contrast measured by axe's color-contrast rule."""
    driver.execute_script(AXE)
    result = driver.execute_async_script(AUDIT)
    check(f"axe-core runs on {page}", "error" not in result, result.get("error", ""))
    ours = driver.execute_script(OWN_CONTRAST)
    low = [entry for entry in ours if entry["ratio"] < entry["expected"]]
    check(f"chart and card-label contrast on {page} is 4.5:1 or more (3:1 large)", not low,
          "; ".join(f"{entry['target']}: {entry['ratio']}:1, {entry['fg']} on {entry['bg']}" for entry in low))
    ratios = result["ratios"] + ours
    lowest = min(ratios, key=lambda entry: entry["ratio"]) if ratios else None
    measured = (f"lowest text contrast {lowest['ratio']:.2f}:1 (needs {lowest['expected']}), {lowest['fg']} on {lowest['bg']} "
                f"at {lowest['target']}; {len(ratios)} texts measured, {len(ours)} of them here, not by axe") if lowest else "no text measured"
    print(f"# {page}: {measured} (axe-core {result['version']})", flush=True)
    for rule in result["incomplete"]:
        print(f"#   undecided by axe: {rule['id']} ({rule['help']}): " + "; ".join(rule["nodes"][:5]), flush=True)
    audits.append((page, lowest["ratio"] if lowest else None))
    contrast = [rule for rule in result["violations"] if rule["id"] == "color-contrast"]
    check(f"text contrast on {page} is 4.5:1 or more (3:1 large)", not contrast, "; ".join(contrast[0]["nodes"]) if contrast else "")
    others = [f"{rule['id']} ({rule['impact']}): {rule['help']}: " + "; ".join(rule["nodes"][:5])
              for rule in result["violations"] if rule["id"] != "color-contrast"]
    check(f"axe-core finds no other violation on {page}", not others, "\n  ".join(others))


def sign_in(driver, token):
    driver.get(BASE + "/ui/sign-in")
    field = driver.find_element(By.ID, "token")
    field.send_keys(token)
    field.send_keys(Keys.ENTER)


def form_token(driver):
    return driver.find_element(By.CSS_SELECTOR, "input[name=csrf]").get_attribute("value")


def post_from_page(driver, path, fields):
    """A post made by the page's own script (same origin, the session's cookie): its status."""
    return driver.execute_script(
        "return fetch(arguments[0], {method: 'POST', body: new URLSearchParams(arguments[1]), credentials: 'same-origin',"
        " redirect: 'manual'}).then(r => r.status)", path, fields)


def main():
    os.makedirs(SHOTS, exist_ok=True)
    driver = browser()
    created = []
    try:
        # A bad token.
        driver.get(BASE + "/ui/schedules")
        check("a signed-out browser is sent to sign in", driver.current_url.endswith("/ui/sign-in"), driver.current_url)
        screenshots(driver, "sign-in")
        sign_in(driver, "not-" + WRITE)
        alert = wait_for(driver, EC.presence_of_element_located((By.ID, "sign-in-error")), "the bad-token message")
        check("a bad token is refused", "not one of the server's tokens" in alert.text, alert.text)
        check("a bad token starts no session", driver.get_cookie("kairos_session") is None)
        screenshots(driver, "sign-in-refused")

        # Sign in with the read-write token.
        sign_in(driver, WRITE)
        wait_for(driver, EC.url_contains("/ui/schedules"), "the schedules page")
        cookie = driver.get_cookie("kairos_session")
        check("the session cookie is HttpOnly and SameSite=Strict",
              cookie is not None and cookie.get("httpOnly") is True and cookie.get("sameSite") == "Strict", str(cookie))
        check("the session cookie is not the token", cookie["value"] != WRITE)
        driver.get(BASE + "/ui/schedules")
        ActionChains(driver).send_keys(Keys.TAB).perform()
        active = driver.switch_to.active_element
        check("the first Tab focuses the skip link", active.get_attribute("class") == "skip-link", active.get_attribute("outerHTML"))
        ActionChains(driver).send_keys(Keys.ENTER).perform()
        check("the skip link moves focus to the main content", driver.switch_to.active_element.get_attribute("id") == "main",
              driver.switch_to.active_element.get_attribute("outerHTML")[:200])
        wait_for(driver, lambda d: d.find_element(By.TAG_NAME, "body").get_attribute("data-live-connected") == "true",
                 "the event stream to open")

        # A schedule created through the API appears on the open page.
        status, nightly = api("POST", "/v1/schedules", {
            "name": "nightly <report>", "trigger": {"type": "cron", "expression": "30 2 * * 1-5", "timeZone": "Europe/Paris"},
            "action": {"type": "shell", "command": "echo report done"}})
        check("the API creates a schedule", status == 201, str(nightly))
        created.append(nightly["id"])
        wait_for(driver, lambda d: "nightly <report>" in d.find_element(By.ID, "schedule-list").text,
                 "the new schedule on the list without a reload")
        check("a schedule created through the API appears live", True)
        check("the trigger is in words", "At 02:30" in driver.find_element(By.ID, "schedule-list").text or
              "02:30" in driver.find_element(By.ID, "schedule-list").text)

        status, echo = api("POST", "/v1/schedules", {
            "name": "echo", "trigger": {"type": "event", "key": "never"},
            "action": {"type": "shell", "command": "echo hello from kairos; echo oops >&2; exit 0"}})
        created.append(echo["id"])
        status, failing = api("POST", "/v1/schedules", {
            "name": "flaky import", "trigger": {"type": "event", "key": "never"},
            "action": {"type": "shell", "command": "echo 'cannot reach db' >&2; exit 2"}})
        created.append(failing["id"])
        for _ in range(3):
            api("POST", f"/v1/schedules/{failing['id']}/trigger")
        status, slow = api("POST", "/v1/schedules", {
            "name": "long backup", "trigger": {"type": "event", "key": "never"},
            "action": {"type": "shell", "command": "sleep 60"}, "options": {"timeout": "2m"}})
        created.append(slow["id"])

        # A run arrives live on the schedule's page.
        driver.get(BASE + "/ui/schedules/" + echo["id"])
        wait_for(driver, lambda d: d.find_element(By.TAG_NAME, "body").get_attribute("data-live-connected") == "true",
                 "the event stream to open")
        check("a schedule without runs says so", "No finished runs yet" in driver.find_element(By.ID, "schedule-runs").text)
        api("POST", f"/v1/schedules/{echo['id']}/trigger")
        wait_for(driver, lambda d: "succeeded" in d.find_element(By.ID, "schedule-runs").text, "the run on the page without a reload")
        check("a run arrives live (server-sent events)", True)
        driver.find_element(By.CSS_SELECTOR, "#schedule-runs details summary").click()
        check("the run's output tail is shown", "hello from kairos" in driver.find_element(By.ID, "schedule-runs").text)

        # The action buttons stand on one line at desktop width: the Pause box's button beside Trigger and Delete.
        bottoms = [driver.find_element(By.XPATH, f"//button[normalize-space()='{label}']").rect
                   for label in ("Pause…", "Trigger now…", "Delete…")]
        bottoms = [rect["y"] + rect["height"] for rect in bottoms]
        check("the action buttons are aligned", max(bottoms) - min(bottoms) <= 1, str(bottoms))

        # Pause with a note, from the page, through the confirmation.
        driver.find_element(By.ID, "pause-note").send_keys("maintenance window")
        driver.find_element(By.XPATH, "//button[normalize-space()='Pause…']").click()
        wait_for(driver, EC.presence_of_element_located((By.CSS_SELECTOR, "form.confirm")), "the pause confirmation")
        check("pausing asks for confirmation", "maintenance window" in driver.find_element(By.TAG_NAME, "main").text)
        status, state = api("GET", f"/v1/schedules/{echo['id']}")
        check("nothing is paused before the confirmation", state["status"] != "paused", state["status"])
        screenshots(driver, "confirm-pause")
        driver.find_element(By.CSS_SELECTOR, "form.confirm button[type=submit]").click()
        wait_for(driver, EC.text_to_be_present_in_element((By.CLASS_NAME, "notice"), "Paused."), "the paused notice")
        status, state = api("GET", f"/v1/schedules/{echo['id']}")
        check("the API agrees it is paused, with the note", state["status"] == "paused" and state["pauseNote"] == "maintenance window",
              str(state))

        # Resume from now.
        driver.find_element(By.ID, "resume-from-now").click()
        driver.find_element(By.XPATH, "//button[normalize-space()='Resume…']").click()
        wait_for(driver, EC.presence_of_element_located((By.CSS_SELECTOR, "form.confirm")), "the resume confirmation")
        check("resuming from now says so", "from now" in driver.find_element(By.TAG_NAME, "main").text)
        driver.find_element(By.CSS_SELECTOR, "form.confirm button[type=submit]").click()
        wait_for(driver, EC.text_to_be_present_in_element((By.CLASS_NAME, "notice"), "Resumed."), "the resumed notice")
        status, state = api("GET", f"/v1/schedules/{echo['id']}")
        check("the API agrees it is resumed", state["status"] != "paused" and state["pauseNote"] is None, str(state))

        # Trigger now from the page.
        runs_before = state["counters"]["runs"]
        driver.find_element(By.XPATH, "//button[normalize-space()='Trigger now…']").click()
        wait_for(driver, EC.presence_of_element_located((By.CSS_SELECTOR, "form.confirm")), "the trigger confirmation")
        driver.find_element(By.CSS_SELECTOR, "form.confirm button[type=submit]").click()
        wait_for(driver, lambda d: api("GET", f"/v1/schedules/{echo['id']}")[1]["counters"]["runs"] > runs_before, "the triggered run")
        check("trigger now from the page runs it", True)

        # CSRF: the pause form without its token, then with a wrong one.
        driver.get(BASE + "/ui/schedules/" + echo["id"])
        driver.execute_script("document.querySelector('form[action$=\"/pause\"] input[name=csrf]').remove()")
        driver.find_element(By.XPATH, "//button[normalize-space()='Pause…']").click()
        wait_for(driver, EC.presence_of_element_located((By.CSS_SELECTOR, "p.error")), "the refusal")
        check("a post without the form token is refused", "security token is missing or wrong" in driver.page_source)
        screenshots(driver, "csrf-refused")
        driver.get(BASE + "/ui/schedules/" + echo["id"])
        token = form_token(driver)
        status = post_from_page(driver, f"/ui/schedules/{echo['id']}/pause", {"csrf": token[::-1], "confirm": "yes"})
        check("a post with a wrong form token is refused with 403", status == 403, str(status))
        status, state = api("GET", f"/v1/schedules/{echo['id']}")
        check("the refused posts paused nothing", state["status"] != "paused", state["status"])

        # The pages, with a run going and some history.
        api("POST", f"/v1/schedules/{slow['id']}/trigger")
        wait_for(driver, lambda d: len(api("GET", "/v1/runs")[1]["runs"]) > 0, "a run going")
        for name, path in [("schedules", "/ui/schedules"), ("schedule", "/ui/schedules/" + echo["id"]),
                           ("schedule-failing", "/ui/schedules/" + failing["id"]), ("runs", "/ui/runs"),
                           ("activity", "/ui/activity"), ("nodes", "/ui/nodes")]:
            driver.get(BASE + path)
            screenshots(driver, name)
        driver.get(BASE + "/ui/runs")
        check("the runs page shows the run going", "long backup" in driver.find_element(By.ID, "active-runs").text)
        driver.get(BASE + "/ui/activity")
        check("the activity page draws the runs", len(driver.find_elements(By.CSS_SELECTOR, "svg rect.bar")) > 0)
        driver.get(BASE + "/ui/nodes")
        check("the nodes page explains the state-file store", "not available with the state-file store" in driver.page_source)

        # Sign out.
        driver.find_element(By.XPATH, "//button[normalize-space()='Sign out']").click()
        wait_for(driver, EC.url_contains("/ui/sign-in"), "the sign-in page")
        driver.get(BASE + "/ui/schedules")
        check("after signing out the pages need a sign-in again", driver.current_url.endswith("/ui/sign-in"), driver.current_url)

        # A read-only token.
        sign_in(driver, READ)
        wait_for(driver, EC.url_contains("/ui/schedules"), "the schedules page (read-only)")
        driver.get(BASE + "/ui/schedules/" + echo["id"])
        check("a read-only page says so", "Read-only" in driver.find_element(By.TAG_NAME, "header").text)
        actions = driver.find_elements(By.CSS_SELECTOR, "form[action*='/schedules/']")
        check("a read-only page has no action", len(actions) == 0, f"{len(actions)} action forms")
        screenshots(driver, "schedule-read-only")
        token = form_token(driver)
        for action in ("pause", "trigger", "delete"):
            status = post_from_page(driver, f"/ui/schedules/{echo['id']}/{action}", {"csrf": token, "confirm": "yes"})
            check(f"a read-only {action} is refused with 403", status == 403, str(status))
        status, state = api("GET", f"/v1/schedules/{echo['id']}")
        check("the read-only posts changed nothing", status == 200 and state["status"] != "paused", str(state))

        # Failed sign-ins from one address are throttled: then even the right token waits.
        driver.find_element(By.XPATH, "//button[normalize-space()='Sign out']").click()
        wait_for(driver, EC.url_contains("/ui/sign-in"), "the sign-in page")
        for attempt in range(1, 8):
            sign_in(driver, "not-" + WRITE)
            message = wait_for(driver, EC.presence_of_element_located((By.ID, "sign-in-error")), "the refusal").text
            if "Too many failed sign-ins" in message:
                break
        check("failed sign-ins are throttled after a handful", "Too many failed sign-ins" in message, f"{attempt} tries: {message}")
        screenshots(driver, "sign-in-throttled")
        answer = driver.execute_script(
            "return fetch(arguments[0], {method: 'POST', body: new URLSearchParams(arguments[1]), credentials: 'same-origin',"
            " redirect: 'manual'}).then(r => [r.status, r.headers.get('Retry-After')])",
            "/ui/sign-in", {"signin": driver.find_element(By.CSS_SELECTOR, "input[name=signin]").get_attribute("value"), "token": WRITE})
        check("a throttled address is refused even the right token, with 429 and Retry-After",
              answer[0] == 429 and answer[1] is not None and int(answer[1]) > 0, str(answer))
    finally:
        driver.quit()
        for schedule in created:
            api("DELETE", f"/v1/schedules/{schedule}")
    measured = [ratio for _, ratio in audits if ratio is not None]
    print(f"{len(audits)} page audits; lowest text contrast on any page {min(measured):.2f}:1" if measured else "no contrast measured")
    print(f"{len(passed)} checks passed; screenshots in {SHOTS}")


if __name__ == "__main__":
    try:
        main()
    except AssertionError as error:
        print(f"not ok - {error}", file=sys.stderr)
        sys.exit(1)
