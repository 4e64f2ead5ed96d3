// `TemporaryPostgres` lives in the `KairosPostgresTesting` library (KairosServer's tests start
// throwaway servers too); re-exported here so that every file of these tests sees it.
@_exported import KairosPostgresTesting
