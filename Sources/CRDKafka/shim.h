#ifndef VIGIL_CRDKAFKA_SHIM_H
#define VIGIL_CRDKAFKA_SHIM_H
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

/// Macros with casts that Swift cannot import, as constants.
static const int32_t vigil_rd_kafka_partition_ua = RD_KAFKA_PARTITION_UA;
static const int64_t vigil_rd_kafka_offset_invalid = RD_KAFKA_OFFSET_INVALID;

/// `rd_kafka_producev` is variadic and cannot be called from Swift: this
/// inline wrapper calls it with a copied key and value and a per-message opaque.
static inline rd_kafka_resp_err_t vigil_rd_kafka_produce(
    rd_kafka_t *rk, const char *topic, int32_t partition,
    const void *key, size_t key_len, const void *value, size_t value_len,
    int64_t timestamp_ms, void *msg_opaque) {
    return rd_kafka_producev(
        rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_PARTITION(partition),
        RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
        RD_KAFKA_V_KEY(key, key_len), RD_KAFKA_V_VALUE((void *)value, value_len),
        RD_KAFKA_V_TIMESTAMP(timestamp_ms), RD_KAFKA_V_OPAQUE(msg_opaque),
        RD_KAFKA_V_END);
}
#endif
