import Foundation

/// An open file of a ``StateFileSystem``: an opaque number only the file system that opened it
/// understands.
package struct StateFileHandle: Hashable, Sendable {
    package let rawValue: Int32

    package init(rawValue: Int32) { self.rawValue = rawValue }
}

/// A failed file-system call: the operation, the path it was for, and the `errno` it returned.
package struct FileSystemError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The call that failed (`"open"`, `"write"`, `"fsync"`, `"rename"`, ...).
    package var operation: String
    /// The file the call was for.
    package var path: String
    /// The error number (`EIO`, `ENOSPC`, `EWOULDBLOCK`, ...).
    package var code: Int32

    package init(operation: String, path: String, code: Int32) {
        self.operation = operation
        self.path = path
        self.code = code
    }

    package var description: String {
        "\(operation) \(path): \(String(cString: strerror(code))) (errno \(code))"
    }
}

/// What a path names, as ``StateFileSystem/fileType(at:)`` reports it.
package enum StateFileType: Sendable, Hashable {
    case regularFile
    case directory
    /// A device, socket, FIFO...
    case other
}

/// The file-system calls the durable state store makes, and nothing else.
///
/// The store only appends to, truncates and atomically replaces files in one directory. Keeping
/// the calls behind this seam lets the tests run the store over a simulated file system that can
/// fail, or cut off at a crash, any write and any fsync (see the crash-point tests), while
/// production uses ``POSIXFileSystem``.
///
/// Conformers must be safe to call from any thread.
package protocol StateFileSystem: Sendable {
    /// What `path` names (following symbolic links), or `nil` if it names nothing.
    func fileType(at path: String) throws(FileSystemError) -> StateFileType?

    /// The whole content of the file at `path`, or `nil` if there is no such file.
    func readFile(at path: String) throws(FileSystemError) -> Data?

    /// Opens `path` for writing, creating it if it is missing. With `truncate` the file is emptied;
    /// otherwise every write appends to its end.
    func openForWriting(_ path: String, truncate: Bool) throws(FileSystemError) -> StateFileHandle

    /// Writes all of `data` at the file's current end.
    func write(_ data: Data, to file: StateFileHandle) throws(FileSystemError)

    /// Makes everything written to `file` durable (`fsync`; `F_FULLFSYNC` on Darwin).
    func synchronize(_ file: StateFileHandle) throws(FileSystemError)

    /// Cuts `file` down to `length` bytes.
    func truncate(_ file: StateFileHandle, toLength length: Int) throws(FileSystemError)

    /// Closes `file`; errors are ignored (durability comes from ``synchronize(_:)``).
    func close(_ file: StateFileHandle)

    /// Atomically replaces `destination` with `source`.
    func rename(_ source: String, to destination: String) throws(FileSystemError)

    /// Makes the directory's entries (creations, renames, removals) durable.
    func synchronizeDirectory(_ path: String) throws(FileSystemError)

    /// Removes the file at `path`; a missing file is not an error.
    func removeFile(at path: String) throws(FileSystemError)

    /// Takes an exclusive lock on the file at `path` (created if missing) without waiting, and
    /// returns the handle that holds it until ``unlock(_:)``.
    ///
    /// - Throws: a ``FileSystemError`` with code `EWOULDBLOCK` when someone else holds the lock.
    func lock(_ path: String) throws(FileSystemError) -> StateFileHandle

    /// Releases a lock taken by ``lock(_:)`` and closes its handle.
    func unlock(_ lock: StateFileHandle)
}
