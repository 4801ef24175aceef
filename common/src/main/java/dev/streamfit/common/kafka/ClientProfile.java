package dev.streamfit.common.kafka;

import dev.streamfit.schemas.TopicSpec;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;

/**
 * A named set of Kafka client configs that {@link KafkaClients} lays over the bootstrap address, later profiles
 * winning, the way Kafka Streams keeps {@code CONSUMER_EOS_OVERRIDES}: each setting streamfit relies on is stated
 * once, here, with its reason. Immutable.
 *
 * @param name what the profile is for, shown in {@link #toString()}
 * @param configs client configs; copied, never null
 */
public record ClientProfile(String name, Map<String, Object> configs) {
  /**
   * {@code max.in.flight.requests.per.connection} of transactional producers. With transactions v2 (KIP-890, the
   * default on Kafka 4 brokers) a producer's first batch to a partition in each transaction must carry sequence 0,
   * because every commit bumps the producer epoch. When that first batch is refused with the retriable
   * {@code CONCURRENT_TRANSACTIONS} (the coordinator is still writing the previous transaction's markers, which
   * happens under load) while the partition's next batch is already in flight, the broker rejects the next batch
   * with a retriable {@code OUT_OF_ORDER_SEQUENCE_NUMBER} (KAFKA-18202) and logs that at ERROR with a stack trace.
   * The client retries both and nothing is lost or duplicated, but the log reads as a failure. One request in
   * flight per connection closes the window (its cost: README, "What a run prints").
   */
  public static final int TRANSACTIONAL_MAX_IN_FLIGHT = 1;

  /** Consumers of what transactions wrote: {@code read_committed}, offsets never auto-committed. */
  public static final ClientProfile READ_COMMITTED = new ClientProfile("read-committed", Map.of(
      ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
      ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false));

  /** Producers whose records must not be lost or doubled by a retry: idempotent, {@code acks=all}. */
  public static final ClientProfile DURABLE = new ClientProfile("durable", Map.of(
      ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true,
      ProducerConfig.ACKS_CONFIG, "all"));

  /** The producer's {@code buffer.memory} default (32 MiB). */
  private static final long DEFAULT_BUFFER_MEMORY = 32L * 1024 * 1024;

  public ClientProfile {
    Objects.requireNonNull(name, "name");
    configs = Map.copyOf(configs);
  }

  /** A profile of its own, e.g. one client's poll size. */
  public static ClientProfile of(String name, Map<String, Object> configs) {
    return new ClientProfile(name, configs);
  }

  /** {@link #DURABLE} with {@code transactional.id} {@code id} and {@link #TRANSACTIONAL_MAX_IN_FLIGHT}. */
  public static ClientProfile transactional(String id) {
    Map<String, Object> m = new LinkedHashMap<>(DURABLE.configs);
    m.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, id);
    m.put(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, TRANSACTIONAL_MAX_IN_FLIGHT);
    return new ClientProfile("transactional", m);
  }

  /**
   * Consumers of {@code topics}: a partition fetch holds the largest record any of them accepts (their
   * {@code max.message.bytes}, from {@link dev.streamfit.schemas.Topics#specs()}), a fetch at least that.
   */
  public static ClientProfile reading(TopicSpec... topics) {
    int max = maxMessageBytes(topics);
    return new ClientProfile("reading", Map.of(
        ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, max,
        ConsumerConfig.FETCH_MAX_BYTES_CONFIG, Math.max(ConsumerConfig.DEFAULT_FETCH_MAX_BYTES, max)));
  }

  /**
   * Producers to {@code topics}: a request holds the largest record any of them accepts, and the send buffer two
   * of them.
   */
  public static ClientProfile writing(TopicSpec... topics) {
    long max = maxMessageBytes(topics);
    return new ClientProfile("writing", Map.of(
        ProducerConfig.MAX_REQUEST_SIZE_CONFIG, (int) max,
        ProducerConfig.BUFFER_MEMORY_CONFIG, Math.max(DEFAULT_BUFFER_MEMORY, 2 * max)));
  }

  /** Producers of many records a second: wait {@code lingerMs} to fill batches of up to {@code batchBytes}. */
  public static ClientProfile batching(int lingerMs, int batchBytes) {
    return new ClientProfile("batching", Map.of(
        ProducerConfig.LINGER_MS_CONFIG, lingerMs,
        ProducerConfig.BATCH_SIZE_CONFIG, batchBytes));
  }

  /** {@code client.id} {@code id} (names the client in broker logs and metrics). */
  public static ClientProfile clientId(String id) {
    return new ClientProfile("client-id", Map.of(ConsumerConfig.CLIENT_ID_CONFIG, id));
  }

  /** At most {@code n} records a poll. */
  public static ClientProfile maxPollRecords(int n) {
    return new ClientProfile("max-poll-records", Map.of(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, n));
  }

  /** A member of consumer group {@code groupId} that starts from the earliest offset where it has none. */
  public static ClientProfile group(String groupId) {
    return new ClientProfile("group", Map.of(
        ConsumerConfig.GROUP_ID_CONFIG, groupId,
        ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest"));
  }

  private static int maxMessageBytes(TopicSpec... topics) {
    if (topics.length == 0) {
      throw new IllegalArgumentException("a reading or writing profile needs at least one topic");
    }
    int max = 0;
    for (TopicSpec t : topics) {
      max = Math.max(max, t.maxMessageBytes());
    }
    return max;
  }

  @Override
  public String toString() {
    return name + configs;
  }
}
