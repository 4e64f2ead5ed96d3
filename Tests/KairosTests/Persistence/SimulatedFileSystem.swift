import Foundation
import Synchronization

@testable import Kairos

/// An in-memory file system that remembers what has reached "the disk" (fsync for file data,
/// directory fsync for names) apart from what the process has written, and that can fail or cut
/// off any mutating call — the fault model of SQLite's crash tests.
///
/// Mutating calls (open for writing, write, fsync, truncate, rename, directory fsync, unlink) are
/// numbered from 0. A fault at number `k`:
/// - `.crash`: the process dies during call `k`. A write gets half its bytes into the page cache
///   first (a torn write); every call after that fails (nothing more reaches the disk).
/// - `.fail`: call `k` returns `EIO` (a write after writing half its bytes); the process goes on.
///
/// ``afterCrash(_:)`` then gives the file system a restarted process sees, for a choice of what
/// the kernel had flushed on its own.
final class SimulatedFileSystem: StateFileSystem {
    enum Fault: Sendable, Hashable { case crash, fail }

    /// What survives a crash of what was written but not synced.
    enum CrashOutcome: Sendable, CaseIterable, CustomStringConvertible {
        /// Only synced data and synced names survive.
        case loseUnsynced
        /// Everything the process wrote survives (the kernel flushed it all).
        case keepUnsynced
        /// Directory changes survive but unsynced file data does not (ext4 `data=writeback`).
        case keepNamesLoseData
        /// Unsynced file data survives but unsynced directory changes do not.
        case keepDataLoseNames

        var description: String {
            switch self {
            case .loseUnsynced: "loseUnsynced"
            case .keepUnsynced: "keepUnsynced"
            case .keepNamesLoseData: "keepNamesLoseData"
            case .keepDataLoseNames: "keepDataLoseNames"
            }
        }
    }

    private struct Inode {
        var data: [UInt8] = []
        var synced: [UInt8] = []
    }

    private struct Model {
        var inodes: [Int: Inode] = [:]
        var names: [String: Int] = [:]
        var syncedNames: [String: Int] = [:]
        var open: [Int32: Int] = [:]
        var locks: [Int32: String] = [:]
        var nextInode = 1
        var nextDescriptor: Int32 = 3
        var operations = 0
        var faultAt: Int?
        var fault: Fault = .crash
        var crashed = false
    }

    private let model: Mutex<Model>

    init(faultAt: Int? = nil, fault: Fault = .crash) {
        var model = Model()
        model.faultAt = faultAt
        model.fault = fault
        self.model = Mutex(model)
    }

    private init(model: Model) { self.model = Mutex(model) }

    /// How many mutating calls have been made.
    var operationCount: Int { model.withLock { $0.operations } }

    /// Whether the simulated process has crashed.
    var hasCrashed: Bool { model.withLock { $0.crashed } }

    /// The file system after a crash (or a clean exit) of the process, keeping of the unsynced
    /// state what `outcome` says.
    func afterCrash(_ outcome: CrashOutcome) -> SimulatedFileSystem {
        model.withLock { model in
            var next = Model()
            let keepNames = outcome == .keepUnsynced || outcome == .keepNamesLoseData
            let keepData = outcome == .keepUnsynced || outcome == .keepDataLoseNames
            next.names = keepNames ? model.names : model.syncedNames
            next.syncedNames = next.names
            for (number, inode) in model.inodes {
                let data = keepData ? inode.data : inode.synced
                next.inodes[number] = Inode(data: data, synced: data)
            }
            next.nextInode = model.nextInode
            return SimulatedFileSystem(model: next)
        }
    }

    /// The names and contents of every file, as the process sees them.
    var files: [String: [UInt8]] {
        model.withLock { model in model.names.mapValues { model.inodes[$0]!.data } }
    }

    /// Replaces a file's content, synced (a test's way to damage a file).
    func setFile(_ path: String, to bytes: [UInt8]) {
        model.withLock { model in
            let number = model.names[path] ?? model.nextInode
            if model.names[path] == nil { model.nextInode += 1 }
            model.names[path] = number
            model.syncedNames[path] = number
            model.inodes[number] = Inode(data: bytes, synced: bytes)
        }
    }

    // MARK: StateFileSystem

    /// A simulated file system has one level of directories: `/` and every `/name` (no other
    /// slash) that is not a file; every other path is a file or nothing.
    func fileType(at path: String) throws(FileSystemError) -> StateFileType? {
        try model.withLock { model throws(FileSystemError) in
            if model.crashed { throw FileSystemError(operation: "stat", path: path, code: EIO) }
            if model.names[path] != nil { return .regularFile }
            let isTopLevel = path == "/" || (path.hasPrefix("/") && !path.dropFirst().contains("/"))
            return isTopLevel ? .directory : nil
        }
    }

