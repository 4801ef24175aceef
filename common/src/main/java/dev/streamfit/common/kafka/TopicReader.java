package dev.streamfit.common.kafka;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;

/**
 * Reads a topic (typically a compacted one: the image index, the model versions, serving's decisions) from its
 * beginning to its end as of the call: the one place that knows how far "the end" is and what to do when a
 * transaction keeps it from being reached. Stateless; the handlers run on the calling thread.
 */
public final class TopicReader {
  private static final Duration POLL = Duration.ofMillis(200);

  /** Where a read stops. */
  public enum End {
    /**
     * The last stable offset a {@code read_committed} consumer reports: what committed transactions hold now. A
     * transaction committed a moment ago whose markers are not written yet is not included.
     */
    LAST_STABLE,
    /**
     * The high watermark: everything written, committed or not. A {@code read_committed} read waits for open
     * transactions to end (or the timeout), so a transaction committed a moment ago is never missed.
     */
    HIGH_WATERMARK
  }

  private TopicReader() {}

  /**
   * Reads every partition of {@code topic} from its beginning to {@link End} {@code end}, read_committed, calling
   * {@code each} per record.
   *
   * @param profiles more client settings (e.g. {@link ClientProfile#reading} for large records)
   * @return true if every partition was read to its end, false if {@code timeout} passed first
   * @throws IllegalStateException if the cluster or the topic cannot be reached within {@code timeout}
   */
  public static boolean readAll(String bootstrap, String topic, End end, Duration timeout,
      Consumer<ConsumerRecord<String, byte[]>> each, ClientProfile... profiles) {
    ClientProfile[] all = new ClientProfile[profiles.length + 1];
    all[0] = ClientProfile.READ_COMMITTED;
    System.arraycopy(profiles, 0, all, 1, profiles.length);
    try (KafkaConsumer<String, byte[]> c = KafkaClients.consumer(bootstrap, all)) {
      List<TopicPartition> parts = assignFromBeginning(c, topic, timeout);
      Map<TopicPartition, Long> ends;
      if (end == End.HIGH_WATERMARK) {
        try (KafkaConsumer<String, byte[]> uncommitted = KafkaClients.consumer(bootstrap)) {
          ends = uncommitted.endOffsets(parts, timeout);
        }
      } else {
        ends = c.endOffsets(parts, timeout);
      }
      return readToEnd(c, parts, ends, timeout, () -> true, each);
    } catch (KafkaException | IllegalStateException e) {
      throw new IllegalStateException("cannot read " + topic + " on " + bootstrap + " within " + timeout + ": "
          + e.getMessage() + " (is --bootstrap-servers right and the cluster up?)", e);
    }
  }

