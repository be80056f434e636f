import Foundation

/// The one encoding of every verifier's stored cursor: JSON `{"v": version,
/// "at": cursor}`, where `v` is the check's `cursorVersion`. A cursor that
/// does not decode (another version, an older hand-laid byte layout, damage)
/// is an error the runner answers by restarting the pass, never a crash.
public enum CursorEncoding {
    private struct Envelope<Cursor: Codable>: Codable {
        var v: Int
        var at: Cursor
    }

    private struct VersionOnly: Decodable {
        var v: Int
    }

    public static func encode<Cursor: Codable>(_ cursor: Cursor, version: Int) throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return Array(try encoder.encode(Envelope(v: version, at: cursor)))
    }

    public static func decode<Cursor: Codable>(_ type: Cursor.Type, from bytes: [UInt8], version: Int) throws(CursorDecodingError) -> Cursor {
        let data = Data(bytes)
        guard let stored = try? JSONDecoder().decode(VersionOnly.self, from: data) else {
            throw CursorDecodingError(reason: "not a versioned cursor (\(bytes.count) bytes, perhaps an older layout)")
        }
        guard stored.v == version else {
            throw CursorDecodingError(reason: "cursor version \(stored.v), this build reads version \(version)")
        }
        do {
            return try JSONDecoder().decode(Envelope<Cursor>.self, from: data).at
        } catch {
            throw CursorDecodingError(reason: "version \(version) cursor that does not decode: \(error)")
        }
    }
}

/// Why a stored cursor could not be read; the pass restarts from its beginning.
public struct CursorDecodingError: Error, Sendable, CustomStringConvertible {
    public var reason: String
    public var description: String { "stored cursor unreadable: \(reason)" }
}
