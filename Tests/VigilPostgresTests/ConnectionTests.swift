import Testing
import VigilCore
import VigilPostgres
import VigilTestSupport

@Suite(.timeLimit(.minutes(2))) struct ConnectionTests {
    @Test func parametersAndResultsRoundTripInBinary() async throws {
        try await TestPostgres.shared.withDatabase { url in
            let c = try await PostgresConnection.connect(url: url)
            let rows = try await c.query(
                "SELECT $1::int8, $2::int4, $3::text, $4::bytea, $5::bool, $6::timestamptz, $7::text IS NULL",
                [.int64(-5), .int32(7), .text("zone-ä"), .bytea([0, 1, 255]), .bool(true), .timestamp(micros: 1_700_000_000_123_456), .null])
            #expect(try rows.int64(0, 0) == -5)
            #expect(try rows.int64(0, 1) == 7)
            #expect(rows.string(0, 2) == "zone-ä")
            #expect(rows.bytes(0, 3) == [0, 1, 255])
            #expect(try rows.bool(0, 4))
            #expect(try rows.timestampMicros(0, 5) == 1_700_000_000_123_456)
            #expect(try rows.bool(0, 6))
        }
    }

    @Test func serverErrorsAreTypedAndSQLInjectionIsInert() async throws {
        try await TestPostgres.shared.withDatabase { url in
            let c = try await PostgresConnection.connect(url: url)
            try await c.simpleQuery("CREATE TABLE t (name text PRIMARY KEY)")
            try await c.query("INSERT INTO t VALUES ($1)", [.text("x'); DROP TABLE t; --")])
            let error = await #expect(throws: PostgresError.self) { try await c.query("INSERT INTO t VALUES ($1)", [.text("x'); DROP TABLE t; --")]) }
            #expect(error?.isUniqueViolation == true)
            #expect(error?.isRetriable == false)
            #expect(try await c.query("SELECT count(*) FROM t").int(0, 0) == 1)
        }
    }

    @Test func connectionFailureIsRetriableAndLeaksNoPassword() async throws {
        let port = try freeLoopbackPort()
        let error = await #expect(throws: PostgresError.self) {
            _ = try await PostgresConnection.connect(url: "postgresql://vigil:s3cret-pw@127.0.0.1:\(port)/x?connect_timeout=2")
        }
        #expect(error?.code == .connection)
        #expect(error?.isRetriable == true)
        #expect(error.map { !"\($0)".contains("s3cret-pw") } == true)
    }

    @Test func transactionRollsBackWhenTheBodyThrows() async throws {
        try await TestPostgres.shared.withDatabase { url in
            let c = try await PostgresConnection.connect(url: url)
            try await c.simpleQuery("CREATE TABLE t (n int)")
            struct Boom: Error {}
            await #expect(throws: Boom.self) {
                try await c.transaction { tx in
                    try await tx.query("INSERT INTO t VALUES (1)")
                    throw Boom()
                }
            }
            #expect(try await c.query("SELECT count(*) FROM t").int(0, 0) == 0)
        }
    }
}