  /**
   * Polls {@code consumer} (assigned {@code parts}, positioned by the caller) until each partition's position
   * reaches {@code ends}, calling {@code each} per record.
   *
   * @return true if every partition reached its end, false if {@code timeout} passed or {@code keepGoing} turned
   *     false first
   */
  public static boolean readToEnd(KafkaConsumer<String, byte[]> consumer, Collection<TopicPartition> parts,
      Map<TopicPartition, Long> ends, Duration timeout, BooleanSupplier keepGoing,
      Consumer<ConsumerRecord<String, byte[]>> each) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (parts.stream().anyMatch(p -> consumer.position(p) < ends.get(p))) {
      if (!keepGoing.getAsBoolean() || System.nanoTime() > deadline) {
        return false;
      }
      for (ConsumerRecord<String, byte[]> r : consumer.poll(POLL)) {
        each.accept(r);
      }
    }
    return true;
  }

  /**
   * The last record of {@code partition} as of now (read_uncommitted, as written), or empty when the partition
   * is empty or not read within {@code timeout}.
   */
  public static Optional<ConsumerRecord<String, byte[]>> last(String bootstrap, TopicPartition partition,
      Duration timeout, ClientProfile... profiles) {
    try (KafkaConsumer<String, byte[]> c = KafkaClients.consumer(bootstrap, profiles)) {
      c.assign(List.of(partition));
      long end = c.endOffsets(List.of(partition), timeout).get(partition);
      if (end == 0) {
        return Optional.empty();
      }
      c.seek(partition, end - 1);
      AtomicReference<ConsumerRecord<String, byte[]>> last = new AtomicReference<>();
      readToEnd(c, List.of(partition), Map.of(partition, end), timeout, () -> true, last::set);
      return Optional.ofNullable(last.get());
    }
  }

  /**
   * The record at {@code partition}/{@code offset} (read_committed), or empty when it is gone (compacted, deleted)
   * or not read within {@code timeout} or before {@code keepGoing} turns false.
   */
  public static Optional<ConsumerRecord<String, byte[]>> at(String bootstrap, TopicPartition partition, long offset,
      Duration timeout, BooleanSupplier keepGoing, ClientProfile... profiles) {
    ClientProfile[] all = new ClientProfile[profiles.length + 2];
    all[0] = ClientProfile.READ_COMMITTED;
    all[1] = ClientProfile.maxPollRecords(1);
    System.arraycopy(profiles, 0, all, 2, profiles.length);
    try (KafkaConsumer<String, byte[]> c = KafkaClients.consumer(bootstrap, all)) {
      c.assign(List.of(partition));
      c.seek(partition, offset);
      long deadline = System.nanoTime() + timeout.toNanos();
      while (keepGoing.getAsBoolean() && System.nanoTime() < deadline) {
        for (ConsumerRecord<String, byte[]> r : c.poll(POLL)) {
          return r.offset() == offset ? Optional.of(r) : Optional.empty();
        }
      }
      return Optional.empty();
    }
  }

  /**
   * The record at {@code partition}/{@code offset}, read with {@code consumer} (assigned that partition): its other
   * partitions are paused meanwhile and its position is restored after.
   *
   * @throws IllegalStateException if the record is gone (compacted, deleted) or not read within {@code timeout}
   */
  public static ConsumerRecord<String, byte[]> fetch(KafkaConsumer<String, byte[]> consumer, TopicPartition partition,
      long offset, Duration timeout) {
    long position = consumer.position(partition);
    List<TopicPartition> others = consumer.assignment().stream().filter(p -> !p.equals(partition)).toList();
    consumer.pause(others);
    try {
      consumer.seek(partition, offset);
      long deadline = System.nanoTime() + timeout.toNanos();
      while (System.nanoTime() < deadline) {
        for (ConsumerRecord<String, byte[]> r : consumer.poll(POLL).records(partition)) {
          if (r.offset() == offset) {
            return r;
          }
          if (r.offset() > offset) {
            throw new IllegalStateException("record " + partition + "@" + offset + " is gone (compacted or deleted)");
          }
        }
      }
      throw new IllegalStateException("record " + partition + "@" + offset + " not fetched within " + timeout);
    } finally {
      consumer.seek(partition, position);
      consumer.resume(others);
    }
  }

  /** Assigns {@code consumer} every partition of {@code topic}, each at its beginning; returns them. */
  public static List<TopicPartition> assignFromBeginning(KafkaConsumer<?, ?> consumer, String topic, Duration timeout) {
    List<TopicPartition> parts = partitions(consumer, topic, timeout);
    consumer.assign(parts);
    consumer.seekToBeginning(parts);
    return parts;
  }

  /**
   * The partitions of {@code topic}, from {@code consumer}'s metadata.
   *
   * @throws IllegalStateException if the topic does not exist
   */
  public static List<TopicPartition> partitions(KafkaConsumer<?, ?> consumer, String topic, Duration timeout) {
    List<TopicPartition> parts = new ArrayList<>();
    consumer.partitionsFor(topic, timeout).forEach(p -> parts.add(new TopicPartition(topic, p.partition())));
    if (parts.isEmpty()) {
      throw new IllegalStateException("topic " + topic + " does not exist (the stages create their topics at start;"
          + " are --bootstrap-servers and --topic-prefix right?)");
    }
    return parts;
  }
}
