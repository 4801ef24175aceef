package dev.streamfit.trainer.internal;

import dev.streamfit.common.kafka.ClientProfile;
import dev.streamfit.common.kafka.KafkaClients;
import dev.streamfit.common.kafka.TopicReader;
import dev.streamfit.schemas.AugmentedSample;
import dev.streamfit.schemas.AvroSerde;
import dev.streamfit.schemas.Topics;
import dev.streamfit.trainer.TrainerConfig;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The trainer's input: owns the consumer of {@code images.augmented} or {@code images.features} (read_committed, manual assignment of every
 * partition, positioned at the checkpoint's offsets: the checkpoint, not the group, is the source of truth), and
 * re-reads samples by reference. Not thread-safe: the trainer thread's.
 */
public final class SampleSource implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(SampleSource.class);
  private static final AvroSerde<AugmentedSample> SAMPLES = AvroSerde.of(AugmentedSample.class);
  private final KafkaConsumer<String, byte[]> consumer;

  private SampleSource(KafkaConsumer<String, byte[]> consumer) {
    this.consumer = consumer;
  }

  /** Assigns every partition of the input and seeks to {@code nextOffsets} (partition key → offset), else the start. */
  public static SampleSource open(TrainerConfig config, Map<String, Long> nextOffsets) {
    KafkaConsumer<String, byte[]> c = KafkaClients.consumer(config.bootstrapServers(), ClientProfile.READ_COMMITTED,
        reading(config), SLOW_POLLS, ClientProfile.group(config.groupId()),
        ClientProfile.maxPollRecords(Math.max(config.batchSize(), 32)));
    try {
      // Manual assignment, not a group subscription: one trainer owns every partition of its input, and a
      // restarted trainer must not wait for the killed one's group session to expire (45 s by default).
      List<TopicPartition> parts = TopicReader.partitions(c, config.inputTopic(), Duration.ofSeconds(30));
      c.assign(parts);
      for (TopicPartition tp : parts) {
        Long next = nextOffsets.get(tp.topic() + ":" + tp.partition());
        if (next != null) {
          c.seek(tp, next);
        } else {
          c.seekToBeginning(List.of(tp));
        }
      }
      return new SampleSource(c);
    } catch (RuntimeException e) {
      c.close();
      throw e;
    }
  }

  /** Training holds a poll up to 10 min (a checkpoint, an evaluation). */
  private static final ClientProfile SLOW_POLLS = ClientProfile.of("slow-polls", Map.of(
      ConsumerConfig.MAX_POLL_INTERVAL_MS_CONFIG, 600_000,
      // Kafka warns when idle connections close before a poll may be late (540 s default < 600 s).
      ConsumerConfig.CONNECTIONS_MAX_IDLE_MS_CONFIG, 660_000));

  /** Records of either input topic (pixels or activations). */
  private static ClientProfile reading(TrainerConfig config) {
    Topics t = config.topics();
    return ClientProfile.reading(t.spec(t.augmented()), t.spec(t.features()));
  }

  /** The next records (possibly none within {@code timeout}). */
  public ConsumerRecords<String, byte[]> poll(Duration timeout) {
    return consumer.poll(timeout);
  }

  /** Commits {@code nextOffsets} to the group, for monitoring (lag) only. */
  public void commit(Map<String, Long> nextOffsets) {
    Map<TopicPartition, OffsetAndMetadata> commit = new LinkedHashMap<>();
    nextOffsets.forEach((key, next) -> {
      int colon = key.lastIndexOf(':');
      commit.put(new TopicPartition(key.substring(0, colon), Integer.parseInt(key.substring(colon + 1))),
          new OffsetAndMetadata(next));
    });
    consumer.commitSync(commit);
  }

  /** Wakes a blocked {@link #poll}. Thread-safe. */
  public void wakeup() {
    consumer.wakeup();
  }

  /**
   * Re-reads the samples at {@code refs} with a consumer of its own (a run of nearby offsets is read through, a gap
   * is sought over). A reference whose record is gone (retention, compaction) or does not decode is left out.
   */
  public static Map<SampleRef, AugmentedSample> reread(TrainerConfig config, List<SampleRef> refs) {
    Map<TopicPartition, List<Long>> wanted = new TreeMap<>((a, b) -> a.toString().compareTo(b.toString()));
    refs.forEach(r -> wanted.computeIfAbsent(new TopicPartition(r.topic(), r.partition()), k -> new ArrayList<>())
        .add(r.offset()));
    Map<SampleRef, AugmentedSample> out = new HashMap<>();
    long t0 = System.nanoTime();
    try (KafkaConsumer<String, byte[]> c = KafkaClients.consumer(config.bootstrapServers(), ClientProfile.READ_COMMITTED,
        reading(config), SLOW_POLLS)) {
      for (var e : wanted.entrySet()) {
        TopicPartition tp = e.getKey();
        List<Long> offsets = e.getValue().stream().sorted().distinct().toList();
        c.assign(List.of(tp));
        long end = c.endOffsets(List.of(tp), Duration.ofSeconds(30)).get(tp);
        long start = c.beginningOffsets(List.of(tp), Duration.ofSeconds(30)).get(tp);
        int i = 0;
        while (i < offsets.size() && offsets.get(i) < start) {
          i++; // deleted by retention
        }
        long deadline = System.nanoTime() + 120_000_000_000L;
        while (i < offsets.size() && offsets.get(i) < end && System.nanoTime() < deadline) {
          c.seek(tp, offsets.get(i));
          ConsumerRecords<String, byte[]> got = c.poll(Duration.ofMillis(500));
          long reached = offsets.get(i);
          for (ConsumerRecord<String, byte[]> r : got) {
            reached = Math.max(reached, r.offset() + 1);
            while (i < offsets.size() && offsets.get(i) < r.offset()) {
              i++; // not on the topic (compacted away, or an aborted transaction's)
            }
            if (i < offsets.size() && offsets.get(i) == r.offset()) {
              try {
                out.put(new SampleRef(tp.topic(), tp.partition(), r.offset()), SAMPLES.decode(r.value()));
              } catch (RuntimeException bad) {
                LOG.warn("held sample {}:{}@{} does not decode: {}", tp.topic(), tp.partition(), r.offset(), bad.toString());
              }
              i++;
            }
          }
          reached = Math.max(reached, c.position(tp)); // past control records too
          while (i < offsets.size() && offsets.get(i) < reached) {
            i++;
          }
        }
      }
    }
    LOG.info("re-read {} of {} held samples from the input topic in {} ms", out.size(), refs.size(),
        (System.nanoTime() - t0) / 1_000_000);
    return out;
  }

  @Override
  public void close() {
    consumer.close();
  }
}
