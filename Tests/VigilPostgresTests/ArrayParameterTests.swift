import Testing
import VigilCore
import VigilPostgres
import VigilTestSupport

/// Swift arrays go to PostgreSQL as arrays (`= ANY($1)`), never as comma-joined
/// text: a value holding a comma, a quote, braces or a newline is one element.
@Suite("Array parameters", .timeLimit(.minutes(2)))
struct ArrayParameterTests {
    static let hostile = ["a,b", "it's", "\"quoted\"", "{braces}", "back\\slash", "line\nbreak", "", "NULL", " spaced ", "zone-ä"]

    @Test("hostile text, int8 and bytea elements round-trip one for one; an empty array is empty")
    func roundTrip() async throws {
        try await TestPostgres.shared.withDatabase { url in
            let c = try await PostgresConnection.connect(url: url)
            let rows = try await c.query("""
                SELECT $1::text[], cardinality($1::text[]), $2::int8[],
                       ($3::bytea[])[1] = '\\x002cff'::bytea AND length(($3::bytea[])[2]) = 0 AND cardinality($3::bytea[]) = 2,
                       $4::text[], cardinality($4::text[])
                """, [.textArray(Self.hostile), .int64Array([-1, 0, .max]), .byteaArray([[0, 44, 255], []]), .textArray([])])
            #expect(try rows.stringArray(0, 0) == Self.hostile)
            #expect(try rows.int(0, 1) == Self.hostile.count, "the server sees \(Self.hostile.count) elements, not a split string")
            #expect(try rows.int64Array(0, 2) == [-1, 0, .max])
            #expect(try rows.bool(0, 3), "bytea elements arrive byte for byte, an empty one included")
            #expect(try rows.stringArray(0, 4) == [])
            #expect(try rows.int(0, 5) == 0)
        }
    }

    @Test("= ANY($1) matches exactly the listed values: no element splits at a comma, an empty list matches nothing")
    func anyMatchesWholeElements() async throws {
        try await TestPostgres.shared.withDatabase { url in
            let c = try await PostgresConnection.connect(url: url)
            try await c.simpleQuery("CREATE TABLE t (name text PRIMARY KEY)")
            for name in Self.hostile + ["a", "b", "it"] { try await c.query("INSERT INTO t VALUES ($1)", [.text(name)]) }
            func matching(_ names: [String]) async throws -> [String] {
                let rows = try await c.query("SELECT name FROM t WHERE name = ANY($1) ORDER BY name", [.textArray(names)])
                return (0..<rows.count).map { rows.string($0, 0) }
            }
            #expect(try await matching(["a,b"]) == ["a,b"], "a comma is not a separator")
            #expect(try await matching(["it's", "{braces}"]) == ["it's", "{braces}"])
            #expect(try await matching([]) == [])
            #expect(try await matching([""]) == [""])
            #expect(try await c.query("SELECT count(*) FROM t WHERE NOT (name = ANY($1))", [.textArray([])]).int(0, 0) == Self.hostile.count + 3)
        }
    }

    @Test("a zone topology's stages and a user's zones keep commas and quotes")
    func callersKeepHostileNames() async throws {
        try await TestPostgres.shared.withDatabase { url in
            let c = try await PostgresConnection.connect(url: url)
            try await Migrator(set: .blockIndex).migrate(c)
            try await ZoneTopology(zone: "zone-a", profile: "dev", watcherStages: ["1m,1h", "it's"]).save(c)
            #expect(try await ZoneTopology.load(c)?.watcherStages == ["1m,1h", "it's"])
        }
        try await TestPostgres.shared.withDatabase { url in
            try await Migrator(set: .fileJournal).migrate(try await PostgresConnection.connect(url: url))
            let journal = FileJournal(pool: PostgresPool(url: url, size: 1))
            let user = try await journal.user(named: "ann", creatingIn: ["zone,a", "zone \"b\""])
            #expect(user.zones == ["zone,a", "zone \"b\""])
        }
    }

    @Test("a column that is not an array is a decoding error, not a crash")
    func notAnArrayThrows() async throws {
        try await TestPostgres.shared.withDatabase { url in
            let c = try await PostgresConnection.connect(url: url)
            let rows = try await c.query("SELECT 7::int4, 'x'::text, ARRAY[NULL::text]")
            #expect(throws: PostgresError.self) { try rows.stringArray(0, 0) }
            #expect(throws: PostgresError.self) { try rows.stringArray(0, 1) }
            #expect(throws: PostgresError.self) { try rows.stringArray(0, 2) }
        }
    }
}
