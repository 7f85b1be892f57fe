import Dispatch
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes files atomically: all of the new content, or the old file untouched.
///
/// The recipe is the classic one (see e.g. the `rename(2)` man page and LWN's "Ensuring data reaches disk"):
/// 1. create a temporary file *in the same folder* as the destination (a rename is only atomic within one
///    file system, and the same folder is the one place guaranteed to be on the destination's file system);
/// 2. write everything into it and `fsync` it, so the bytes are on disk before the name points at them;
/// 3. `rename` it over the destination — readers see either the complete old file or the complete new one;
/// 4. `fsync` the folder so that the rename itself survives a crash.
/// If anything fails (or the caller's body throws) before step 3, the temporary file is deleted and the
/// destination keeps whatever it had before, so an interrupted run never leaves a partial output behind.
public enum AtomicFile {
    /// Streams bytes into the temporary file. Obtain one from `AtomicFile.write(to:_:)`; do not keep it.
    public struct Writer {
        fileprivate let descriptor: Int32
        fileprivate let url: URL
        /// Bytes appended so far.
        public private(set) var bytesWritten: Int = 0

        /// Appends raw bytes, retrying short writes and `EINTR` as POSIX requires.
        public mutating func append(_ bytes: UnsafeRawBufferPointer) throws {
            guard var pointer = bytes.baseAddress else { return }
            var remaining = bytes.count
            while remaining > 0 {
                let n = systemWrite(descriptor, pointer, remaining)
                if n < 0 {
                    if errno == EINTR { continue }
                    throw FileError(.io, url: url, "write failed: \(String(cString: strerror(errno)))")
                }
                pointer += n
                remaining -= n
                bytesWritten += n
            }
        }

        /// Appends the bytes of `data`.
        public mutating func append(_ data: Data) throws {
            try data.withUnsafeBytes { try append($0) }
        }

        /// Appends `string` encoded as UTF-8.
        public mutating func append(_ string: String) throws {
            try append(Data(string.utf8))
        }
    }

    /// Atomically replaces (or creates) `url` with `data`.
    public static func write(_ data: Data, to url: URL) throws {
        try write(to: url) { try $0.append(data) }
    }

    /// Atomically replaces (or creates) `url` with whatever `body` appends to the writer.
    /// If `body` throws, the destination is left exactly as it was and the error is rethrown.
    ///
    /// What the destination is decides how it is written, so that nothing the tool did not create is damaged:
    /// - a regular file, or a path that does not exist: the atomic recipe above;
    /// - a symbolic link: the same recipe at the file the link points to (the link itself stays a link);
    /// - an existing device, FIFO or socket (`/dev/null`, `/dev/stdout`, a named pipe): written through, in
    ///   place — it is not a file a rename could replace, and replacing it would destroy it;
    /// - `-`: standard output;
    /// - a folder: refused.
    public static func write(to url: URL, _ body: (inout Writer) throws -> Void) throws {
        if url.path == "-" || url.relativePath == "-" {
            var writer = Writer(descriptor: STDOUT_FILENO, url: url)
            try body(&writer)
            return
        }
        let destination = try resolvedDestination(url)
        var information = stat()
        if stat(destination.path, &information) == 0 {
            let type = information.st_mode & S_IFMT
            if type == S_IFDIR { throw FileError(.io, url: url, "is a folder, expected a file name") }
            if type != S_IFREG { return try writeThrough(destination, reportedAs: url, body) }
        }
        try writeAtomically(destination, reportedAs: url, body)
    }

    /// The file `url` names after following symbolic links (its own, and those of the folders above it).
    static func resolvedDestination(_ url: URL) throws -> URL {
        var information = stat()
        guard lstat(url.path, &information) == 0, information.st_mode & S_IFMT == S_IFLNK else { return url }
        guard let resolved = realpath(url.path, nil) else {
            // A dangling link: write where it points, creating that file.
            var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
            let n = readlink(url.path, &buffer, buffer.count - 1)
            guard n > 0 else { throw FileError(.io, url: url, "is a symbolic link that cannot be read") }
            let target = String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
            return target.hasPrefix("/") ? URL(fileURLWithPath: target)
                : url.deletingLastPathComponent().appendingPathComponent(target)
        }
        defer { free(resolved) }
        return URL(fileURLWithPath: String(cString: resolved))
    }

    /// Writes into an existing non-regular file (device, FIFO, socket) in place.
    private static func writeThrough(_ destination: URL, reportedAs url: URL, _ body: (inout Writer) throws -> Void) throws {
        let fd = open(destination.path, O_WRONLY | O_CLOEXEC)
        if fd < 0 { throw FileError(.io, url: url, "cannot be opened for writing (\(String(cString: strerror(errno))))") }
        defer { close(fd) }
        var writer = Writer(descriptor: fd, url: url)
        try body(&writer)
    }

