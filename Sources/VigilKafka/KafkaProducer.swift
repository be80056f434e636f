import CRDKafka
import Foundation
import Synchronization

/// A Kafka producer with delivery reports. `produce` never blocks: it enqueues
/// in librdkafka's buffer (or throws a retriable queue-full error); a
/// dedicated thread serves delivery reports. As a `Service` it flushes what it
/// holds at graceful shutdown (`KafkaProducer+Service.swift`) and reports its
/// own health (`problem`).
public final class KafkaProducer: Sendable {
    let handle: KafkaHandle
    let deliveries: Deliveries
    private let poller: PollThread
    /// The longest the flush at graceful shutdown may take.
    public let shutdownFlushTimeout: Duration

    /// `settings` are librdkafka properties; `bootstrap.servers` is required.
    public init(settings: [String: String], shutdownFlushTimeout: Duration = .seconds(5)) throws {
        self.shutdownFlushTimeout = shutdownFlushTimeout
        let deliveries = Deliveries()
        let conf = try makeRDKafkaConfig(settings.merging(["enable.idempotence": "false"]) { current, _ in current })
        rd_kafka_conf_set_opaque(conf, Unmanaged.passUnretained(deliveries).toOpaque())
        rd_kafka_conf_set_dr_msg_cb(conf) { _, message, opaque in
            guard let message, let opaque else { return }
            let deliveries = Unmanaged<Deliveries>.fromOpaque(opaque).takeUnretainedValue()
            let err = message.pointee.err
            deliveries.complete(
                id: UInt(bitPattern: message.pointee._private),
                error: err == RD_KAFKA_RESP_ERR_NO_ERROR ? nil : KafkaError(err, "delivery"))
        }
        rd_kafka_conf_set_error_cb(conf) { _, err, reason, opaque in
            guard let opaque else { return }
            let deliveries = Unmanaged<Deliveries>.fromOpaque(opaque).takeUnretainedValue()
            deliveries.clientError(KafkaError(rd_kafka_resp_err_t(err), "client"), reason: reason.map { String(cString: $0) } ?? "")
        }
        let handle = KafkaHandle(try makeRDKafkaHandle(RD_KAFKA_PRODUCER, conf), callbackContext: deliveries)
        self.handle = handle
        self.deliveries = deliveries
        poller = PollThread(name: "vigil.kafka.producer") { rd_kafka_poll(handle.pointer, 100) }
    }

    deinit {
        poller.stop()
        rd_kafka_flush(handle.pointer, 5_000)
    }

    /// Counts of messages acknowledged and failed since start.
    public var delivered: Int { deliveries.counts.delivered }
    public var failed: Int { deliveries.counts.failed }
    /// Messages handed to librdkafka and not yet acknowledged or failed.
    public var inFlight: Int { Int(rd_kafka_outq_len(handle.pointer)) }

    /// Enqueues one message; `onDelivery` runs on the delivery thread when the
    /// broker acknowledges it (nil error) or it fails for good.
    public func produce(
        topic: String, key: [UInt8], value: [UInt8], partition: Int32? = nil, timestampMillis: Int64 = 0,
        onDelivery: (@Sendable (KafkaError?) -> Void)? = nil
    ) throws {
        let id = deliveries.register(onDelivery)
        let err = key.withUnsafeBytes { k in
            value.withUnsafeBytes { v in
                vigil_rd_kafka_produce(
                    handle.pointer, topic, partition ?? vigil_rd_kafka_partition_ua,
                    k.baseAddress, k.count, v.baseAddress, v.count, timestampMillis,
                    UnsafeMutableRawPointer(bitPattern: id))
            }
        }
        if err != RD_KAFKA_RESP_ERR_NO_ERROR {
            deliveries.forget(id: id)
            throw KafkaError(err, "produce to \(topic)")
        }
    }

    /// Produces one message and waits until the broker acknowledges it.
    public func send(topic: String, key: [UInt8], value: [UInt8]) async throws {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, Error>) in
            do {
                try produce(topic: topic, key: key, value: value) { error in
                    if let error { continuation.resume(throwing: error) } else { continuation.resume() }
                }
            } catch {
                continuation.resume(throwing: error)
            }
        }
    }

    /// Waits until every enqueued message is delivered or failed, or the timeout passes.
    public func flush(timeout: Duration = .seconds(30)) async throws {
        let handle = handle
        let millis = Int32(timeout.components.seconds * 1000 + timeout.components.attoseconds / 1_000_000_000_000_000)
        let err = await runBlocking { rd_kafka_flush(handle.pointer, millis) }
        if err != RD_KAFKA_RESP_ERR_NO_ERROR { throw KafkaError(err, "flush") }
    }
}

/// Per-message completions keyed by the id passed to librdkafka as the message opaque.
final class Deliveries: Sendable {
    struct State {
        var nextID: UInt = 1
        var pending: [UInt: @Sendable (KafkaError?) -> Void] = [:]
        var delivered = 0
        var failed = 0
        var health = KafkaProducerHealth()
    }
    private let state = Mutex(State())

    var counts: (delivered: Int, failed: Int) { state.withLock { ($0.delivered, $0.failed) } }

    func problem(waiting: Int) -> String? { state.withLock { $0.health.problem(waiting: waiting, at: .now) } }

    func clientError(_ error: KafkaError, reason: String) {
        state.withLock { $0.health.clientError(error, reason: reason, at: .now) }
    }

    func register(_ completion: (@Sendable (KafkaError?) -> Void)?) -> UInt {
        state.withLock { s in
            let id = s.nextID
            s.nextID &+= 1
            if s.nextID == 0 { s.nextID = 1 }
            if let completion { s.pending[id] = completion }
            return id
        }
    }

    func forget(id: UInt) { _ = state.withLock { $0.pending.removeValue(forKey: id) } }

    func complete(id: UInt, error: KafkaError?) {
        let completion = state.withLock { s -> (@Sendable (KafkaError?) -> Void)? in
            if let error {
                s.failed += 1
                s.health.failed(error, at: .now)
            } else {
                s.delivered += 1
                s.health.delivered()
            }
            return s.pending.removeValue(forKey: id)
        }
        completion?(error)
    }
}
