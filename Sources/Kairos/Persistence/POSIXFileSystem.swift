import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The real file system, through POSIX calls.
///
/// `synchronize` is `fsync(2)` on Linux and `fcntl(F_FULLFSYNC)` on Darwin (where plain `fsync`
/// does not flush the drive's cache); locks are `flock(2)` locks, which conflict between any two
/// opens of the file, in one process or two. Interrupted reads and writes (`EINTR`) are retried; no other
/// error is, and a
/// failed `fsync` is never retried.
package struct POSIXFileSystem: StateFileSystem {
    package init() {}

    package func fileType(at path: String) throws(FileSystemError) -> StateFileType? {
        var status = stat()
        if stat(path, &status) != 0 {
            if errno == ENOENT || errno == ENOTDIR { return nil }
            throw FileSystemError(operation: "stat", path: path, code: errno)
        }
        switch status.st_mode & S_IFMT {
        case S_IFREG: return .regularFile
        case S_IFDIR: return .directory
        default: return .other
        }
    }

    package func readFile(at path: String) throws(FileSystemError) -> Data? {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        if descriptor < 0 {
            if errno == ENOENT { return nil }
            throw FileSystemError(operation: "open", path: path, code: errno)
        }
        defer { _ = Self.closeDescriptor(descriptor) }
        // Read into a buffer of the file's size (plus one byte, to see the end in the same pass),
        // growing it only if the file grew meanwhile: a 30 MB snapshot is then neither copied
        // nor reallocated on the way in.
        var status = stat()
        let size = fstat(descriptor, &status) == 0 ? max(0, Int(status.st_size)) : 0
        var result = Data(count: size + 1)
        var length = 0
        while true {
            if length == result.count { result.count += max(1 << 20, result.count / 2) }
            let count = result.withUnsafeMutableBytes { buffer in
                read(descriptor, buffer.baseAddress! + length, buffer.count - length)
            }
            if count < 0 {
                if errno == EINTR { continue }
                throw FileSystemError(operation: "read", path: path, code: errno)
            }
            if count == 0 {
                result.count = length
                return result
            }
            length += count
        }
    }

    package func openForWriting(_ path: String, truncate: Bool) throws(FileSystemError) -> StateFileHandle {
        let flags = O_WRONLY | O_CREAT | O_CLOEXEC | (truncate ? O_TRUNC : O_APPEND)
        let descriptor = open(path, flags, 0o644)
        if descriptor < 0 { throw FileSystemError(operation: "open", path: path, code: errno) }
        return StateFileHandle(rawValue: descriptor)
    }

    package func write(_ data: Data, to file: StateFileHandle) throws(FileSystemError) {
        var failure: Int32 = 0
        data.withUnsafeBytes { bytes in
            var offset = 0
            while offset < bytes.count {
                let written = Glue.write(file.rawValue, bytes.baseAddress! + offset, bytes.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    failure = errno
                    return
                }
                offset += written
            }
        }
        if failure != 0 { throw FileSystemError(operation: "write", path: "fd \(file.rawValue)", code: failure) }
    }

    package func synchronize(_ file: StateFileHandle) throws(FileSystemError) {
        if Glue.fullSync(file.rawValue) != 0 {
            throw FileSystemError(operation: "fsync", path: "fd \(file.rawValue)", code: errno)
        }
    }

    package func truncate(_ file: StateFileHandle, toLength length: Int) throws(FileSystemError) {
        if ftruncate(file.rawValue, off_t(length)) != 0 {
            throw FileSystemError(operation: "ftruncate", path: "fd \(file.rawValue)", code: errno)
        }
    }

    package func close(_ file: StateFileHandle) {
        _ = Self.closeDescriptor(file.rawValue)
    }

    package func rename(_ source: String, to destination: String) throws(FileSystemError) {
        if Glue.rename(source, destination) != 0 {
            throw FileSystemError(operation: "rename", path: "\(source) -> \(destination)", code: errno)
        }
    }

    package func synchronizeDirectory(_ path: String) throws(FileSystemError) {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        if descriptor < 0 { throw FileSystemError(operation: "open", path: path, code: errno) }
        defer { _ = Self.closeDescriptor(descriptor) }
        if Glue.directorySync(descriptor) != 0 {
            throw FileSystemError(operation: "fsync", path: path, code: errno)
        }
    }

    package func removeFile(at path: String) throws(FileSystemError) {
        if unlink(path) != 0 && errno != ENOENT {
            throw FileSystemError(operation: "unlink", path: path, code: errno)
        }
    }

    package func lock(_ path: String) throws(FileSystemError) -> StateFileHandle {
        let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        if descriptor < 0 { throw FileSystemError(operation: "open", path: path, code: errno) }
        while flock(descriptor, LOCK_EX | LOCK_NB) != 0 {
            if errno == EINTR { continue }
            let code = errno
            _ = Self.closeDescriptor(descriptor)
            throw FileSystemError(operation: "flock", path: path, code: code)
        }
        return StateFileHandle(rawValue: descriptor)
    }

    package func unlock(_ lock: StateFileHandle) {
        _ = flock(lock.rawValue, LOCK_UN)
        _ = Self.closeDescriptor(lock.rawValue)
    }

    private static func closeDescriptor(_ descriptor: Int32) -> Int32 {
        Glue.close(descriptor)
    }
}

/// The platform calls whose names clash with `POSIXFileSystem`'s methods or differ between
/// platforms.
private enum Glue {
    static func write(_ descriptor: Int32, _ bytes: UnsafeRawPointer, _ count: Int) -> Int {
        #if canImport(Darwin)
        Darwin.write(descriptor, bytes, count)
        #elseif canImport(Glibc)
        Glibc.write(descriptor, bytes, count)
        #else
        Musl.write(descriptor, bytes, count)
        #endif
    }

    static func close(_ descriptor: Int32) -> Int32 {
        #if canImport(Darwin)
        Darwin.close(descriptor)
        #elseif canImport(Glibc)
        Glibc.close(descriptor)
        #else
        Musl.close(descriptor)
        #endif
    }

    static func rename(_ source: String, _ destination: String) -> Int32 {
        #if canImport(Darwin)
        Darwin.rename(source, destination)
        #elseif canImport(Glibc)
        Glibc.rename(source, destination)
        #else
        Musl.rename(source, destination)
        #endif
    }

    /// `fsync`, or on Darwin `F_FULLFSYNC`, which also flushes the drive's write cache.
    static func fullSync(_ descriptor: Int32) -> Int32 {
        #if canImport(Darwin)
        if fcntl(descriptor, F_FULLFSYNC) == 0 { return 0 }
        if errno != ENOTSUP && errno != EINVAL { return -1 }
        #endif
        // Never retried, not even on EINTR: after a failed fsync the kernel may have dropped the
        // dirty pages, so a second fsync could report success for data that is gone.
        return fsync(descriptor)
    }

    /// Syncs a directory descriptor; on Darwin `F_FULLFSYNC` when the file system supports it.
    static func directorySync(_ descriptor: Int32) -> Int32 {
        fullSync(descriptor)
    }
}