    /// The atomic recipe: temporary file in the destination's folder, fsync, rename, fsync the folder.
    private static func writeAtomically(_ destination: URL, reportedAs url: URL, _ body: (inout Writer) throws -> Void) throws {
        let folder = destination.deletingLastPathComponent()
        let temporary = folder.appendingPathComponent(
            ".\(destination.lastPathComponent).tmp-\(getpid())-\(String(UInt32.random(in: 0...UInt32.max), radix: 16))")

        let fd = TemporaryFiles.shared.create(temporary.path)
        if fd < 0 {
            let reason = String(cString: strerror(errno))
            throw FileError(.io, url: url, "cannot create a temporary file in \(folder.path) (\(reason))")
        }
        var committed = false
        var closed = false
        defer {
            if !closed { close(fd) }
            if !committed { unlink(temporary.path) }
            TemporaryFiles.shared.remove(temporary.path)
        }

        // Keep the permission bits of a file we replace (otherwise a 0600 file would silently become 0644).
        var existing = stat()
        if stat(destination.path, &existing) == 0 { _ = fchmod(fd, existing.st_mode & 0o7777) }

        var writer = Writer(descriptor: fd, url: url)
        try body(&writer)

        if fsync(fd) != 0 {
            throw FileError(.io, url: url, "fsync failed: \(String(cString: strerror(errno)))")
        }
        closed = true
        if close(fd) != 0 {
            throw FileError(.io, url: url, "close failed: \(String(cString: strerror(errno)))")
        }
        if rename(temporary.path, destination.path) != 0 {
            throw FileError(.io, url: url, "cannot replace the file (\(String(cString: strerror(errno))))")
        }
        committed = true

        // Best effort: a folder we cannot open for fsync does not make the write less complete.
        let folderDescriptor = open(folder.path, O_RDONLY | O_CLOEXEC)
        if folderDescriptor >= 0 {
            _ = fsync(folderDescriptor)
            close(folderDescriptor)
        }
    }

    /// Whether two paths name the same existing file (same device and inode, links followed): an output that
    /// would overwrite an input is refused by its caller.
    public static func sameFile(_ a: URL, _ b: URL) -> Bool {
        var sa = stat(), sb = stat()
        guard stat(a.path, &sa) == 0, stat(b.path, &sb) == 0 else { return false }
        return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino
    }

    /// Removes the temporary file of any write in progress when the process receives SIGINT or SIGTERM, then
    /// exits with the conventional status 128 + signal. Call once at the start of a command-line program.
    ///
    /// The signals are blocked in every thread and taken by one thread of their own waiting in `sigwait`, not by
    /// raw handlers: the clean-up then runs on an ordinary thread, where taking a lock and calling `unlink` are
    /// allowed (neither is async-signal-safe), and it runs at once however busy the other threads are (a dispatch
    /// source's handler waits for a free worker of the global queues, which a parallel computation may hold until
    /// it finishes). Call it before any other thread starts, so that every thread inherits the blocked mask.
    public static func removeTemporaryFilesOnInterrupt() {
        TemporaryFiles.shared.installSignalThread()
    }
}

/// The temporary files of writes in progress, for the interrupt clean-up.
private final class TemporaryFiles: @unchecked Sendable {
    static let shared = TemporaryFiles()
    // Guarded by `lock`; the class is shared by the writers and the signal thread.
    private let lock = NSLock()
    private var paths = Set<String>()
    private var installed = false

    /// Creates the temporary file (exclusively, for writing) and records it, both under the lock: the interrupt
    /// clean-up, which takes the lock and never gives it back, then sees every file that exists, and no file can
    /// be created after it. Returns the descriptor, or −1 with `errno` set.
    func create(_ path: String) -> Int32 {
        lock.lock(); defer { lock.unlock() }
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o666)
        if fd >= 0 { paths.insert(path) }
        return fd
    }
    func remove(_ path: String) { lock.lock(); paths.remove(path); lock.unlock() }

    func installSignalThread() {
        lock.lock(); defer { lock.unlock() }
        guard !installed else { return }
        installed = true
        var signals = sigset_t()
        sigemptyset(&signals)
        sigaddset(&signals, SIGINT)
        sigaddset(&signals, SIGTERM)
        pthread_sigmask(SIG_BLOCK, &signals, nil)   // inherited by every thread started from now on
        let wanted = signals
        let thread = Thread { [self] in
            var waitFor = wanted, number: Int32 = 0
            while sigwait(&waitFor, &number) != 0 {}
            lock.lock()   // kept until the process ends: no temporary file can be created after the clean-up
            for path in paths { unlink(path) }
            exit(128 + number)
        }
        thread.start()
    }
}

/// `write(2)` under a name that does not collide with the `write` methods above.
@inline(__always)
private func systemWrite(_ fd: Int32, _ buffer: UnsafeRawPointer, _ count: Int) -> Int {
    #if canImport(Glibc)
    return Glibc.write(fd, buffer, count)
    #elseif canImport(Musl)
    return Musl.write(fd, buffer, count)
    #else
    return Darwin.write(fd, buffer, count)
    #endif
}
