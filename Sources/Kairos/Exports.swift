// `import Kairos` brings the cron engine too: `CronExpression` is part of the scheduler's API.
@_exported import KairosCron
