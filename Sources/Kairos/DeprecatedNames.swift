import Foundation

// The names the public API had before its vocabulary was made one meaning per word (SPEC,
// "Vocabulary"): each forwards to the new name and warns, so that code written against the old
// names keeps building. Nothing in the package calls them except the test that checks they forward.

/// Renamed ``SignalHub``: incoming named messages are signals; events are what the scheduler reports.
@available(*, deprecated, renamed: "SignalHub")
public typealias EventHub = SignalHub

/// Renamed ``SignalWaiter``.
@available(*, deprecated, renamed: "SignalWaiter")
public typealias EventWaiter = SignalWaiter

/// Renamed ``SignalTrigger``.
@available(*, deprecated, renamed: "SignalTrigger")
public typealias EventTrigger = SignalTrigger

/// Renamed ``SignalResumption``.
@available(*, deprecated, renamed: "SignalResumption")
public typealias EventResumption<Value: Codable & Sendable> = SignalResumption<Value>

extension SignalHub {
    /// Renamed ``send(_:payload:)``.
    @available(*, deprecated, renamed: "send(_:payload:)")
    @discardableResult
    public func post(_ key: String, payload: JSONValue? = nil) -> [SignalWaiter] {
        send(key, payload: payload)
    }
}

extension Scheduler {
    /// Renamed ``send(signal:payload:)``.
    @available(*, deprecated, renamed: "send(signal:payload:)")
    @discardableResult
    public func post(event key: String, payload: JSONValue? = nil) -> [SignalWaiter] {
        send(signal: key, payload: payload)
    }
}

extension Scheduler.Configuration {
    /// Renamed ``signalHub``.
    @available(*, deprecated, renamed: "signalHub")
    public var eventHub: SignalHub {
        get { signalHub }
        set { signalHub = newValue }
    }

    /// The initializer whose `eventHub` is now `signalHub`.
    @available(*, deprecated, message: "the eventHub: parameter is now signalHub:")
    public init(
        maxConcurrentJobs: Int = ProcessInfo.processInfo.activeProcessorCount,
        clock: any SchedulerClock = SystemClock.shared,
        eventHub: SignalHub,
        defaultOverlap: OverlapPolicy = .skip,
        defaultMisfire: MisfirePolicy = .runLatest,
        misfireThreshold: Duration = .seconds(1),
        finishedJobRetention: Int = 10_000,
        eventBufferSize: Int = 10_000,
        burstBatchingDelay: Duration = .milliseconds(1)
    ) {
        self.init(
            maxConcurrentJobs: maxConcurrentJobs, clock: clock, signalHub: eventHub, defaultOverlap: defaultOverlap,
            defaultMisfire: defaultMisfire, misfireThreshold: misfireThreshold, finishedJobRetention: finishedJobRetention,
            eventBufferSize: eventBufferSize, burstBatchingDelay: burstBatchingDelay)
    }
}

extension PersistentScheduler {
    /// Renamed ``send(signal:payload:)``.
    @available(*, deprecated, renamed: "send(signal:payload:)")
    @discardableResult
    public func post(event key: String, payload: JSONValue? = nil) -> [SignalWaiter] {
        send(signal: key, payload: payload)
    }

    /// Renamed ``remove(_:)``, the verb `DependencyScheduler` uses for the same change.
    @available(*, deprecated, renamed: "remove(_:)")
    @discardableResult
    public func removeDependencyJob(_ id: JobID) throws(PersistentSchedulerError) -> Bool {
        try remove(id)
    }
}

extension JobPipeline {
    /// Renamed ``signals``.
    @available(*, deprecated, renamed: "signals")
    public var events: SignalHub { signals }

    /// Renamed ``send(signal:payload:)``.
    @available(*, deprecated, renamed: "send(signal:payload:)")
    @discardableResult
    public func resume(event key: String, payload: JSONValue? = nil) -> [SignalWaiter] {
        send(signal: key, payload: payload)
    }

    /// Renamed ``waitForSignal(_:)``.
    @available(*, deprecated, renamed: "waitForSignal(_:)")
    public func waitForEvent(_ key: String) -> JobPipeline<Input, SignalResumption<Output>> {
        waitForSignal(key)
    }

    /// Renamed ``waitForSignal(_:key:)``.
    @available(*, deprecated, renamed: "waitForSignal(_:key:)")
    public func waitForEvent(
        _ name: String, key: @escaping @Sendable (Output, PipelineRunID) -> String
    ) -> JobPipeline<Input, SignalResumption<Output>> {
        waitForSignal(name, key: key)
    }

    /// The initializer whose `events` is now `signals`.
    @available(*, deprecated, renamed: "init(name:input:clock:signals:failurePolicy:)")
    public init(
        name: String, input: Input.Type, clock: any SchedulerClock = SystemClock.shared, events: SignalHub,
        failurePolicy: PipelineFailurePolicy = .failFast
    ) where Output == Input {
        self.init(name: name, input: input, clock: clock, signals: events, failurePolicy: failurePolicy)
    }

    /// The initializer whose `events` is now `signals`.
    @available(*, deprecated, renamed: "init(name:clock:signals:failurePolicy:)")
    public init(
        name: String, clock: any SchedulerClock = SystemClock.shared, events: SignalHub,
        failurePolicy: PipelineFailurePolicy = .failFast
    ) where Input == NoValue, Output == NoValue {
        self.init(name: name, clock: clock, signals: events, failurePolicy: failurePolicy)
    }
}

extension SignalResumption {
    /// Renamed ``signal``.
    @available(*, deprecated, renamed: "signal")
    public var event: String {
        get { signal }
        set { signal = newValue }
    }

    /// The initializer whose `event` is now `signal`.
    @available(*, deprecated, renamed: "init(value:signal:payload:)")
    public init(value: Value, event: String, payload: JSONValue?) {
        self.init(value: value, signal: event, payload: payload)
    }
}

extension PipelineWait {
    /// Renamed ``signal(_:)``; a `case .event` pattern must be written `case .signal`.
    @available(*, deprecated, renamed: "signal")
    public static func event(_ key: String) -> PipelineWait { .signal(key) }
}

extension TriggerDescription {
    /// Renamed ``signal(key:)``; a `case .event` pattern must be written `case .signal`.
    @available(*, deprecated, renamed: "signal(key:)")
    public static func event(key: String) -> TriggerDescription { .signal(key: key) }
}
