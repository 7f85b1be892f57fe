import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Bytes that a reader takes in pieces at chosen offsets: an open file or bytes already in memory.
///
/// The binary readers work through this so that they can look at a header, check what it claims against
/// the real size, and only then read (and allocate for) the data — and read only part of it when that is
/// all that is asked for. A file is never read whole just to find out that it is unusable.
protocol ByteSource {
    /// The total number of bytes.
    var size: Int { get }
    /// The name for error messages (the path as the user gave it).
    var name: String { get }
    /// Fills `buffer` with the bytes starting at `offset`; `offset + buffer.count` must not exceed `size`.
    func read(into buffer: UnsafeMutableRawBufferPointer, at offset: Int) throws
}

extension ByteSource {
    /// The `count` bytes at `offset` (at most `size - offset`), as an array.
    func bytes(at offset: Int, count: Int) throws -> [UInt8] {
        let available = max(0, min(count, size - offset))
        return try [UInt8](unsafeUninitializedCapacity: available) { buffer, initialized in
            try read(into: UnsafeMutableRawBufferPointer(buffer), at: offset)
            initialized = available
        }
    }
}

/// Bytes already in memory, for the `decode(_:file:)` entry points.
struct MemoryBytes: ByteSource {
    let data: Data
    let name: String
    var size: Int { data.count }

    func read(into buffer: UnsafeMutableRawBufferPointer, at offset: Int) throws {
        guard buffer.count > 0 else { return }
        data.withUnsafeBytes { raw in
            buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: raw[offset..<(offset + buffer.count)]))
        }
    }
}

/// A regular file opened for positioned reads (`pread`): only the bytes asked for enter memory, so a header
/// can be checked and a block of rows read without regard to how large the file is.
final class InputFile: ByteSource {
    let name: String
    let size: Int
    private let descriptor: Int32

    /// Opens `url` for reading. A regular file is read in place; anything else (a pipe, a device such as
    /// /dev/stdin) cannot be read at an offset and is read whole into memory instead.
    static func open(_ url: URL) throws -> any ByteSource {
        let path = url.path
        let fd = systemOpen(path)
        if fd < 0 {
            let code = errno
            if code == ENOENT { throw FileError(.notFound, url: url, "no such file") }
            throw FileError(.io, url: url, "cannot be opened (\(String(cString: strerror(code))))")
        }
        var information = stat()
        guard fstat(fd, &information) == 0 else {
            let reason = String(cString: strerror(errno))
            _ = close(fd)
            throw FileError(.io, url: url, "cannot be examined (\(reason))")
        }
        let type = information.st_mode & S_IFMT
        if type == S_IFDIR {
            _ = close(fd)
            throw FileError(.io, url: url, "is a directory, expected a file")
        }
        if type != S_IFREG {
            // A stream has no size to check in advance, and may not end (/dev/zero): it is read up to a limit.
            let limit = Int(clamping: ProcessInfo.processInfo.physicalMemory / 16)
            let handle = FileHandle(fileDescriptor: fd, closeOnDealloc: true)
            var data = Data()
            do {
                while let piece = try handle.read(upToCount: 1 << 20), !piece.isEmpty {
                    data.append(piece)
                    if data.count > limit {
                        throw FileError(.tooLarge, url: url,
                                        "is a stream longer than \(describeByteCount(Double(limit))) (a 16th of this machine's memory); save it to a file first")
                    }
                }
            } catch let error as FileError {
                throw error
            } catch {
                throw FileError(.io, url: url, "cannot be read (\(error.localizedDescription))")
            }
            return MemoryBytes(data: data, name: path)
        }
        return InputFile(descriptor: fd, size: Int(information.st_size), name: path)
    }

    private init(descriptor: Int32, size: Int, name: String) {
        self.descriptor = descriptor
        self.size = size
        self.name = name
    }

    deinit { _ = close(descriptor) }

    func read(into buffer: UnsafeMutableRawBufferPointer, at offset: Int) throws {
        guard var pointer = buffer.baseAddress else { return }
        var remaining = buffer.count
        var position = offset
        while remaining > 0 {
            // Linux transfers at most about 2 GiB per call; larger requests simply loop.
            let n = pread(descriptor, pointer, min(remaining, 1 << 30), off_t(position))
            if n < 0 {
                if errno == EINTR { continue }
                throw FileError(.io, file: name, "read failed at byte \(position) (\(String(cString: strerror(errno))))")
            }
            if n == 0 {
                throw FileError(.malformed, file: name,
                                "truncated: the file ended at byte \(position) while being read, but had \(size) bytes when opened (was it changed meanwhile?)")
            }
            pointer += n
            remaining -= n
            position += n
        }
    }
}

private func systemOpen(_ path: String) -> Int32 {
    #if canImport(Glibc)
    return Glibc.open(path, O_RDONLY | O_CLOEXEC)
    #elseif canImport(Musl)
    return Musl.open(path, O_RDONLY | O_CLOEXEC)
    #else
    return Darwin.open(path, O_RDONLY | O_CLOEXEC)
    #endif
}