    func readFile(at path: String) throws(FileSystemError) -> Data? {
        try model.withLock { model throws(FileSystemError) in
            if model.crashed { throw FileSystemError(operation: "read", path: path, code: EIO) }
            guard let number = model.names[path] else { return nil }
            return Data(model.inodes[number]!.data)
        }
    }

    func openForWriting(_ path: String, truncate: Bool) throws(FileSystemError) -> StateFileHandle {
        try model.withLock { model throws(FileSystemError) in
            try Self.beginMutation(&model, "open", path)
            let number: Int
            if let existing = model.names[path] {
                number = existing
            } else {
                number = model.nextInode
                model.nextInode += 1
                model.inodes[number] = Inode()
                model.names[path] = number
            }
            if truncate { model.inodes[number]!.data = [] }
            let descriptor = model.nextDescriptor
            model.nextDescriptor += 1
            model.open[descriptor] = number
            return StateFileHandle(rawValue: descriptor)
        }
    }

    func write(_ data: Data, to file: StateFileHandle) throws(FileSystemError) {
        try model.withLock { model throws(FileSystemError) in
            guard let number = model.open[file.rawValue] else {
                throw FileSystemError(operation: "write", path: "fd \(file.rawValue)", code: EBADF)
            }
            do throws(FileSystemError) {
                try Self.beginMutation(&model, "write", "fd \(file.rawValue)")
            } catch {
                if model.operations - 1 == model.faultAt {
                    model.inodes[number]!.data.append(contentsOf: data.prefix(data.count / 2))
                }
                throw error
            }
            model.inodes[number]!.data.append(contentsOf: data)
        }
    }

    func synchronize(_ file: StateFileHandle) throws(FileSystemError) {
        try model.withLock { model throws(FileSystemError) in
            guard let number = model.open[file.rawValue] else {
                throw FileSystemError(operation: "fsync", path: "fd \(file.rawValue)", code: EBADF)
            }
            try Self.beginMutation(&model, "fsync", "fd \(file.rawValue)")
            model.inodes[number]!.synced = model.inodes[number]!.data
        }
    }

    func truncate(_ file: StateFileHandle, toLength length: Int) throws(FileSystemError) {
        try model.withLock { model throws(FileSystemError) in
            guard let number = model.open[file.rawValue] else {
                throw FileSystemError(operation: "ftruncate", path: "fd \(file.rawValue)", code: EBADF)
            }
            try Self.beginMutation(&model, "ftruncate", "fd \(file.rawValue)")
            model.inodes[number]!.data = Array(model.inodes[number]!.data.prefix(length))
        }
    }

    func close(_ file: StateFileHandle) {
        model.withLock { _ = $0.open.removeValue(forKey: file.rawValue) }
    }

    func rename(_ source: String, to destination: String) throws(FileSystemError) {
        try model.withLock { model throws(FileSystemError) in
            try Self.beginMutation(&model, "rename", source)
            guard let number = model.names.removeValue(forKey: source) else {
                throw FileSystemError(operation: "rename", path: source, code: ENOENT)
            }
            model.names[destination] = number
        }
    }

    func synchronizeDirectory(_ path: String) throws(FileSystemError) {
        try model.withLock { model throws(FileSystemError) in
            try Self.beginMutation(&model, "fsync", path)
            model.syncedNames = model.names
        }
    }

    func removeFile(at path: String) throws(FileSystemError) {
        try model.withLock { model throws(FileSystemError) in
            try Self.beginMutation(&model, "unlink", path)
            model.names[path] = nil
        }
    }

    func lock(_ path: String) throws(FileSystemError) -> StateFileHandle {
        try model.withLock { model throws(FileSystemError) in
            if model.crashed { throw FileSystemError(operation: "flock", path: path, code: EIO) }
            if model.locks.values.contains(path) {
                throw FileSystemError(operation: "flock", path: path, code: EWOULDBLOCK)
            }
            let descriptor = model.nextDescriptor
            model.nextDescriptor += 1
            model.locks[descriptor] = path
            return StateFileHandle(rawValue: descriptor)
        }
    }

    func unlock(_ lock: StateFileHandle) {
        model.withLock { _ = $0.locks.removeValue(forKey: lock.rawValue) }
    }

    /// Counts a mutating call and injects the fault if it is the chosen one.
    private static func beginMutation(_ model: inout Model, _ operation: String, _ path: String) throws(FileSystemError) {
        if model.crashed { throw FileSystemError(operation: operation, path: path, code: EIO) }
        let number = model.operations
        model.operations += 1
        guard number == model.faultAt else { return }
        if model.fault == .crash { model.crashed = true }
        throw FileSystemError(operation: operation, path: path, code: EIO)
    }
}
