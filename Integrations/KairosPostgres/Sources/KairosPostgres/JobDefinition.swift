import Kairos

extension PostgresScheduler {
    /// One job for ``PostgresScheduler/schedule(_:)``, the bulk form of
    /// ``PostgresScheduler/schedule(key:name:function:arguments:trigger:options:)``: the same
    /// parameters, with the same defaults and meaning.
    public struct JobDefinition: Sendable {
        /// The key to declare the job under (an upsert), or `nil` for a new job.
        public var key: String?
        /// The job's name, for people and ``JobContext/name``.
        public var name: String
        /// The registered function that runs the job.
        public var function: String
        /// The JSON arguments passed to the function.
        public var arguments: JSONValue
        /// When the job is due; custom and event triggers are refused.
        public var trigger: any Trigger
        /// Overlap, misfire, `maxRuns`, timeout, start paused.
        public var options: JobOptions

        /// A job definition; see each property.
        public init(
            key: String? = nil, name: String = "", function: String, arguments: JSONValue = nil, trigger: any Trigger,
            options: JobOptions = JobOptions()
        ) {
            self.key = key
            self.name = name
            self.function = function
            self.arguments = arguments
            self.trigger = trigger
            self.options = options
        }
    }
}
